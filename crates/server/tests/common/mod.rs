//! Test harness: a real server on ephemeral ports over a temp data dir, driven over HTTP.
#![allow(dead_code)]

use std::net::SocketAddr;

use graphcloud_server::{ServeConfig, Server};
use serde_json::{Value, json};

pub const EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestServer {
    pub control: SocketAddr,
    pub backend: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
    /// (admin URL, database name) of the PostgreSQL database this server owns.
    pg: Option<(String, String)>,
}

impl TestServer {
    /// A server whose metadata lives in SQLite in its data dir.
    pub async fn start() -> TestServer {
        Self::start_with(None).await
    }

    /// A server whose metadata lives in a fresh PostgreSQL database (dropped by `stop`), or
    /// `None` when `GRAPHCLOUD_SKIP_PG=1`. The admin URL is `GRAPHCLOUD_TEST_DATABASE_URL`
    /// (default `postgres://postgres@127.0.0.1:5432/postgres`); unreachable → panic.
    pub async fn start_pg() -> Option<TestServer> {
        use sqlx::Connection;
        if std::env::var("GRAPHCLOUD_SKIP_PG").is_ok_and(|v| v == "1") {
            eprintln!("GRAPHCLOUD_SKIP_PG=1: skipping the PostgreSQL variant");
            return None;
        }
        let admin = std::env::var("GRAPHCLOUD_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is unreachable at {admin}: {e}. Start it, point \
                 GRAPHCLOUD_TEST_DATABASE_URL at a server with trust auth, or set GRAPHCLOUD_SKIP_PG=1"
            )
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let db = format!("graphcloud_http_test_{}_{nanos}", std::process::id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let (base, _) = admin.rsplit_once('/').expect("database URL with a path");
        let mut server = Self::start_with(Some(format!("{base}/{db}"))).await;
        server.pg = Some((admin, db));
        Some(server)
    }

    async fn start_with(database_url: Option<String>) -> TestServer {
        Self::start_full(database_url, None).await
    }

    /// A server on SQLite whose backups go to `backup_url`.
    pub async fn start_with_backup_url(backup_url: String) -> TestServer {
        Self::start_full(None, Some(backup_url)).await
    }

    async fn start_full(database_url: Option<String>, backup_url: Option<String>) -> TestServer {
        Self::start_tuned(
            database_url,
            backup_url,
            graphcloud_server::Tuning::default(),
        )
        .await
    }

    /// A server with explicit [`graphcloud_server::Tuning`].
    pub async fn start_tuned(
        database_url: Option<String>,
        backup_url: Option<String>,
        tuning: graphcloud_server::Tuning,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ServeConfig {
            data_dir: dir.path().to_path_buf(),
            database_url,
            control_addr: "127.0.0.1:0".parse().unwrap(),
            backend_addr: "127.0.0.1:0".parse().unwrap(),
            base_domain: "localhost".into(),
            tls: None,
            control_tls: None,
            jwt_secret: None,
            request_timeout: graphcloud_server::DEFAULT_REQUEST_TIMEOUT,
            backup_url,
        };
        let expect_pg = cfg.database_url.is_some();
        let server = Server::bind_tuned(cfg, tuning).await.unwrap();
        let backend = server.control_plane().store().backend();
        assert_eq!(
            backend == graphcloud_control::StoreBackend::Postgres,
            expect_pg,
            "metadata store is {backend:?}"
        );
        server
            .control_plane()
            .create_user(EMAIL, PASSWORD, None)
            .await
            .unwrap();
        server
            .control_plane()
            .create_user("other@example.com", PASSWORD, None)
            .await
            .unwrap();
        let (control, backend) = (server.control_addr(), server.backend_addr());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        TestServer {
            control,
            backend,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            stop: Some(tx),
            task: Some(task),
            dir,
            pg: None,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if let Some((admin, db)) = self.pg.take() {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("reconnect");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop test database");
        }
    }

    pub fn cp(&self, path: &str) -> String {
        format!("http://{}{path}", self.control)
    }

    pub fn be(&self, path: &str) -> String {
        format!("http://{}{path}", self.backend)
    }

    /// POST /graphql on the control listener; returns (status, body).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.cp("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    pub async fn login_as(&self, email: &str) -> String {
        let (s, body) = self
            .gql(
                None,
                "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        assert_eq!(s, 200);
        body["data"]["login"]["token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    pub async fn login(&self) -> String {
        self.login_as(EMAIL).await
    }

    /// Creates a deployment through GraphQL; returns the Deployment object.
    pub async fn create(&self, token: &str, input: Value) -> Value {
        let (_, body) = self
            .gql(
                Some(token),
                "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid name url subdomain jwtToken deploymentMode deploymentType anonymousAccess owner zone lambdaScript } }",
                json!({ "i": input }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"]["createDeployment"].clone()
    }

    /// Creates an API key; returns the CreatedAPIKey object.
    pub async fn key(&self, token: &str, uid: &str, role: &str, expires_at: Option<&str>) -> Value {
        let (_, body) = self
            .gql(
                Some(token),
                "mutation($d: String!, $n: String!, $r: String!, $e: DateTime) { createDeploymentAPIKey(deploymentID: $d, name: $n, role: $r, expiresAt: $e) { uid name role key createdAt expiresAt } }",
                json!({ "d": uid, "n": format!("{role}-key"), "r": role, "e": expires_at }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"]["createDeploymentAPIKey"].clone()
    }
}
