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
}

impl TestServer {
    pub async fn start() -> TestServer {
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
        };
        let server = Server::bind(cfg).await.unwrap();
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
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
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
