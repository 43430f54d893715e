//! Both listeners over TLS with a self-signed certificate for `localhost` and `*.localhost`
//! (fixtures/localhost.crt, valid for 100 years; it names tlsapp.localhost explicitly because
//! rustls/webpki refuses a wildcard directly under a single-label domain like `*.localhost`), reached by name the way clients do.

use std::path::PathBuf;

use graphcloud_server::{ServeConfig, Server, TlsFiles};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[tokio::test]
async fn control_and_backend_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: fixture("localhost.crt"),
        key: fixture("localhost.key"),
    };
    let server = Server::bind(ServeConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        control_addr: "127.0.0.1:0".parse().unwrap(),
        backend_addr: "127.0.0.1:0".parse().unwrap(),
        base_domain: "localhost".into(),
        tls: Some(files.clone()),
        control_tls: Some(files),
        jwt_secret: None,
        request_timeout: graphcloud_server::DEFAULT_REQUEST_TIMEOUT,
        backup_url: None,
    })
    .await
    .unwrap();
    server
        .control_plane()
        .create_user("tls@example.com", "tls-password", None)
        .await
        .unwrap();
    let (control, backend) = (server.control_addr(), server.backend_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));

    let cert =
        reqwest::Certificate::from_pem(&std::fs::read(fixture("localhost.crt")).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(cert)
        .resolve("localhost", control)
        .resolve("tlsapp.localhost", backend)
        .build()
        .unwrap();
    let cp = format!("https://localhost:{}/graphql", control.port());
    let body: Value = client
        .post(&cp)
        .json(&json!({ "query": "{ login(email: \"tls@example.com\", password: \"tls-password\") { token } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["data"]["login"]["token"].as_str().unwrap().to_string();
    let body: Value = client
        .post(&cp)
        .bearer_auth(&token)
        .json(&json!({ "query": "mutation { createDeployment(input: {name: \"tlsapp\"}) { url jwtToken } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = body["data"]["createDeployment"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(url, format!("tlsapp.localhost:{}", backend.port()));
    let jwt = body["data"]["createDeployment"]["jwtToken"]
        .as_str()
        .unwrap();

    // The CLI's readiness poll and an admin call, by name over https.
    let r = client
        .request(reqwest::Method::OPTIONS, format!("https://{url}/graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("https://{url}/admin"))
        .header("Authorization", jwt)
        .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({ "data": { "getGQLSchema": { "schema": "" } } })
    );

    // Plain HTTP to a TLS listener does not get an answer.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(
        plain
            .get(format!("http://{backend}/health"))
            .send()
            .await
            .is_err()
    );

    let _ = tx.send(());
    task.await.unwrap();
}

#[tokio::test]
async fn bad_tls_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TlsFiles {
        cert: dir.path().join("nope.crt"),
        key: dir.path().join("nope.key"),
    };
    let err = Server::bind(ServeConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        control_addr: "127.0.0.1:0".parse().unwrap(),
        backend_addr: "127.0.0.1:0".parse().unwrap(),
        base_domain: "localhost".into(),
        tls: Some(missing),
        control_tls: None,
        jwt_secret: None,
        request_timeout: graphcloud_server::DEFAULT_REQUEST_TIMEOUT,
        backup_url: None,
    })
    .await
    .err()
    .expect("must fail");
    assert!(
        err.to_string()
            .starts_with("TLS configuration: cannot read"),
        "{err}"
    );
}
