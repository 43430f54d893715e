//! Acknowledged GraphQL mutations survive `kill -9`: the test binary re-runs itself as the
//! server (`crash_child_server`), concurrent clients send nested `@hasInverse` adds to one
//! backend, and the server is SIGKILLed at varying points, several rounds over the same data
//! directory. After each restart every mutation that was answered with data must be there
//! with all its edges in both directions, and no mutation may be half there.
//!
//! Runs as `cargo test -p graphcloud-server --test crash_mutations`.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use graphcloud_control::{ControlConfig, ControlPlane};
use serde_json::{Value, json};

const EMAIL: &str = "writer@example.com";
const PASSWORD: &str = "crash-writes-password";
const ROUNDS: usize = 3;
const WRITERS: usize = 6;

const SDL: &str = r#"
type Country { id: ID! name: String! @id states: [State] @hasInverse(field: country) }
type State { id: ID! xcode: String! @id name: String! country: Country }
"#;

/// Runs the server when spawned by `spawn_server`; does nothing in a normal test run.
#[test]
fn crash_child_server() {
    let (Ok(dir), Ok(control), Ok(backend)) = (
        std::env::var("GRAPHCLOUD_CRASH_MUT_DIR"),
        std::env::var("GRAPHCLOUD_CRASH_MUT_CONTROL"),
        std::env::var("GRAPHCLOUD_CRASH_MUT_BACKEND"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let cfg = graphcloud_server::ServeConfig {
            data_dir: dir.into(),
            database_url: None,
            control_addr: control.parse().unwrap(),
            backend_addr: backend.parse().unwrap(),
            base_domain: "localhost".into(),
            tls: None,
            control_tls: None,
            jwt_secret: None,
            request_timeout: graphcloud_server::DEFAULT_REQUEST_TIMEOUT,
            backup_url: None,
        };
        graphcloud_server::serve(cfg, std::future::pending())
            .await
            .unwrap();
    });
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The server process; killed and reaped when dropped, also when a test fails.
struct Spawned {
    child: Child,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn spawn_server(dir: &std::path::Path, control: SocketAddr, backend: SocketAddr) -> Spawned {
    let started = Instant::now();
    let srv = Spawned {
        child: Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child_server",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GRAPHCLOUD_CRASH_MUT_DIR", dir)
            .env("GRAPHCLOUD_CRASH_MUT_CONTROL", control.to_string())
            .env("GRAPHCLOUD_CRASH_MUT_BACKEND", backend.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    loop {
        if let Ok(r) = client.get(format!("http://{control}/health")).send().await
            && r.status() == 200
        {
            return srv;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> reqwest::Result<Value> {
    let mut req = c
        .post(url)
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.header("X-Auth-Token", t);
    }
    req.send().await?.json().await
}

/// `(state, its country, the country's other state)` of the `i`th write of writer `w` in
/// round `r`: one request creates all three and the edges between them.
fn names(r: usize, w: usize, i: usize) -> (String, String, String) {
    (
        format!("s{r}-{w}-{i}"),
        format!("c{r}-{w}-{i}"),
        format!("g{r}-{w}-{i}"),
    )
}

const ADD: &str = r#"mutation($s: String!, $c: String!, $g: String!) {
    addState(input: [{xcode: $s, name: "s", country: {name: $c, states: [{xcode: $g, name: "g"}]}}]) { numUids } }"#;

/// Writes until the server goes away; returns the indexes of the acknowledged writes.
async fn writer(
    c: reqwest::Client,
    url: String,
    token: String,
    r: usize,
    w: usize,
    acked: Arc<Mutex<Vec<(usize, usize, usize)>>>,
) {
    for i in 0.. {
        let (s, co, g) = names(r, w, i);
        let Ok(body) = post(
            &c,
            &url,
            Some(&token),
            ADD,
            json!({"s": s, "c": co, "g": g}),
        )
        .await
        else {
            return; // the server is gone: this write is unacknowledged
        };
        assert!(body.get("errors").is_none(), "write {s} refused: {body}");
        assert_eq!(body["data"]["addState"]["numUids"], json!(3), "{body}");
        acked.lock().unwrap().push((r, w, i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_write_load_keeps_every_acknowledged_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (control, backend) = (free_port(), free_port());
    let mut srv = spawn_server(dir.path(), control, backend).await;
    let cp = ControlPlane::open(ControlConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        base_domain: "localhost".into(),
        backend_port: 8080,
        jwt_secret: None,
    })
    .await
    .unwrap();
    cp.create_user(EMAIL, PASSWORD, None).await.unwrap();
    cp.shutdown().await;

    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let cp_url = format!("http://{control}/graphql");
    let login = post(
        &c,
        &cp_url,
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({"e": EMAIL, "p": PASSWORD}),
    )
    .await
    .unwrap();
    let session = login["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let d = post(
        &c,
        &cp_url,
        Some(&session),
        "mutation { createDeployment(input: {name: \"crashwrites\"}) { subdomain jwtToken } }",
        json!({}),
    )
    .await;
    let d = d.unwrap();
    let sub = d["data"]["createDeployment"]["subdomain"]
        .as_str()
        .unwrap()
        .to_string();
    let jwt = d["data"]["createDeployment"]["jwtToken"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_url = format!("http://{backend}/backends/{sub}/admin");
    let gql_url = format!("http://{backend}/backends/{sub}/graphql");
    let r = post(&c, &admin_url, Some(&jwt), "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema } } }", json!({"s": SDL})).await.unwrap();
    assert!(r.get("errors").is_none(), "{r}");

    let acked: Arc<Mutex<Vec<(usize, usize, usize)>>> = Arc::default();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..ROUNDS {
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    c.clone(),
                    gql_url.clone(),
                    jwt.clone(),
                    round,
                    w,
                    acked.clone(),
                ))
            })
            .collect();
        // Kill at a different point each round: 250..=1000 ms into the load.
        let delay = 250
            + (seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(round as u64 * 1442695040888963407)
                >> 33)
                % 751;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        srv.child.kill().unwrap(); // SIGKILL
        srv.child.wait().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        drop(srv);
        srv = spawn_server(dir.path(), control, backend).await;
        let so_far = acked.lock().unwrap().clone();
        verify(&c, &gql_url, &jwt, &so_far, round).await;
    }
    drop(srv);
    assert!(
        acked.lock().unwrap().len() >= ROUNDS * WRITERS,
        "too few writes were acknowledged to mean anything"
    );
}

/// Every acknowledged write is present with its edges both ways; no write is half there.
async fn verify(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    acked: &[(usize, usize, usize)],
    round: usize,
) {
    for chunk in acked.chunks(200) {
        let countries: Vec<String> = chunk.iter().map(|&(r, w, i)| names(r, w, i).1).collect();
        let body = post(c, url, Some(token), "query($c: [String]) { queryCountry(filter: {name: {in: $c}}) { name states(order: {asc: xcode}) { xcode country { name } } } }", json!({"c": countries})).await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        let found = body["data"]["queryCountry"].as_array().unwrap();
        assert_eq!(
            found.len(),
            chunk.len(),
            "round {round}: acknowledged countries missing"
        );
        for &(r, w, i) in chunk {
            let (s, co, g) = names(r, w, i);
            let got = found
                .iter()
                .find(|x| x["name"] == json!(co))
                .unwrap_or_else(|| panic!("round {round}: acknowledged {co} is missing"));
            // `g…` sorts before `s…`.
            assert_eq!(
                got["states"],
                json!([{"xcode": g, "country": {"name": co}}, {"xcode": s, "country": {"name": co}}]),
                "round {round}: edges of acknowledged write {s}"
            );
        }
    }
    // All or nothing: every write adds one country and two states.
    let body = post(
        c,
        url,
        Some(token),
        "{ aggregateCountry { count } aggregateState { count } }",
        json!({}),
    )
    .await
    .unwrap();
    let countries = body["data"]["aggregateCountry"]["count"].as_u64().unwrap();
    let states = body["data"]["aggregateState"]["count"].as_u64().unwrap();
    assert_eq!(
        states,
        2 * countries,
        "round {round}: a write is half there: {body}"
    );
    eprintln!(
        "round {round}: {} writes acknowledged, {countries} stored",
        acked.len()
    );
    assert!(
        countries as usize >= acked.len()
            && countries as usize <= acked.len() + WRITERS * (round + 1),
        "round {round}: {countries} countries for {} acknowledged writes",
        acked.len()
    );
}
