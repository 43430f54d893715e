//! GraphQL-over-HTTP details of the backend listener, on a real server: automatic persisted
//! queries (`extensions.persistedQuery.sha256Hash`, POST and GET, `/graphql` and `/admin`,
//! per backend) and gzip request bodies (corrupt, truncated, empty, oversized after
//! decompression, on the GraphQL endpoints and on `POST /admin/schema`), and content codings
//! on the control listener.

mod common;

use std::io::Write;

use common::*;
use serde_json::{Value, json};

const SDL: &str = "type Person { id: ID! name: String! @search(by: [hash]) }";
/// `printf '%s' '{ queryPerson { name } }' | sha256sum`
const Q: &str = "{ queryPerson { name } }";
const Q_HASH: &str = "d0395c6095ade962da1dbeaa71c53a12f7f65a9e8c542dcc1cf043e197c4872c";
/// `printf '%s' '{ getGQLSchema { schema } }' | sha256sum`
const ADMIN_Q: &str = "{ getGQLSchema { schema } }";
const ADMIN_Q_HASH: &str = "41b673a4c68369b69a59e32672dca93c57931c377194b8a7650b40de2cf952cb";

struct Backend {
    sub: String,
    token: String,
}

async fn backend(s: &TestServer, name: &str) -> Backend {
    let t = s.login().await;
    let d = s.create(&t, json!({ "name": name })).await;
    let b = Backend {
        sub: d["subdomain"].as_str().unwrap().to_string(),
        token: d["jwtToken"].as_str().unwrap().to_string(),
    };
    let (status, r) = post_json(
        s,
        &b,
        "/admin",
        json!({
            "query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { id } } }",
            "variables": { "s": SDL }
        }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(r.get("errors").is_none(), "{r}");
    let (_, r) = post_json(
        s,
        &b,
        "/graphql",
        json!({ "query": "mutation { addPerson(input: [{name: \"Ada\"}]) { numUids } }" }),
    )
    .await;
    assert_eq!(r, json!({"data": {"addPerson": {"numUids": 1}}}));
    b
}

async fn post_json(s: &TestServer, b: &Backend, path: &str, body: Value) -> (u16, Value) {
    let resp = s
        .client
        .post(s.be(&format!("/backends/{}{path}", b.sub)))
        .header("X-Auth-Token", &b.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn post_raw(
    s: &TestServer,
    b: &Backend,
    path: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = s
        .client
        .post(s.be(&format!("/backends/{}{path}", b.sub)))
        .header("X-Auth-Token", &b.token)
        .header("content-type", content_type);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    let resp = req.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn one_error(message: &str) -> Value {
    json!({ "errors": [{ "message": message }] })
}

#[tokio::test]
async fn automatic_persisted_queries() {
    let s = TestServer::start().await;
    let b = backend(&s, "apq").await;
    let other = backend(&s, "apq-other").await;
    let people = json!({"data": {"queryPerson": [{"name": "Ada"}]}});

    // Hash only, never registered: HTTP 200 with Dgraph's error.
    let (status, r) = post_json(&s, &b, "/graphql", json!({ "extensions": apq(Q_HASH) })).await;
    assert_eq!((status, r), (200, one_error("PersistedQueryNotFound")));

    // A query with a hash that is not its SHA-256 is refused and not stored.
    let wrong = Q_HASH.replace('d', "e");
    let (status, r) = post_json(
        &s,
        &b,
        "/graphql",
        json!({ "query": Q, "extensions": apq(&wrong) }),
    )
    .await;
    assert_eq!(
        (status, r),
        (200, one_error("provided sha does not match query"))
    );
    let (_, r) = post_json(&s, &b, "/graphql", json!({ "extensions": apq(&wrong) })).await;
    assert_eq!(r, one_error("PersistedQueryNotFound"));

    // Query + its hash: runs and registers; then the hash alone runs it, by POST and by GET.
    let (_, r) = post_json(
        &s,
        &b,
        "/graphql",
        json!({ "query": Q, "extensions": apq(Q_HASH) }),
    )
    .await;
    assert_eq!(r, people);
    let (status, r) = post_json(&s, &b, "/graphql", json!({ "extensions": apq(Q_HASH) })).await;
    assert_eq!((status, r), (200, people.clone()));
    let ext = format!(r#"{{"persistedQuery":{{"version":1,"sha256Hash":"{Q_HASH}"}}}}"#);
    let resp = s
        .client
        .get(s.be(&format!(
            "/backends/{}/graphql?extensions={}",
            b.sub,
            percent_encode(&ext)
        )))
        .header("X-Auth-Token", &b.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), people);

    // A different query under a registered hash.
    let (_, r) = post_json(
        &s,
        &b,
        "/graphql",
        json!({ "query": "{ queryPerson { id } }", "extensions": apq(Q_HASH) }),
    )
    .await;
    assert_eq!(r, one_error("query does not match persisted query"));

    // An empty hash means no persisted query: the request runs as sent.
    let (_, r) = post_json(
        &s,
        &b,
        "/graphql",
        json!({ "query": Q, "extensions": apq("") }),
    )
    .await;
    assert_eq!(r, people);

    // Per backend: the other backend never saw the hash.
    let (_, r) = post_json(&s, &other, "/graphql", json!({ "extensions": apq(Q_HASH) })).await;
    assert_eq!(r, one_error("PersistedQueryNotFound"));

    // /admin follows the same rules.
    let (_, r) = post_json(&s, &b, "/admin", json!({ "extensions": apq(ADMIN_Q_HASH) })).await;
    assert_eq!(r, one_error("PersistedQueryNotFound"));
    let (_, r) = post_json(
        &s,
        &b,
        "/admin",
        json!({ "query": ADMIN_Q, "extensions": apq(ADMIN_Q_HASH) }),
    )
    .await;
    assert_eq!(r, json!({"data": {"getGQLSchema": {"schema": SDL}}}));
    let (_, r) = post_json(&s, &b, "/admin", json!({ "extensions": apq(ADMIN_Q_HASH) })).await;
    assert_eq!(r, json!({"data": {"getGQLSchema": {"schema": SDL}}}));

    // The credential is checked before the persisted query is looked up.
    let resp = s
        .client
        .post(s.be(&format!("/backends/{}/graphql", b.sub)))
        .json(&json!({ "extensions": apq(Q_HASH) }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = s
        .client
        .post(s.be(&format!("/backends/{}/graphql", b.sub)))
        .header("X-Auth-Token", &other.token)
        .json(&json!({ "extensions": apq(Q_HASH) }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    // A malformed persistedQuery is an unreadable request.
    let (status, r) = post_json(
        &s,
        &b,
        "/graphql",
        json!({ "extensions": { "persistedQuery": { "sha256Hash": 5 } } }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        r["errors"][0]["message"],
        "Not a valid GraphQL request body: extensions.persistedQuery.sha256Hash must be a string"
    );
    s.stop().await;
}

#[tokio::test]
async fn gzip_bodies_on_graphql_endpoints() {
    let s = TestServer::start().await;
    let b = backend(&s, "gz").await;
    let body = serde_json::to_vec(&json!({ "query": Q })).unwrap();
    let people = json!({"data": {"queryPerson": [{"name": "Ada"}]}});

    // A well-formed gzip body.
    let r = post_raw(
        &s,
        &b,
        "/graphql",
        "application/json",
        Some("gzip"),
        gzip(&body),
    )
    .await;
    assert_eq!(r, (200, people.clone()));
    let r = post_raw(
        &s,
        &b,
        "/graphql",
        "application/graphql",
        Some("gzip"),
        gzip(Q.as_bytes()),
    )
    .await;
    assert_eq!(r, (200, people.clone()));

    // Not gzip at all, empty, shorter than a gzip header: HTTP 200 with Dgraph's texts.
    for (endpoint, raw, text) in [
        ("/graphql", body.clone(), "gzip: invalid header"),
        ("/admin", body.clone(), "gzip: invalid header"),
        ("/graphql", Vec::new(), "EOF"),
        ("/graphql", vec![0x1f, 0x8b, 8], "unexpected EOF"),
    ] {
        let r = post_raw(&s, &b, endpoint, "application/json", Some("gzip"), raw).await;
        assert_eq!(
            r,
            (200, one_error(&format!("Unable to parse gzip: {text}"))),
            "{endpoint}"
        );
    }

    // A valid header followed by a cut-off stream.
    let gz = gzip(&body);
    let cut = gz[..gz.len() / 2].to_vec();
    let r = post_raw(
        &s,
        &b,
        "/graphql",
        "application/json",
        Some("gzip"),
        cut.clone(),
    )
    .await;
    assert_eq!(
        r,
        (
            200,
            one_error("Not a valid GraphQL request body: unexpected EOF")
        )
    );
    let r = post_raw(&s, &b, "/graphql", "application/graphql", Some("gzip"), cut).await;
    assert_eq!(
        r,
        (
            200,
            one_error("Could not read GraphQL request body: unexpected EOF")
        )
    );

    // A body that inflates past the 16 MiB limit stops there (a few KiB on the wire).
    let mut bomb = b"{\"query\": \"{ queryPerson { name } }\", \"x\": \"".to_vec();
    bomb.resize(17 * 1024 * 1024, b' ');
    let bomb = gzip(&bomb);
    assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
    let (status, r) = post_raw(&s, &b, "/graphql", "application/json", Some("gzip"), bomb).await;
    assert_eq!(status, 413);
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("16 MiB"),
        "{r}"
    );
    // Below the limit after decompression is fine.
    let mut padded = b"{\"query\": \"{ queryPerson { name } }\"".to_vec();
    padded.resize(8 * 1024 * 1024, b' ');
    padded.push(b'}');
    let r = post_raw(
        &s,
        &b,
        "/graphql",
        "application/json",
        Some("gzip"),
        gzip(&padded),
    )
    .await;
    assert_eq!(r, (200, people));
    s.stop().await;
}

#[tokio::test]
async fn gzip_bodies_on_admin_schema() {
    let s = TestServer::start().await;
    let b = backend(&s, "gz-schema").await;
    let sdl2 = "type Person { id: ID! name: String! @search(by: [hash]) nick: String }";
    let coded =
        |m: &str, code: &str| json!({"errors": [{"message": m, "extensions": {"code": code}}]});

    let r = post_raw(
        &s,
        &b,
        "/admin/schema",
        "text/plain",
        Some("gzip"),
        sdl2.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(r, (200, coded("Unable to create decompressor", "Error")));
    let r = post_raw(
        &s,
        &b,
        "/admin/schema",
        "text/plain",
        Some("br"),
        sdl2.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        r,
        (
            200,
            coded("Unsupported content encoding", "ErrorInvalidRequest")
        )
    );
    // Nothing was applied by the refused uploads.
    let (_, r) = post_json(&s, &b, "/admin", json!({ "query": ADMIN_Q })).await;
    assert_eq!(r, json!({"data": {"getGQLSchema": {"schema": SDL}}}));

    let r = post_raw(
        &s,
        &b,
        "/admin/schema",
        "text/plain",
        Some("gzip"),
        gzip(sdl2.as_bytes()),
    )
    .await;
    assert_eq!(
        r,
        (200, json!({"data": {"code": "Success", "message": "Done"}}))
    );
    let (_, r) = post_json(&s, &b, "/admin", json!({ "query": ADMIN_Q })).await;
    assert_eq!(r, json!({"data": {"getGQLSchema": {"schema": sdl2}}}));
    s.stop().await;
}

#[tokio::test]
async fn control_listener_content_codings_answer_json() {
    let s = TestServer::start().await;
    let post = |path: &str, enc: &str, body: Vec<u8>| {
        s.client
            .post(s.cp(path))
            .header("content-type", "application/json")
            .header("content-encoding", enc)
            .body(body)
            .send()
    };
    let login = serde_json::to_vec(&json!({
        "query": "mutation { login(email: \"x@example.com\", password: \"y\") { token } }"
    }))
    .unwrap();
    // An unsupported coding: the body is read as it is, and is not JSON.
    for enc in ["br", "deflate"] {
        let r = post("/graphql", enc, gzip(&login)).await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{enc}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Not a valid GraphQL request body"),
            "{enc}: {v}"
        );
        let r = post("/command-line/device-code", enc, b"\x00\x01".to_vec())
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{enc}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }
    // A gzip bomb stops at the 16 MiB limit.
    let mut bomb = b"{\"query\": \"".to_vec();
    bomb.resize(17 * 1024 * 1024, b' ');
    let r = post("/graphql", "gzip", gzip(&bomb)).await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("16 MiB"),
        "{v}"
    );
    // Gzip that is fine still works.
    let r = post("/graphql", "gzip", gzip(&login)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    s.stop().await;
}
