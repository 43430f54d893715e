//! Hostile requests on a backend's `/graphql` over real HTTP: a fragment bomb is refused with a
//! JSON error at once, a runaway request is stopped at the request timeout, its work stops
//! when the client disconnects, and shutdown does not wait for it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use graphcloud_server::{ServeConfig, Server};
use serde_json::{Value, json};

const SDL: &str = "type Person { id: ID! name: String! @search(by: [hash]) friends: [Person] }";

/// Each level spreads the previous fragment twice: 2^40 fields after expansion.
fn fragment_bomb() -> String {
    let mut q = String::from("query { queryPerson { ...F40 } }\nfragment F0 on Person { name }\n");
    for i in 1..=40 {
        q.push_str(&format!(
            "fragment F{i} on Person {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// Friends of friends, six levels deep, over a complete graph of 30 people: far more nodes
/// than the result limit, so it runs until a limit stops it.
/// 30 people, each everyone's friend: six levels of friends reach the result-node limit; each
/// level is sorted, so the work per node is more than a read.
const RUNAWAY: &str = "{ queryPerson { name friends(order: {desc: name}) { name friends(order: {desc: name}) { name friends(order: {desc: name}) { name friends(order: {desc: name}) { name friends(order: {desc: name}) { name friends(order: {desc: name}) { name } } } } } } } }";

struct Running {
    control: SocketAddr,
    backend: SocketAddr,
    server: graphcloud_server::BackendState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    sub: String,
    token: String,
    _dir: tempfile::TempDir,
}

async fn start(request_timeout: Duration) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServeConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        control_addr: "127.0.0.1:0".parse().unwrap(),
        backend_addr: "127.0.0.1:0".parse().unwrap(),
        base_domain: "localhost".into(),
        tls: None,
        control_tls: None,
        jwt_secret: None,
        request_timeout,
        backup_url: None,
    };
    let server = Server::bind(cfg).await.unwrap();
    let owner = server
        .control_plane()
        .create_user("owner@example.com", "correct-horse-battery", None)
        .await
        .unwrap();
    let d = server
        .control_plane()
        .create_deployment(
            &graphcloud_control::Actor {
                user_id: owner.id.clone(),
                email: owner.email.clone(),
            },
            graphcloud_control::NewDeployment {
                name: "hostile".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let backend = server.backend_addr();
    let control = server.control_addr();
    let backends = server.backends().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let r = Running {
        control,
        backend,
        server: backends,
        stop: tx,
        task,
        sub: d.subdomain.clone(),
        token: d.jwt_token.clone(),
        _dir: dir,
    };
    let body = r
        .post(
            "/admin",
            json!({"query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { id } } }", "variables": {"s": SDL}}),
            None,
        )
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    r
}

impl Running {
    async fn post(
        &self,
        path: &str,
        body: Value,
        timeout: Option<Duration>,
    ) -> reqwest::Result<Value> {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = client
            .post(format!(
                "http://{}/backends/{}{path}",
                self.backend, self.sub
            ))
            .header("X-Auth-Token", &self.token)
            .json(&body);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await?;
        assert_eq!(resp.status(), 200);
        resp.json().await
    }

    async fn gql(&self, query: &str) -> Value {
        self.post("/graphql", json!({ "query": query }), None)
            .await
            .unwrap()
    }

    /// 30 people, each a friend of all of them.
    async fn complete_graph(&self) {
        let people: Vec<Value> = (0..30).map(|i| json!({"name": format!("p{i}")})).collect();
        let r = self
            .post(
                "/graphql",
                json!({"query": "mutation($p: [AddPersonInput!]!) { addPerson(input: $p) { person { id } } }", "variables": {"p": people}}),
                None,
            )
            .await
            .unwrap();
        let ids: Vec<Value> = r["data"]["addPerson"]["person"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"id": p["id"]}))
            .collect();
        assert_eq!(ids.len(), 30, "{r}");
        let r = self
            .post(
                "/graphql",
                json!({"query": "mutation($f: [PersonRef]) { updatePerson(input: {filter: {has: name}, set: {friends: $f}}) { numUids } }", "variables": {"f": ids}}),
                None,
            )
            .await
            .unwrap();
        assert_eq!(r["data"]["updatePerson"]["numUids"], json!(30), "{r}");
    }

    async fn wait_idle(&self, within: Duration) -> Duration {
        let start = Instant::now();
        while self.server.in_flight() != 0 && start.elapsed() < within {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        start.elapsed()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn messages(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_gets_a_json_error_at_once() {
    let s = start(graphcloud_server::DEFAULT_REQUEST_TIMEOUT).await;
    let started = Instant::now();
    let r = s
        .post(
            "/graphql",
            json!({ "query": fragment_bomb() }),
            Some(Duration::from_secs(10)),
        )
        .await
        .expect("an answer within 10 s");
    eprintln!("fragment bomb answered in {:?}", started.elapsed());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        messages(&r),
        vec![format!(
            "the query selects {} fields after expanding fragments; the limit is 10000",
            (1u64 << 40) + 1
        )]
    );
    assert_eq!(r["data"], Value::Null);
    assert_eq!(s.server.in_flight(), 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_plane_refuses_bombs_too() {
    let s = start(graphcloud_server::DEFAULT_REQUEST_TIMEOUT).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut bomb = String::from("query { ...F40 }\nfragment F0 on Query { __typename }\n");
    for i in 1..=40 {
        bomb.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    let aliases = format!(
        "{{ {} }}",
        (0..100)
            .map(|i| format!("s{i}: __schema {{ types {{ name fields {{ name }} }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let cases = [
        (
            bomb,
            // 2^40 `__typename` fields at the root.
            format!(
                "the query selects {} fields after expanding fragments; the limit is 10000",
                1u64 << 40
            ),
        ),
        (
            aliases,
            "the query selects 200 introspection lists after expanding fragments; the limit is 40"
                .to_string(),
        ),
    ];
    for (query, want) in cases {
        let started = Instant::now();
        let resp = client
            .post(format!("http://{}/graphql", s.control))
            .json(&json!({ "query": query }))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("an answer within 10 s");
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(messages(&body), vec![want]);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_request_stops_at_the_request_timeout() {
    let s = start(Duration::from_millis(500)).await;
    s.complete_graph().await;
    let started = Instant::now();
    let r = s.gql(RUNAWAY).await;
    assert_eq!(
        messages(&r),
        vec!["the request exceeded the time limit of 500 ms"]
    );
    assert_eq!(r["data"], Value::Null);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_stops_when_the_client_disconnects_and_at_shutdown() {
    let s = start(Duration::from_secs(120)).await;
    s.complete_graph().await;
    // How long the request runs when nobody stops it (until the result-node limit).
    let started = Instant::now();
    let r = s.gql(RUNAWAY).await;
    let full = started.elapsed();
    assert_eq!(
        messages(&r),
        vec![
            "the result exceeds the limit of 1000000 nodes; narrow the query with filters or `first`"
        ]
    );
    assert!(
        // Long enough that the client below (which gives up after a quarter of it) leaves
        // mid-work, with time to tell a stopped request from one that finished.
        full > Duration::from_millis(400),
        "the runaway request must run long enough to observe: {full:?}"
    );

    // The client gives up after a quarter of the request's run time: the server stops the
    // work.
    let err = s
        .post("/graphql", json!({ "query": RUNAWAY }), Some(full / 4))
        .await
        .expect_err("the client times out");
    assert!(err.is_timeout(), "{err}");
    let idle = s.wait_idle(full).await;
    eprintln!("runaway request alone: {full:?}; stopped {idle:?} after the client left");
    assert_eq!(s.server.in_flight(), 0);
    assert!(
        idle < full / 2,
        "stopped {idle:?} after the disconnect; the request alone runs {full:?}"
    );

    // Shutdown while runaway requests run (three at once, so together they outlast the
    // drain): the server stops after the drain and their work stops with it.
    let mut running = Vec::new();
    for _ in 0..3 {
        let backend = s.backend;
        let sub = s.sub.clone();
        let token = s.token.clone();
        running.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let _ = client
                .post(format!("http://{backend}/backends/{sub}/graphql"))
                .header("X-Auth-Token", token)
                .json(&json!({ "query": RUNAWAY }))
                .send()
                .await;
        }));
    }
    while s.server.in_flight() < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backends = s.server.clone();
    let stopping = Instant::now();
    s.stop().await;
    let stopped_after = stopping.elapsed();
    let start_idle = Instant::now();
    while backends.in_flight() != 0 && start_idle.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(backends.in_flight(), 0);
    let idle_after = stopping.elapsed();
    for r in running {
        let _ = r.await;
    }
    eprintln!(
        "shutdown with runaway requests: server stopped after {stopped_after:?}, their work after {idle_after:?}"
    );
    assert!(
        idle_after < stopped_after + Duration::from_secs(3),
        "the work outlived the server: {idle_after:?} vs {stopped_after:?}"
    );
    assert!(
        stopping.elapsed() < graphcloud_server::SHUTDOWN_DRAIN + Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
}
