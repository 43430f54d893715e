//! `graphcloud-bench`: reproducible measurements of a real `graphcloud serve` process.
//!
//! It starts the server binary on a fresh temporary data dir and loopback ports, talks to it
//! only over HTTP (the same public API clients use), and prints throughput, latency
//! percentiles and the server's resident memory. It is a measuring tool, not a test: it asserts
//! nothing about speed, but it fails loudly when a request the workload depends on fails.
//!
//! Workloads:
//! - `control`: cold start of `serve`, `createDeployment` latency, idle memory with many
//!   deployments, and time for a new backend to answer its first query after a schema upload.
//! - `graph`: a seeded synthetic social graph loaded through the generated API, then a
//!   baseline (`GET /health`: the same HTTP stack returning a constant body),
//!   get-by-id, term filter + order + first, two-hop nested query, aggregate count and a
//!   10-node add mutation at a fixed concurrency.
//! - `people`: 2 000 people with 5 friends each and the list query
//!   `queryPerson(first: 100) { id name age email friends { id name age } }`.
//! - `soak`: many connections (default 256, one client each) of mixed load (list, get-by-id,
//!   term filter, add mutation, `/health`, persisted query) or `/health` only, for a fixed
//!   time, sampling the server's resident memory to show whether it levels off.
//! - `density`: many backends, each with its own schema and one node: creation rate,
//!   resident memory per idle backend, a cold backend's first answer, the paged
//!   `deployments` listing and front-door lookups (see `density.rs`).
//! - `mixed`: reads with a share of `addPerson`/`deletePerson` writes on many connections,
//!   read and write latency reported separately (see `mixed.rs`).
//! - `lambda`: the cost of `@lambda` resolvers: the same query with and without a trivial
//!   lambda field (one parent, and one batched call over 100 parents, single- and
//!   multi-parent forms; the same over two levels, 10 groups of 10 items), a root `@lambda`
//!   query, and memory of deployments whose scripts were never called versus called once.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

mod density;
mod mixed;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "bench-password-1";

#[derive(Parser)]
#[command(version, about = "Measure a real graphcloud server over HTTP")]
struct Cli {
    /// Path of the graphcloud binary (default: next to this program).
    #[arg(long, env = "GRAPHCLOUD_BENCH_BIN")]
    bin: Option<PathBuf>,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Cold start, createDeployment p50/p99, idle memory with N deployments.
    Control {
        /// Number of deployments to create.
        #[arg(long, default_value_t = 1000)]
        deployments: usize,
    },
    /// Synthetic graph (default 100 000 people, 10 friends each) and five request kinds.
    Graph {
        #[arg(long, default_value_t = 100_000)]
        nodes: usize,
        #[arg(long, default_value_t = 10)]
        friends: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds per request kind.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// 2 000 people with 5 friends each; the list query used for side-by-side comparisons.
    People {
        #[arg(long, default_value_t = 2000)]
        people: usize,
        #[arg(long, default_value_t = 5)]
        friends: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keep the server running after the measurement and print its URL and token.
        #[arg(long)]
        keep: bool,
    },
    /// Sustained load over many connections; prints the server's RSS over time.
    Soak {
        /// Concurrent connections (one HTTP client and one worker each).
        #[arg(long, default_value_t = 256)]
        connections: usize,
        /// Length of the run.
        #[arg(long, default_value_t = 300)]
        seconds: u64,
        /// Seconds between RSS samples.
        #[arg(long, default_value_t = 10)]
        sample_seconds: u64,
        /// `--cache-size-mb` of the server (page cache of the graph store).
        #[arg(long, default_value_t = 64)]
        cache_size_mb: u32,
        /// `mixed` (queries, mutations, /health, persisted queries) or `health` only.
        #[arg(long, default_value = "mixed")]
        mix: String,
        /// People loaded before the run (the mix adds more).
        #[arg(long, default_value_t = 2000)]
        people: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Many backends, each with its own schema and a node: creation rate, RSS per idle
    /// backend, cold first answer, paged `deployments`, front-door lookups.
    Density {
        /// Backends to create.
        #[arg(long, default_value_t = 10_000)]
        backends: usize,
        /// Concurrent creators (each: createDeployment, schema upload, one node).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Backends in the random sample for cold first answers and front-door lookups.
        #[arg(long, default_value_t = 300)]
        sample: usize,
        /// Page size of the paged `deployments` listing.
        #[arg(long, default_value_t = 100)]
        page: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Reads and writes together on many connections; read and write latency reported
    /// separately.
    Mixed {
        /// Concurrent connections (one HTTP client and one worker each).
        #[arg(long, default_value_t = 256)]
        connections: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Percentage of requests that are writes (half `addPerson`, half `deletePerson`).
        #[arg(long, default_value_t = 10)]
        write_percent: u64,
        /// People loaded before the run.
        #[arg(long, default_value_t = 2000)]
        people: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Overhead of @lambda fields and queries; memory of idle versus used scripts.
    Lambda {
        /// Seconds per request kind.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Deployments with a script for the memory measurement.
        #[arg(long, default_value_t = 200)]
        deployments: usize,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let bin = match cli.bin {
        Some(b) => b,
        None => std::env::current_exe()?
            .parent()
            .context("no parent dir")?
            .join("graphcloud"),
    };
    if !bin.exists() {
        bail!(
            "graphcloud binary not found at {} (build it with `cargo build --release`, or pass --bin)",
            bin.display()
        );
    }
    match cli.workload {
        Workload::Control { deployments } => control(&bin, deployments).await,
        Workload::Graph {
            nodes,
            friends,
            concurrency,
            seconds,
            seed,
        } => graph(&bin, nodes, friends, concurrency, seconds, seed).await,
        Workload::People {
            people,
            friends,
            concurrency,
            seconds,
            seed,
            keep,
        } => people_bench(&bin, people, friends, concurrency, seconds, seed, keep).await,
        Workload::Soak {
            connections,
            seconds,
            sample_seconds,
            cache_size_mb,
            mix,
            people,
            seed,
        } => {
            let health_only = match mix.as_str() {
                "mixed" => false,
                "health" => true,
                other => bail!("--mix is `mixed` or `health`, not {other:?}"),
            };
            let opts = SoakOptions {
                connections: connections.max(1),
                seconds,
                sample_seconds: sample_seconds.max(1),
                cache_size_mb,
                health_only,
                people,
                seed,
            };
            soak(&bin, opts).await
        }
        Workload::Lambda {
            seconds,
            deployments,
        } => lambda_bench(&bin, seconds, deployments).await,
        Workload::Density {
            backends,
            concurrency,
            sample,
            page,
            seed,
        } => {
            density::run(
                &bin,
                density::Options {
                    backends: backends.max(1),
                    concurrency: concurrency.max(1),
                    sample: sample.max(1),
                    page: page.clamp(1, 1000),
                    seed,
                },
            )
            .await
        }
        Workload::Mixed {
            connections,
            seconds,
            write_percent,
            people,
            seed,
        } => {
            mixed::run(
                &bin,
                mixed::Options {
                    connections: connections.max(1),
                    seconds,
                    write_percent: write_percent.min(100),
                    people: people.max(1),
                    seed,
                },
            )
            .await
        }
    }
}

/// A `graphcloud serve` child process on a temporary data dir.
struct Server {
    child: Child,
    _data: tempfile::TempDir,
    control: String,
    backend: String,
    http: reqwest::Client,
    cold_start: Duration,
    bin: PathBuf,
    extra: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    async fn start(bin: &Path) -> Result<Server> {
        Self::start_with(bin, &[]).await
    }

    /// Starts `serve` with extra flags.
    async fn start_with(bin: &Path, extra: &[String]) -> Result<Server> {
        let data = tempfile::tempdir()?;
        let dir = data.path().to_str().context("utf-8 temp path")?.to_string();
        let status = Command::new(bin)
            .args(["user", "create", "--data-dir", &dir, "--email", EMAIL])
            .env("GRAPHCLOUD_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("`graphcloud user create` failed: {status}");
        }
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let (child, control, backend, cold_start) = Self::spawn(bin, data.path(), extra).await?;
        Ok(Server {
            child,
            _data: data,
            control,
            backend,
            http,
            cold_start,
            bin: bin.to_path_buf(),
            extra: extra.to_vec(),
        })
    }

    /// Spawns `serve` on `data` with fresh ports and waits until the control plane answers.
    async fn spawn(
        bin: &Path,
        data: &Path,
        extra: &[String],
    ) -> Result<(Child, String, String, Duration)> {
        let dir = data.to_str().context("utf-8 temp path")?;
        let (cp, bp) = (free_port()?, free_port()?);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))?;
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--data-dir", dir, "--base-domain", "localhost"])
            .args(["--control-addr", &format!("127.0.0.1:{cp}")])
            .args(["--backend-addr", &format!("127.0.0.1:{bp}")])
            .args(extra)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let control = format!("http://127.0.0.1:{cp}");
        let probe_client = reqwest::Client::new();
        // Ready = the control plane answers a GraphQL request.
        loop {
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                bail!("server did not answer within 120 s");
            }
            if let Some(code) = child.try_wait()? {
                bail!("server exited early: {code}");
            }
            let probe = probe_client
                .post(format!("{control}/graphql"))
                .json(&json!({"query": "{ __typename }"}))
                .send()
                .await;
            if matches!(probe, Ok(ref r) if r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok((
            child,
            control,
            format!("http://127.0.0.1:{bp}"),
            started.elapsed(),
        ))
    }

    /// Stops the server (SIGTERM, then SIGKILL after 60 s) and starts it again on the same
    /// data dir, on new ports. Backends keep their subdomains and tokens.
    async fn restart(&mut self) -> Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (child, control, backend, cold_start) =
            Self::spawn(&self.bin, self._data.path(), &self.extra).await?;
        self.child = child;
        self.control = control;
        self.backend = backend;
        self.cold_start = cold_start;
        Ok(())
    }

    fn data_dir(&self) -> &Path {
        self._data.path()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (current RSS, peak RSS) of the server process in KiB, from /proc.
    fn memory_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU time (user + system, every thread) the server process used so far, from /proc
    /// (clock ticks of 1/100 s, the Linux `USER_HZ`).
    fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|v| v.parse().ok())
            .collect();
        Duration::from_millis(f.iter().sum::<u64>() * 10)
    }

    async fn control_gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value> {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.control))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let body: Value = req.send().await?.json().await?;
        if body.get("errors").is_some_and(|e| !e.is_null()) {
            bail!("control-plane error: {body}");
        }
        Ok(body["data"].clone())
    }

    async fn login(&self) -> Result<String> {
        let data = self
            .control_gql(
                None,
                "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": EMAIL, "p": PASSWORD}),
            )
            .await?;
        data["login"]["token"]
            .as_str()
            .map(str::to_string)
            .context("login returned no token")
    }

    async fn create_deployment(&self, token: &str, name: &str) -> Result<Backend> {
        let data = self
            .control_gql(
                Some(token),
                "mutation($n: String!) { createDeployment(input: {name: $n}) { uid url jwtToken } }",
                json!({"n": name}),
            )
            .await?;
        let d = &data["createDeployment"];
        let url = d["url"].as_str().context("no url")?;
        let subdomain = url.split('.').next().context("bad url")?;
        Ok(Backend {
            base: format!("{}/backends/{subdomain}", self.backend),
            token: d["jwtToken"].as_str().context("no jwtToken")?.to_string(),
            uid: d["uid"].as_str().context("no uid")?.to_string(),
        })
    }
}

/// One backend reached through the path prefix with its admin token.
#[derive(Clone)]
struct Backend {
    base: String,
    token: String,
    uid: String,
}

impl Backend {
    async fn post(&self, http: &reqwest::Client, path: &str, body: &Value) -> Result<Value> {
        let resp = http
            .post(format!("{}{path}", self.base))
            .header("X-Auth-Token", &self.token)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() || body.get("errors").is_some_and(|e| !e.is_null()) {
            bail!("{path} answered {status}: {body}");
        }
        Ok(body["data"].clone())
    }

    async fn set_schema(&self, http: &reqwest::Client, sdl: &str) -> Result<()> {
        self.post(
            http,
            "/admin",
            &json!({
                "query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema } } }",
                "variables": {"s": sdl}
            }),
        )
        .await
        .map(|_| ())
    }

    async fn graphql(
        &self,
        http: &reqwest::Client,
        query: &str,
        variables: Value,
    ) -> Result<Value> {
        self.post(
            http,
            "/graphql",
            &json!({"query": query, "variables": variables}),
        )
        .await
    }
}

/// Latency summary of one request kind.
struct Summary {
    name: String,
    count: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Summary {
    fn of(name: &str, mut lat: Vec<Duration>, errors: usize, elapsed: Duration) -> Summary {
        lat.sort_unstable();
        let pick = |q: f64| {
            if lat.is_empty() {
                Duration::ZERO
            } else {
                lat[((lat.len() as f64 - 1.0) * q).round() as usize]
            }
        };
        Summary {
            name: name.to_string(),
            count: lat.len(),
            errors,
            elapsed,
            p50: pick(0.50),
            p99: pick(0.99),
        }
    }

    fn print(&self) {
        println!(
            "{:<28} {:>9.0} req/s  p50 {:>8.3} ms  p99 {:>8.3} ms  ({} requests, {} errors)",
            self.name,
            self.count as f64 / self.elapsed.as_secs_f64(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.count,
            self.errors
        );
    }
}

/// Small deterministic generator (SplitMix64) so every run builds the same dataset.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "amber", "birch", "cedar", "delta", "ember", "fable", "grove", "harbor", "iris", "juniper",
    "kestrel", "lumen", "maple", "nova", "onyx", "pine", "quartz", "raven", "sage", "tide",
    "umber", "vale", "willow", "yarrow", "zephyr",
];

fn name_for(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        WORDS[rng.below(WORDS.len())],
        WORDS[rng.below(WORDS.len())],
        rng.below(1_000_000)
    )
}

/// Drive GraphQL requests with body `make(i)` against the backend's `/graphql`.
async fn drive<F>(
    name: &str,
    backend: &Backend,
    http: &reqwest::Client,
    concurrency: usize,
    seconds: u64,
    make: F,
) -> Summary
where
    F: Fn(u64) -> Value + Send + Sync + 'static,
{
    let backend = backend.clone();
    drive_requests(name, http, concurrency, seconds, move |http, i| {
        http.post(format!("{}/graphql", backend.base))
            .header("X-Auth-Token", &backend.token)
            .json(&make(i))
    })
    .await
}

/// Sends `make(client, i)` from `concurrency` workers for `seconds`; a request counts when it
/// answers 2xx without a GraphQL `errors` key.
async fn drive_requests<F>(
    name: &str,
    http: &reqwest::Client,
    concurrency: usize,
    seconds: u64,
    make: F,
) -> Summary
where
    F: Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let make = make.clone();
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut i = w as u64;
            while Instant::now() < deadline {
                let req = make(&http, i);
                i += concurrency as u64;
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => !contains(&b, b"\"errors\""),
                        Err(_) => false,
                    },
                    _ => false,
                };
                if ok {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("worker panicked");
        all.extend(lat);
        errors += e;
    }
    Summary::of(name, all, errors, started.elapsed())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn print_memory(server: &Server, label: &str) {
    let (rss, peak) = server.memory_kib();
    println!(
        "{label}: RSS {:.1} MiB, peak RSS {:.1} MiB",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
}

async fn control(bin: &Path, deployments: usize) -> Result<()> {
    let server = Server::start(bin).await?;
    println!(
        "cold start of `serve` (spawn → first control-plane answer): {:.1} ms",
        server.cold_start.as_secs_f64() * 1e3
    );
    print_memory(&server, "fresh server");
    let token = server.login().await?;
    let mut lat = Vec::with_capacity(deployments);
    let started = Instant::now();
    let mut last = None;
    for i in 0..deployments {
        let t = Instant::now();
        last = Some(
            server
                .create_deployment(&token, &format!("bench backend {i}"))
                .await?,
        );
        lat.push(t.elapsed());
    }
    Summary::of("createDeployment (sequential)", lat, 0, started.elapsed()).print();
    tokio::time::sleep(Duration::from_secs(2)).await;
    print_memory(&server, &format!("idle with {deployments} deployments"));

    // A brand-new backend: schema upload, then its first query.
    let backend = server.create_deployment(&token, "first query").await?;
    let _ = last;
    let t = Instant::now();
    backend
        .set_schema(
            &server.http,
            "type Item { id: ID! name: String! @search(by: [term]) }",
        )
        .await?;
    let upload = t.elapsed();
    let t = Instant::now();
    backend
        .graphql(
            &server.http,
            "{ queryItem(first: 1) { id name } }",
            json!({}),
        )
        .await?;
    println!(
        "new backend: schema upload {:.2} ms, first query {:.2} ms",
        upload.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

const GRAPH_SCHEMA: &str = r#"type Person {
  id: ID!
  name: String! @search(by: [term, hash])
  age: Int @search
  email: String @search(by: [hash])
  friends: [Person]
}"#;

/// Load `n` people through `addPerson` in batches; each links to `friends` earlier people.
/// Returns the ids in creation order and the load rate in nodes/s and edges/s.
async fn load_people(
    server: &Server,
    backend: &Backend,
    n: usize,
    friends: usize,
    seed: u64,
) -> Result<Vec<String>> {
    let mut rng = Rng(seed);
    let mut ids: Vec<String> = Vec::with_capacity(n);
    let batch = 500;
    let started = Instant::now();
    let mut edges = 0usize;
    while ids.len() < n {
        let count = batch.min(n - ids.len());
        let mut input = Vec::with_capacity(count);
        for _ in 0..count {
            let fr: Vec<Value> = if ids.is_empty() {
                Vec::new()
            } else {
                (0..friends)
                    .map(|_| json!({"id": ids[rng.below(ids.len())]}))
                    .collect()
            };
            edges += fr.len();
            let name = name_for(&mut rng);
            input.push(json!({
                "name": name,
                "age": 18 + rng.below(60),
                "email": format!("p{}@example.com", rng.next() % 10_000_000),
                "friends": fr,
            }));
        }
        let data = backend
            .graphql(
                &server.http,
                "mutation($in: [AddPersonInput!]!) { addPerson(input: $in) { person { id } } }",
                json!({"in": input}),
            )
            .await?;
        let created = data["addPerson"]["person"]
            .as_array()
            .context("no person list")?;
        if created.len() != count {
            bail!("addPerson returned {} of {count} people", created.len());
        }
        ids.extend(
            created
                .iter()
                .map(|p| p["id"].as_str().unwrap_or_default().to_string()),
        );
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "load: {n} nodes and {edges} edges in {secs:.1} s ({:.0} nodes/s, {:.0} edges/s)",
        n as f64 / secs,
        edges as f64 / secs
    );
    Ok(ids)
}

async fn graph(
    bin: &Path,
    nodes: usize,
    friends: usize,
    concurrency: usize,
    seconds: u64,
    seed: u64,
) -> Result<()> {
    let server = Server::start(bin).await?;
    let token = server.login().await?;
    let backend = server.create_deployment(&token, "graph bench").await?;
    backend.set_schema(&server.http, GRAPH_SCHEMA).await?;
    let ids = Arc::new(load_people(&server, &backend, nodes, friends, seed).await?);
    print_memory(&server, "after load");

    let http = &server.http;
    // Baseline: the same HTTP stack answering a constant body (no credential check, no query).
    let health = format!("{}/health", backend.base);
    drive_requests(
        "baseline GET /health",
        http,
        concurrency,
        seconds,
        move |http, _| http.get(&health),
    )
    .await
    .print();
    let ids1 = ids.clone();
    drive(
        "get-by-id",
        &backend,
        http,
        concurrency,
        seconds,
        move |i| {
            json!({"query": "query($id: ID!) { getPerson(id: $id) { id name age email } }",
               "variables": {"id": ids1[(i as usize * 7919) % ids1.len()]}})
        },
    )
    .await
    .print();
    drive("term filter + order + first", &backend, http, concurrency, seconds, move |i| {
        json!({"query": "query($t: String!) { queryPerson(filter: {name: {anyofterms: $t}}, order: {asc: age}, first: 10) { id name age } }",
               "variables": {"t": WORDS[i as usize % WORDS.len()]}})
    })
    .await
    .print();
    let ids2 = ids.clone();
    drive("two-hop nested", &backend, http, concurrency, seconds, move |i| {
        json!({"query": "query($id: ID!) { getPerson(id: $id) { name friends(first: 10) { name friends(first: 10) { name age } } } }",
               "variables": {"id": ids2[(i as usize * 104_729) % ids2.len()]}})
    })
    .await
    .print();
    drive("aggregate count", &backend, http, concurrency, seconds, move |i| {
        json!({"query": "query($a: Int!) { aggregatePerson(filter: {age: {ge: $a}}) { count } }",
               "variables": {"a": 18 + (i % 60) as i64}})
    })
    .await
    .print();
    drive("add 10 nodes", &backend, http, concurrency, seconds, move |i| {
        let input: Vec<Value> = (0..10)
            .map(|k| json!({"name": format!("new person {i} {k}"), "age": 30, "email": format!("n{i}.{k}@example.com")}))
            .collect();
        json!({"query": "mutation($in: [AddPersonInput!]!) { addPerson(input: $in) { numUids } }",
               "variables": {"in": input}})
    })
    .await
    .print();
    print_memory(&server, "end");
    Ok(())
}

const PEOPLE_SCHEMA: &str = r#"type Person {
  id: ID!
  name: String!
  age: Int
  email: String
  friends: [Person]
}"#;

pub const PEOPLE_QUERY: &str =
    "{ queryPerson(first: 100) { id name age email friends { id name age } } }";
/// W1 of the side-by-side comparison.
pub const PEOPLE_LIST_QUERY: &str = "{ queryPerson(first: 100) { id name age email } }";
/// W3 of the side-by-side comparison.
pub const PEOPLE_GET_QUERY: &str =
    "query($id: ID!) { getPerson(id: $id) { id name age email friends { id name age } } }";

async fn people_bench(
    bin: &Path,
    people: usize,
    friends: usize,
    concurrency: usize,
    seconds: u64,
    seed: u64,
    keep: bool,
) -> Result<()> {
    let server = Server::start(bin).await?;
    let token = server.login().await?;
    let backend = server.create_deployment(&token, "people bench").await?;
    backend.set_schema(&server.http, PEOPLE_SCHEMA).await?;
    // Create everyone first, then give each person `friends` friends, so that even the first
    // people have a full friend list (as in the side-by-side comparison dataset).
    let ids = load_people(&server, &backend, people, 0, seed).await?;
    let mut rng = Rng(seed ^ 0xF00D);
    for chunk in ids.chunks(200) {
        for id in chunk {
            let fr: Vec<Value> = (0..friends)
                .map(|_| json!({"id": ids[rng.below(ids.len())]}))
                .collect();
            backend
                .graphql(
                    &server.http,
                    "mutation($id: ID!, $f: [PersonRef]) { updatePerson(input: {filter: {id: [$id]}, set: {friends: $f}}) { numUids } }",
                    json!({"id": id, "f": fr}),
                )
                .await?;
        }
    }
    let sample = backend
        .graphql(&server.http, PEOPLE_QUERY, json!({}))
        .await?;
    println!(
        "response size: {} bytes",
        serde_json::to_vec(&json!({"data": sample}))?.len()
    );
    drive(
        "queryPerson(first: 100)",
        &backend,
        &server.http,
        concurrency,
        seconds,
        |_| json!({"query": PEOPLE_QUERY}),
    )
    .await
    .print();
    // The side-by-side comparison's other two workloads: the list without friends (W1) and
    // one person by id with friends (W3).
    drive(
        "W1 queryPerson(first: 100), 4 fields",
        &backend,
        &server.http,
        concurrency,
        seconds,
        |_| json!({"query": PEOPLE_LIST_QUERY}),
    )
    .await
    .print();
    let one = ids[ids.len() / 2].clone();
    drive(
        "W3 getPerson(id:) with friends",
        &backend,
        &server.http,
        concurrency,
        seconds,
        move |_| json!({"query": PEOPLE_GET_QUERY, "variables": {"id": one}}),
    )
    .await
    .print();
    print_memory(&server, "end");
    if keep {
        println!(
            "server kept running: {}/graphql  X-Auth-Token: {}",
            backend.base, backend.token
        );
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}

struct SoakOptions {
    connections: usize,
    seconds: u64,
    sample_seconds: u64,
    cache_size_mb: u32,
    health_only: bool,
    people: usize,
    seed: u64,
}

/// The persisted query of the soak mix and its SHA-256 (`printf '%s' … | sha256sum`).
const SOAK_APQ: &str = "{ queryPerson(first: 5) { name age } }";

/// One request of the soak mix; `i` picks the kind and the arguments.
fn soak_request(
    http: &reqwest::Client,
    backend: &Backend,
    health: &str,
    ids: &[String],
    apq_hash: &str,
    i: u64,
) -> reqwest::RequestBuilder {
    let gql = |body: Value| {
        http.post(format!("{}/graphql", backend.base))
            .header("X-Auth-Token", &backend.token)
            .json(&body)
    };
    let mut rng = Rng(i);
    let id = &ids[rng.below(ids.len())];
    match i % 10 {
        0..=2 => gql(json!({
            "query": "query($o: Int) { queryPerson(first: 10, offset: $o, order: {asc: age}) { id name age } }",
            "variables": {"o": rng.below(1000)}
        })),
        3 | 4 => gql(json!({
            "query": "query($id: ID!) { getPerson(id: $id) { name email friends(first: 5) { name } } }",
            "variables": {"id": id}
        })),
        5 => gql(json!({
            "query": "query($w: String!) { queryPerson(filter: {name: {anyofterms: $w}}, first: 5) { name } }",
            "variables": {"w": WORDS[rng.below(WORDS.len())]}
        })),
        6 => gql(json!({
            "query": "mutation($n: String!, $a: Int) { addPerson(input: [{name: $n, age: $a}]) { numUids } }",
            "variables": {"n": name_for(&mut rng), "a": rng.below(90)}
        })),
        7 => gql(json!({
            "query": "query($id: ID!) { getPerson(id: $id) { id } aggregatePerson { count } }",
            "variables": {"id": id}
        })),
        8 => http.get(health),
        _ => gql(json!({
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": apq_hash}}
        })),
    }
}

async fn soak(bin: &Path, o: SoakOptions) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let server = Server::start_with(
        bin,
        &["--cache-size-mb".to_string(), o.cache_size_mb.to_string()],
    )
    .await?;
    let token = server.login().await?;
    let backend = server.create_deployment(&token, "soak").await?;
    backend.set_schema(&server.http, GRAPH_SCHEMA).await?;
    let ids = Arc::new(if o.health_only {
        vec![String::new()]
    } else {
        load_people(&server, &backend, o.people.max(1), 3, o.seed).await?
    });
    // Register the persisted query (query + hash) once.
    let apq_hash = Arc::new(sha256_hex(SOAK_APQ));
    backend
        .post(
            &server.http,
            "/graphql",
            &json!({"query": SOAK_APQ, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": *apq_hash}}}),
        )
        .await?;
    let health = Arc::new(format!("{}/health", backend.base));
    println!(
        "soak: {} connections, {} s, mix {}, --cache-size-mb {}, {} people loaded",
        o.connections,
        o.seconds,
        if o.health_only { "health" } else { "mixed" },
        o.cache_size_mb,
        if o.health_only { 0 } else { ids.len() }
    );
    print_memory(&server, "before load");

    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..o.connections {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (backend, health, ids, apq_hash) = (
            backend.clone(),
            health.clone(),
            ids.clone(),
            apq_hash.clone(),
        );
        let (done, failed, stop) = (done.clone(), failed.clone(), stop.clone());
        let health_only = o.health_only;
        let stride = o.connections as u64;
        workers.push(tokio::spawn(async move {
            let mut i = w as u64;
            while !stop.load(Ordering::Relaxed) {
                let req = if health_only {
                    http.get(health.as_str())
                } else {
                    soak_request(&http, &backend, &health, &ids, &apq_hash, i)
                };
                i += stride;
                let ok = match req.send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => !contains(&b, b"\"errors\""),
                        Err(_) => false,
                    },
                    _ => false,
                };
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut last = (0u64, Instant::now());
    println!(
        "{:>7}  {:>9}  {:>11}  {:>9}  {:>7}",
        "t (s)", "RSS (MiB)", "requests", "req/s", "errors"
    );
    while started.elapsed() < Duration::from_secs(o.seconds) {
        let left = Duration::from_secs(o.seconds).saturating_sub(started.elapsed());
        tokio::time::sleep(Duration::from_secs(o.sample_seconds).min(left)).await;
        let n = done.load(Ordering::Relaxed);
        let rate = (n - last.0) as f64 / last.1.elapsed().as_secs_f64();
        last = (n, Instant::now());
        let rss = server.memory_kib().0 as f64 / 1024.0;
        let t = started.elapsed().as_secs_f64();
        samples.push((t, rss));
        println!(
            "{t:>7.0}  {rss:>9.1}  {n:>11}  {rate:>9.0}  {:>7}",
            failed.load(Ordering::Relaxed)
        );
        if let Some(code) = server_exit(&server) {
            bail!("the server exited during the run: {code}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let total = done.load(Ordering::Relaxed);
    let errors = failed.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{total} requests in {elapsed:.0} s ({:.0} req/s), {errors} errors",
        total as f64 / elapsed
    );
    // Levelling off: compare the second half of the run with its first half.
    if samples.len() >= 4 {
        let half = samples.len() / 2;
        let max_first = samples[..half].iter().map(|s| s.1).fold(0.0, f64::max);
        let max_second = samples[half..].iter().map(|s| s.1).fold(0.0, f64::max);
        let (t0, r0) = samples[half];
        let (t1, r1) = samples[samples.len() - 1];
        println!(
            "RSS max first half {max_first:.1} MiB, second half {max_second:.1} MiB; \
             slope over the second half {:+.2} MiB/min; last {r1:.1} MiB \
             (page cache {} MiB)",
            (r1 - r0) / ((t1 - t0) / 60.0).max(1e-9),
            o.cache_size_mb
        );
    }
    print_memory(&server, "after load");
    Ok(())
}

fn server_exit(server: &Server) -> Option<String> {
    // `try_wait` needs `&mut`; /proc tells whether the process is gone or a zombie.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.pid())).ok();
    match stat {
        None => Some("gone".into()),
        Some(s) if s.split_whitespace().nth(2) == Some("Z") => Some("exited".into()),
        _ => None,
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const LAMBDA_SCHEMA: &str = "type Item { id: ID! n: Int! label: String @lambda tag: String @lambda batch: Int @lambda }\n\
    type Group { id: ID! g: Int! items: [Item] }\n\
    type Query { ping: String @lambda }";
const LAMBDA_SCRIPT: &str = r#"
self.addGraphQLResolvers({
  "Item.label": ({parent}) => "item " + parent.n,
  "Query.ping": () => "pong",
})
self.addMultiParentGraphQLResolvers({
  "Item.tag": ({parents}) => parents.map(p => "tag " + p.n),
  "Item.batch": ({parents}) => parents.map(() => parents.length),
})
"#;

async fn lambda_bench(bin: &Path, seconds: u64, deployments: usize) -> Result<()> {
    use base64::Engine as _;
    let server = Server::start(bin).await?;
    let token = server.login().await?;
    let script = base64::engine::general_purpose::STANDARD.encode(LAMBDA_SCRIPT);
    let backend = server.create_deployment(&token, "lambda bench").await?;
    backend.set_schema(&server.http, LAMBDA_SCHEMA).await?;
    server
        .control_gql(
            Some(&token),
            "mutation($i: UpdateLambdaInput!) { updateLambda(input: $i) }",
            json!({"i": {"deploymentID": backend.uid, "lambdaScript": script}}),
        )
        .await?;
    // 10 groups of 10 items: the 100 items of the one-level kinds, and the two-level kinds.
    let groups: Vec<Value> = (0..10)
        .map(|g| json!({"g": g, "items": (0..10).map(|i| json!({"n": g * 10 + i})).collect::<Vec<_>>()}))
        .collect();
    backend
        .graphql(
            &server.http,
            "mutation($i: [AddGroupInput!]!) { addGroup(input: $i) { numUids } }",
            json!({"i": groups}),
        )
        .await?;
    let check = backend
        .graphql(
            &server.http,
            "{ queryGroup(order: {asc: g}) { items(order: {asc: n}) { n label tag } } }",
            json!({}),
        )
        .await?;
    let last = &check["queryGroup"][9]["items"][9];
    if last != &json!({"n": 99, "label": "item 99", "tag": "tag 99"}) {
        bail!("unexpected two-level lambda result: {check}");
    }
    let batch = backend
        .graphql(
            &server.http,
            "{ queryGroup(first: 10) { items { batch } } }",
            json!({}),
        )
        .await?;
    println!(
        "parents per resolver call at the second level (10 x 10 items): {}",
        batch["queryGroup"][0]["items"][0]["batch"]
    );
    let check = backend
        .graphql(
            &server.http,
            "{ queryItem(first: 100) { n label tag } }",
            json!({}),
        )
        .await?;
    let first = &check["queryItem"][0];
    if first["label"] != json!(format!("item {}", first["n"])) || first["tag"].is_null() {
        bail!("unexpected lambda result: {check}");
    }
    println!("lambda: one request at a time, {seconds} s per kind");
    let kinds: [(&str, &str); 11] = [
        ("1 item, no lambda", "{ queryItem(first: 1) { id n } }"),
        (
            "1 item + @lambda field",
            "{ queryItem(first: 1) { id n label } }",
        ),
        (
            "1 item + multi-parent",
            "{ queryItem(first: 1) { id n tag } }",
        ),
        ("100 items, no lambda", "{ queryItem(first: 100) { id n } }"),
        (
            "100 items + @lambda field",
            "{ queryItem(first: 100) { id n label } }",
        ),
        (
            "100 items + multi-parent",
            "{ queryItem(first: 100) { id n tag } }",
        ),
        ("root: __typename", "{ __typename }"),
        ("root: @lambda query", "{ ping }"),
        (
            "10x10 items, no lambda",
            "{ queryGroup(first: 10) { g items { id n } } }",
        ),
        (
            "10x10 items + @lambda field",
            "{ queryGroup(first: 10) { g items { id n label } } }",
        ),
        (
            "10x10 items + multi-parent",
            "{ queryGroup(first: 10) { g items { id n tag } } }",
        ),
    ];
    let mut p50 = Vec::new();
    for (name, q) in kinds {
        let q = q.to_string();
        let cpu = server.cpu_time();
        let s = drive(
            name,
            &backend,
            &server.http,
            1,
            seconds,
            move |_| json!({ "query": q }),
        )
        .await;
        s.print();
        println!(
            "{:<28} server CPU {:.3} ms per request",
            "",
            server.cpu_time().saturating_sub(cpu).as_secs_f64() * 1e3 / s.count.max(1) as f64
        );
        if s.errors > 0 {
            bail!("{name}: {} requests failed", s.errors);
        }
        p50.push(s.p50);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "added p50: per call with 1 parent {:.3} ms (multi-parent {:.3} ms); one batched call over 100 parents {:.3} ms (multi-parent {:.3} ms); root query {:.3} ms",
        ms(p50[1].saturating_sub(p50[0])),
        ms(p50[2].saturating_sub(p50[0])),
        ms(p50[4].saturating_sub(p50[3])),
        ms(p50[5].saturating_sub(p50[3])),
        ms(p50[7].saturating_sub(p50[6])),
    );
    println!(
        "added p50, two levels (10 x 10 items): @lambda field {:.3} ms, multi-parent {:.3} ms",
        ms(p50[9].saturating_sub(p50[8])),
        ms(p50[10].saturating_sub(p50[8])),
    );

    // Density: deployments with a script cost nothing until their first lambda call.
    print_memory(&server, "before the script deployments");
    let mut others = Vec::new();
    for i in 0..deployments {
        let b = server
            .create_deployment(&token, &format!("lambda density {i}"))
            .await?;
        b.set_schema(&server.http, LAMBDA_SCHEMA).await?;
        server
            .control_gql(
                Some(&token),
                "mutation($i: UpdateLambdaInput!) { updateLambda(input: $i) }",
                json!({"i": {"deploymentID": b.uid, "lambdaScript": script}}),
            )
            .await?;
        others.push(b);
    }
    print_memory(
        &server,
        &format!("{deployments} deployments with a script, never called"),
    );
    for b in &others {
        b.graphql(&server.http, "{ ping }", json!({})).await?;
    }
    print_memory(
        &server,
        &format!("{deployments} deployments after one lambda call each"),
    );
    Ok(())
}
