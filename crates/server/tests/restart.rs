//! Crash persistence and measurements with the server in a separate process: the test binary
//! re-runs itself as the server (`child_server`, selected by environment variables), so the
//! server can be `kill -9`ed and restarted over the same data directory.
//!
//! `measure` (ignored; run with `cargo test -p graphcloud-server --test restart -- --ignored
//! --nocapture measure`) prints cold-start time, `createDeployment` p50/p99 and resident
//! memory with 1 000 deployments.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graphcloud_control::{ControlConfig, ControlPlane};
use serde_json::{Value, json};

const EMAIL: &str = "crash@example.com";
const PASSWORD: &str = "crash-test-password";

/// Runs the server when spawned by `spawn_server`; does nothing in a normal test run.
#[test]
fn child_server() {
    let (Ok(dir), Ok(control), Ok(backend)) = (
        std::env::var("GRAPHCLOUD_TEST_CHILD_DIR"),
        std::env::var("GRAPHCLOUD_TEST_CHILD_CONTROL"),
        std::env::var("GRAPHCLOUD_TEST_CHILD_BACKEND"),
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

struct Spawned {
    child: Child,
    control: SocketAddr,
    backend: SocketAddr,
}

/// Spawns the server process and waits until it answers; returns it and the time to ready.
async fn spawn_server(
    dir: &std::path::Path,
    control: SocketAddr,
    backend: SocketAddr,
) -> (Spawned, Duration) {
    let started = Instant::now();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
        .env("GRAPHCLOUD_TEST_CHILD_DIR", dir)
        .env("GRAPHCLOUD_TEST_CHILD_CONTROL", control.to_string())
        .env("GRAPHCLOUD_TEST_CHILD_BACKEND", backend.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    loop {
        if let Ok(r) = client.get(format!("http://{control}/health")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (
        Spawned {
            child,
            control,
            backend,
        },
        started.elapsed(),
    )
}

async fn gql(
    c: &reqwest::Client,
    at: SocketAddr,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Value {
    let mut req = c
        .post(format!("http://{at}/graphql"))
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

async fn login(c: &reqwest::Client, at: SocketAddr) -> String {
    let body = gql(
        c,
        at,
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({ "e": EMAIL, "p": PASSWORD }),
    )
    .await;
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {body}"))
        .to_string()
}

/// Creates the user next to a running server, as `graphcloud user create` does.
async fn create_user_beside(dir: &std::path::Path) {
    let cp = ControlPlane::open(ControlConfig {
        data_dir: dir.to_path_buf(),
        database_url: None,
        base_domain: "localhost".into(),
        backend_port: 8080,
        jwt_secret: None,
    })
    .await
    .unwrap();
    cp.create_user(EMAIL, PASSWORD, None).await.unwrap();
    cp.shutdown().await;
}

#[tokio::test]
async fn kill_9_and_restart_keeps_users_deployments_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (control, backend) = (free_port(), free_port());
    let (mut srv, _) = spawn_server(dir.path(), control, backend).await;
    create_user_beside(dir.path()).await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = login(&c, control).await;
    let d = gql(
        &c,
        control,
        Some(&t),
        "mutation { createDeployment(input: {name: \"survivor\"}) { uid jwtToken } }",
        json!({}),
    )
    .await;
    let uid = d["data"]["createDeployment"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let jwt = d["data"]["createDeployment"]["jwtToken"]
        .as_str()
        .unwrap()
        .to_string();
    let k = gql(&c, control, Some(&t), "mutation($d: String!) { createDeploymentAPIKey(deploymentID: $d, name: \"k\", role: \"client\") { key } }", json!({ "d": uid })).await;
    let key = k["data"]["createDeploymentAPIKey"]["key"]
        .as_str()
        .unwrap()
        .to_string();

    srv.child.kill().unwrap(); // SIGKILL
    srv.child.wait().unwrap();
    assert!(
        c.get(format!("http://{}/health", srv.control))
            .send()
            .await
            .is_err()
    );

    let (mut srv, _) = spawn_server(dir.path(), control, backend).await;
    // The old session token still verifies (same key file), and login still works.
    let body = gql(
        &c,
        control,
        Some(&t),
        "{ deployments { uid name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["deployments"],
        json!([{ "uid": uid, "name": "survivor" }])
    );
    login(&c, control).await;
    for (header, cred, path, want) in [
        ("X-Auth-Token", key.as_str(), "/graphql", 200),
        ("X-Auth-Token", key.as_str(), "/admin", 403),
        ("Authorization", jwt.as_str(), "/admin", 200),
    ] {
        let r = c
            .post(format!("http://{}/backends/survivor{path}", srv.backend))
            .header(header, cred)
            .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "{header} {path}");
    }
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test]
#[ignore = "measurement: prints numbers, asserts nothing about speed"]
async fn measure() {
    let dir = tempfile::tempdir().unwrap();
    let (control, backend) = (free_port(), free_port());
    // Cold start on an empty data dir (creates the database and key), then a warm restart.
    let (mut srv, cold_empty) = spawn_server(dir.path(), control, backend).await;
    create_user_beside(dir.path()).await;
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    let (srv, cold) = spawn_server(dir.path(), control, backend).await;
    let pid = srv.child.id();
    let rss_start = rss_kib(pid);
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = login(&c, control).await;
    let mut lat = Vec::new();
    for i in 0..1000 {
        let q = format!(
            "mutation {{ createDeployment(input: {{name: \"bench {i}\"}}) {{ uid url jwtToken }} }}"
        );
        let start = Instant::now();
        let body = gql(&c, control, Some(&t), &q, json!({})).await;
        lat.push(start.elapsed());
        assert!(
            body["data"]["createDeployment"]["uid"].is_string(),
            "{body}"
        );
    }
    // Touch every backend once so the front-door caches are populated.
    for i in 0..1000 {
        let r = c
            .get(format!(
                "http://{}/backends/bench-{i}/probe/graphql",
                srv.backend
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_1000 = rss_kib(pid);
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!("cold start (empty data dir, process spawn to first /health 200): {cold_empty:?}");
    println!("cold start (existing data dir): {cold:?}");
    println!(
        "createDeployment over HTTP (n={}): p50 {:?}, p99 {:?}, max {:?}",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat[lat.len() - 1]
    );
    println!(
        "resident memory: at start {rss_start:?} KiB, with 1000 deployments (each probed once) {rss_1000:?} KiB"
    );
    let mut child = srv.child;
    child.kill().unwrap();
    child.wait().unwrap();
}
