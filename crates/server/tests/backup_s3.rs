//! Backups in S3-compatible storage: a real S3 server (`moto_server`, installed by `.ci/run`)
//! on a free port, the server started with `--backup-url s3://bucket/prefix` and the standard
//! `AWS_*` variables. Without `moto_server` the test is skipped with a message, except in
//! CI (`CI=true`), where it fails.

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::{Value, json};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_moto() -> Option<(Moto, String)> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("moto_server is required in CI (pip install 'moto[server]'): {e}");
            }
            eprintln!(
                "backup_s3: skipped: moto_server is not installed ({e}); pip install 'moto[server]'"
            );
            return None;
        }
    };
    let moto = Moto(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..200 {
        if client.get(&endpoint).send().await.is_ok() {
            return Some((moto, endpoint));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("moto_server did not start on {endpoint}");
}

async fn call(s: &TestServer, d: &Value, path: &str, query: &str, variables: Value) -> Value {
    let resp = s
        .client
        .post(s.be(&format!(
            "/backends/{}{path}",
            d["subdomain"].as_str().unwrap()
        )))
        .header("X-Auth-Token", d["jwtToken"].as_str().unwrap())
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

/// The bucket's object listing under `prefix` (moto accepts unsigned requests).
async fn bucket_listing(http: &reqwest::Client, endpoint: &str, prefix: &str) -> String {
    http.get(format!("{endpoint}/backups?list-type=2&prefix={prefix}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_land_in_the_bucket_and_restore_from_it() {
    let Some((_moto, endpoint)) = start_moto().await else {
        return;
    };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // Create the bucket (moto accepts unsigned requests).
    let resp = http
        .put(format!("{endpoint}/backups"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    // SAFETY: this test binary runs this single test; nothing reads the environment
    // concurrently while it is set.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ALLOW_HTTP", "true");
    }
    let s = TestServer::start_with_backup_url("s3://backups/graphcloud/test".into()).await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "S3 source"})).await;
    let a_uid = a["uid"].as_str().unwrap().to_string();
    let body = call(
        &s,
        &a,
        "/admin",
        "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema } } }",
        json!({"s": "type Note { id: ID! text: String! }"}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let body = call(
        &s,
        &a,
        "/graphql",
        "mutation { addNote(input: [{text: \"one\"}, {text: \"two\"}]) { numUids } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["addNote"]["numUids"], 2, "{body}");

    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($d: String!) { createBackup(deploymentID: $d) { backupNum folder type } }",
            json!({"d": a_uid}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let folder = body["data"]["createBackup"]["folder"]
        .as_str()
        .unwrap()
        .to_string();

    // The objects are in the bucket under the prefix.
    let listing = bucket_listing(&http, &endpoint, "graphcloud/test/").await;
    for name in ["manifest.json", "data.gz"] {
        let key = format!("<Key>graphcloud/test/{a_uid}/{folder}/000001/{name}</Key>");
        assert!(listing.contains(&key), "{key} missing in {listing}");
    }

    // Clone from the bucket.
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid subdomain jwtToken } }",
            json!({"i": {"name": "S3 clone", "cloneFrom": {"deploymentID": a_uid}}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let c = body["data"]["createDeployment"].clone();
    let body = call(
        &s,
        &c,
        "/graphql",
        "{ queryNote(order: {asc: text}) { text } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["queryNote"],
        json!([{"text": "one"}, {"text": "two"}])
    );

    // listBackups on /admin/slash reads the bucket.
    let body = call(
        &s,
        &a,
        "/admin/slash",
        "{ listBackups { response { backupNum type folder } errors { message } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["listBackups"],
        json!({"response": [[{"backupNum": 1, "type": "full", "folder": folder}]], "errors": []})
    );

    // Exports land in the bucket too, and their signed URLs download without credentials.
    let body = call(
        &s,
        &a,
        "/admin/slash",
        "mutation { export(format: \"rdf\") { signedUrls exportId } }",
        json!({}),
    )
    .await;
    let urls = body["data"]["export"]["signedUrls"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    let export_id = body["data"]["export"]["exportId"].as_str().unwrap();
    let mut rdf = String::new();
    for u in &urls {
        let u = u.as_str().unwrap();
        let resp = http.get(u).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{u}");
        let bytes = resp.bytes().await.unwrap();
        if u.contains("g01.rdf.gz") {
            use std::io::Read;
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_string(&mut rdf)
                .unwrap();
        }
    }
    assert!(rdf.contains("\"one\""), "{rdf}");
    let listing = bucket_listing(&http, &endpoint, "graphcloud/test/exports/").await;
    for name in ["g01.rdf.gz", "g01.schema.gz", "g01.gql_schema.gz"] {
        let key = format!("<Key>graphcloud/test/exports/{a_uid}/{export_id}/{name}</Key>");
        assert!(listing.contains(&key), "{key} missing in {listing}");
    }

    // A deep freeze moves the data into the bucket; the next request thaws it from there.
    let body = call(
        &s,
        &a,
        "/admin/slash",
        "mutation { freeze(deepFreeze: true, backup: false) }",
        json!({}),
    )
    .await;
    assert!(body["data"]["freeze"].is_string(), "{body}");
    let frozen = format!("graphcloud/test/_frozen/{a_uid}/");
    let listing = bucket_listing(&http, &endpoint, &frozen).await;
    assert!(listing.contains("manifest.json</Key>"), "{listing}");
    let body = call(&s, &a, "/graphql", "{ queryNote { text } }", json!({})).await;
    assert_eq!(
        body["data"]["queryNote"],
        json!([{"text": "one"}, {"text": "two"}])
    );
    let listing = bucket_listing(&http, &endpoint, &frozen).await;
    assert!(
        !listing.contains("<Key>"),
        "the frozen copy is removed: {listing}"
    );
    s.stop().await;
}
