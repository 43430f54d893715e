//! `graphcloud-bench density`: many backends on one server.
//!
//! Creates `--backends` backends through the public API, each one exactly as a user would:
//! `createDeployment` on the control plane, `updateGQLSchema` on its `/admin` with a schema
//! of its own (a type named after the backend), and one node through its generated
//! `add…` mutation. Then it measures:
//!
//! - the creation rate and the p50/p99 of each of the three steps;
//! - resident memory per idle backend: (RSS with every backend created and idle − RSS of the
//!   fresh server) ÷ backends, in the creating process and again after a restart;
//! - a cold backend's first answer: one query each to a random sample of backends that are
//!   not in the compiled-API cache, one at a time (in the creating process, then right after
//!   a restart, when nothing of them is in memory);
//! - front-door lookups: `GET /backends/<sub>/health` of the sample (subdomain → backend,
//!   from the database on a miss, from memory on a hit);
//! - `deployments(first:, after:)` pages for an owner of every backend.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::{Rng, Server, Summary, print_memory};

pub struct Options {
    pub backends: usize,
    pub concurrency: usize,
    pub sample: usize,
    pub page: usize,
    pub seed: u64,
}

/// A sampled backend: its index (names its type and node) and how to reach it.
#[derive(Clone)]
struct Sampled {
    index: usize,
    subdomain: String,
    token: String,
}

fn schema_of(i: usize) -> String {
    format!("type Note{i} {{\n  id: ID!\n  title: String! @search(by: [term])\n  n: Int\n}}")
}

struct Created {
    create: Vec<Duration>,
    schema: Vec<Duration>,
    node: Vec<Duration>,
    sampled: Vec<Sampled>,
    max_id: u64,
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    header: (&str, &str),
    body: &Value,
) -> Result<Value> {
    let resp = http
        .post(url)
        .header(header.0, header.1)
        .json(body)
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await?;
    if !status.is_success() || body.get("errors").is_some_and(|e| !e.is_null()) {
        bail!("{url} answered {status}: {body}");
    }
    Ok(body["data"].clone())
}

/// Creates backend `i` (deployment, schema, one node).
async fn create_one(
    http: &reqwest::Client,
    control: &str,
    backend_base: &str,
    session: &str,
    i: usize,
) -> Result<(Duration, Duration, Duration, String, String, u64)> {
    let t = Instant::now();
    let data = post_json(
        http,
        &format!("{control}/graphql"),
        ("Authorization", &format!("Bearer {session}")),
        &json!({
            "query": "mutation($n: String!) { createDeployment(input: {name: $n}) { uid url jwtToken } }",
            "variables": {"n": format!("density {i}")}
        }),
    )
    .await?;
    let create = t.elapsed();
    let d = &data["createDeployment"];
    let url = d["url"].as_str().context("no url")?;
    let subdomain = url.split('.').next().context("bad url")?.to_string();
    let token = d["jwtToken"].as_str().context("no jwtToken")?.to_string();
    let uid = d["uid"].as_str().context("no uid")?;
    let id = u64::from_str_radix(uid.trim_start_matches("0x"), 16).context("bad uid")?;
    let base = format!("{backend_base}/backends/{subdomain}");

    let t = Instant::now();
    post_json(
        http,
        &format!("{base}/admin"),
        ("X-Auth-Token", &token),
        &json!({
            "query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { id } } }",
            "variables": {"s": schema_of(i)}
        }),
    )
    .await?;
    let schema = t.elapsed();

    let t = Instant::now();
    let data = post_json(
        http,
        &format!("{base}/graphql"),
        ("X-Auth-Token", &token),
        &json!({
            "query": format!("mutation($t: String!, $n: Int) {{ addNote{i}(input: [{{title: $t, n: $n}}]) {{ numUids }} }}"),
            "variables": {"t": format!("note {i}"), "n": i}
        }),
    )
    .await?;
    let node = t.elapsed();
    if data[format!("addNote{i}")]["numUids"] != json!(1) {
        bail!("addNote{i} answered {data}");
    }
    Ok((create, schema, node, subdomain, token, id))
}

async fn create_all(
    server: &Server,
    session: &str,
    o: &Options,
    sample: &HashSet<usize>,
) -> Result<Created> {
    let next = Arc::new(AtomicUsize::new(0));
    let sample = Arc::new(sample.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let (next, sample) = (next.clone(), sample.clone());
        let http = server.http.clone();
        let control = server.control.clone();
        let backend = server.backend.clone();
        let session = session.to_string();
        let n = o.backends;
        tasks.push(tokio::spawn(async move {
            let mut out = Created {
                create: Vec::new(),
                schema: Vec::new(),
                node: Vec::new(),
                sampled: Vec::new(),
                max_id: 0,
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(out);
                }
                let (c, s, nd, subdomain, token, id) =
                    create_one(&http, &control, &backend, &session, i)
                        .await
                        .with_context(|| format!("creating backend {i}"))?;
                out.create.push(c);
                out.schema.push(s);
                out.node.push(nd);
                out.max_id = out.max_id.max(id);
                if sample.contains(&i) {
                    out.sampled.push(Sampled {
                        index: i,
                        subdomain,
                        token,
                    });
                }
            }
        }));
    }
    // Progress every 10 s on long runs.
    let progress = {
        let next = next.clone();
        let n = o.backends;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let done = next.load(Ordering::Relaxed).min(n);
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "  … {done} of {n} backends after {secs:.0} s ({:.0}/s)",
                    done as f64 / secs
                );
            }
        })
    };
    let mut all = Created {
        create: Vec::new(),
        schema: Vec::new(),
        node: Vec::new(),
        sampled: Vec::new(),
        max_id: 0,
    };
    let mut failure = None;
    for t in tasks {
        match t.await.expect("creator panicked") {
            Ok(c) => {
                all.create.extend(c.create);
                all.schema.extend(c.schema);
                all.node.extend(c.node);
                all.sampled.extend(c.sampled);
                all.max_id = all.max_id.max(c.max_id);
            }
            Err(e) => failure = Some(e),
        }
    }
    progress.abort();
    if let Some(e) = failure {
        return Err(e);
    }
    let elapsed = started.elapsed();
    println!(
        "created {} backends in {:.1} s ({:.0} backends/s, {} creators)",
        o.backends,
        elapsed.as_secs_f64(),
        o.backends as f64 / elapsed.as_secs_f64(),
        o.concurrency
    );
    Summary::of(
        "  createDeployment",
        std::mem::take(&mut all.create),
        0,
        elapsed,
    )
    .print();
    Summary::of(
        "  updateGQLSchema",
        std::mem::take(&mut all.schema),
        0,
        elapsed,
    )
    .print();
    Summary::of("  add one node", std::mem::take(&mut all.node), 0, elapsed).print();
    all.sampled.sort_by_key(|s| s.index);
    Ok(all)
}

/// One query to each sampled backend, one at a time; checks the answer.
async fn first_answers(server: &Server, sampled: &[Sampled], label: &str) -> Result<()> {
    let mut lat = Vec::with_capacity(sampled.len());
    let started = Instant::now();
    for s in sampled {
        let i = s.index;
        let t = Instant::now();
        let data = post_json(
            &server.http,
            &format!("{}/backends/{}/graphql", server.backend, s.subdomain),
            ("X-Auth-Token", &s.token),
            &json!({"query": format!("{{ queryNote{i}(first: 1) {{ title n }} }}")}),
        )
        .await?;
        lat.push(t.elapsed());
        let got = &data[format!("queryNote{i}")][0];
        if got["title"] != json!(format!("note {i}")) || got["n"] != json!(i) {
            bail!("backend {i} answered {data}");
        }
    }
    Summary::of(label, lat, 0, started.elapsed()).print();
    Ok(())
}

/// `GET /backends/<sub>/health` for each sampled backend, one at a time.
async fn front_door(server: &Server, sampled: &[Sampled], label: &str) -> Result<()> {
    let mut lat = Vec::with_capacity(sampled.len());
    let started = Instant::now();
    for s in sampled {
        let t = Instant::now();
        let resp = server
            .http
            .get(format!(
                "{}/backends/{}/health",
                server.backend, s.subdomain
            ))
            .send()
            .await?;
        let status = resp.status();
        let _ = resp.bytes().await?;
        lat.push(t.elapsed());
        if !status.is_success() {
            bail!("health of {} answered {status}", s.subdomain);
        }
    }
    Summary::of(label, lat, 0, started.elapsed()).print();
    Ok(())
}

/// Pages of `deployments(first:, after:)`: the first pages and pages deep in the list.
async fn listing(server: &Server, session: &str, o: &Options, max_id: u64) -> Result<()> {
    let page = |after: Option<String>| {
        let session = session.to_string();
        async move {
            let t = Instant::now();
            let data = server
                .control_gql(
                    Some(&session),
                    "query($f: Int, $a: String) { deployments(first: $f, after: $a) { uid name url jwtToken } }",
                    json!({"f": o.page, "a": after}),
                )
                .await?;
            let list = data["deployments"]
                .as_array()
                .context("deployments is not a list")?
                .clone();
            Ok::<_, anyhow::Error>((t.elapsed(), list))
        }
    };
    let mut lat = Vec::new();
    let started = Instant::now();
    let mut after: Option<String> = None;
    let mut seen = 0usize;
    for _ in 0..20 {
        let (d, list) = page(after.clone()).await?;
        lat.push(d);
        seen += list.len();
        match list.last() {
            Some(last) => after = last["uid"].as_str().map(str::to_string),
            None => break,
        }
        if list.len() < o.page {
            break;
        }
    }
    if seen != o.backends.min(20 * o.page) {
        bail!(
            "paging returned {seen} deployments over {} pages",
            lat.len()
        );
    }
    Summary::of(
        &format!("deployments(first: {}) first pages", o.page),
        lat,
        0,
        started.elapsed(),
    )
    .print();
    // Deep pages: start near the end of the id range.
    let mut lat = Vec::new();
    let started = Instant::now();
    for k in 0..20u64 {
        let from = max_id.saturating_sub((k + 1) * o.page as u64 * 7);
        let (d, list) = page((from > 0).then(|| format!("{from:#x}"))).await?;
        lat.push(d);
        if list.is_empty() && max_id > (k + 1) * o.page as u64 * 7 {
            bail!("deep page after {from:#x} is empty");
        }
    }
    Summary::of(
        &format!("deployments(first: {}) deep pages", o.page),
        lat,
        0,
        started.elapsed(),
    )
    .print();
    Ok(())
}

pub async fn run(bin: &Path, o: Options) -> Result<()> {
    let mut server = Server::start(bin).await?;
    let session = server.login().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (fresh, _) = server.memory_kib();
    print_memory(&server, "fresh server");

    // The random sample, chosen before anything is created.
    let mut rng = Rng(o.seed);
    let want = o.sample.min(o.backends);
    let mut sample = HashSet::new();
    while sample.len() < want {
        sample.insert(rng.below(o.backends));
    }
    let created = create_all(&server, &session, &o, &sample).await?;
    let mut sampled = created.sampled;
    // Visit them in random order, not creation order.
    for k in (1..sampled.len()).rev() {
        sampled.swap(k, rng.below(k + 1));
    }

    tokio::time::sleep(Duration::from_secs(3)).await;
    let (idle, _) = server.memory_kib();
    print_memory(&server, &format!("idle with {} backends", o.backends));
    println!(
        "RSS per idle backend (creating process): {:.2} KiB",
        (idle.saturating_sub(fresh)) as f64 / o.backends as f64
    );
    first_answers(&server, &sampled, "first answer, not in API cache").await?;
    front_door(&server, &sampled, "front door /health").await?;
    listing(&server, &session, &o, created.max_id).await?;

    // Restart: nothing of any backend is in memory.
    server.restart().await?;
    println!(
        "restart with {} backends: first control-plane answer after {:.0} ms",
        o.backends,
        server.cold_start.as_secs_f64() * 1e3
    );
    let session = server.login().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (restarted, _) = server.memory_kib();
    print_memory(&server, "after restart");
    front_door(&server, &sampled, "front door /health, miss").await?;
    front_door(&server, &sampled, "front door /health, hit").await?;
    first_answers(&server, &sampled, "cold first answer after restart").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (after, _) = server.memory_kib();
    print_memory(&server, "after the sample's first answers");
    println!(
        "RSS after restart − fresh server: {:.2} KiB per backend; after {} cold answers: {:.2} KiB per backend",
        restarted.saturating_sub(fresh) as f64 / o.backends as f64,
        sampled.len(),
        after.saturating_sub(fresh) as f64 / o.backends as f64
    );
    listing(&server, &session, &o, created.max_id).await?;
    let disk = dir_size(server.data_dir())?;
    println!(
        "data dir: {:.1} MiB ({:.0} bytes per backend)",
        disk as f64 / 1048576.0,
        disk as f64 / o.backends as f64
    );
    Ok(())
}

fn dir_size(p: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(p)? {
        let e = e?;
        let m = e.metadata()?;
        total += if m.is_dir() {
            dir_size(&e.path())?
        } else {
            m.len()
        };
    }
    Ok(total)
}
