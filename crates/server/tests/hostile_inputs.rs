//! Hostile inputs on every endpoint of both listeners, sent over raw TCP so that nothing a
//! well-behaved client library would refuse to send is off limits: malformed and mistyped JSON,
//! huge and deeply nested bodies, invalid UTF-8, NUL bytes, wrong content types and methods,
//! huge headers, overlong paths and hosts, bad percent-encoding, absurd numbers, bodies that
//! never end and many bad requests at once.
//!
//! Every answer must be an HTTP response with a JSON body of the endpoint's error shape
//! (GraphQL `errors[]` on GraphQL endpoints and the backend front door, `{"error": …}` on the
//! control listener's REST paths), never a 500, a hang, a reset or a non-JSON body. The client
//! timeout only detects hangs; it is not a timing assertion. Afterwards the server must still
//! answer normally and the data written before the battery must be intact.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous bound after which a request counts as hung.
const HANG: Duration = Duration::from_secs(40);

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = find(raw, b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&raw[..end]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        raw = &raw[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if raw.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

fn parse_answer(raw: &[u8]) -> Result<Answer, String> {
    if raw.is_empty() {
        return Err("connection closed without an answer".into());
    }
    let head_end = find(raw, b"\r\n\r\n").ok_or_else(|| {
        format!(
            "no complete response head: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        )
    })?;
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[head_end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Writes `request` (optionally stalling for `stall` afterwards without closing) and reads the
/// answer until the server closes the connection.
async fn send_raw(addr: SocketAddr, request: Vec<u8>) -> Result<Answer, String> {
    let run = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // The server may answer (and close) before it has read everything we send.
        let write = s.write_all(&request).await;
        let mut raw = Vec::new();
        let read = s.read_to_end(&mut raw).await;
        match (write, read) {
            (_, Ok(_)) if !raw.is_empty() => parse_answer(&raw),
            (Err(e), _) => Err(format!("write failed: {e}")),
            (_, Err(e)) => Err(format!("read failed: {e}")),
            _ => parse_answer(&raw),
        }
    };
    tokio::time::timeout(HANG, run)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {HANG:?}")))
}

/// An HTTP/1.1 request; `Content-Length` is added for a body unless `headers` frames it.
fn request(method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !framed && (!body.is_empty() || !matches!(method, "GET" | "HEAD" | "OPTIONS")) {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The error shape an endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// `{"errors":[{"message": …}, …]}`.
    GraphQL,
    /// `{"error": "…"}` (REST, device-token OAuth errors).
    Rest,
    /// Not HTTP/1.1 the server can parse (invalid header bytes, headers or request target over
    /// the HTTP layer's limits, an unparsable request line or `Content-Length`): the HTTP layer
    /// answers with a 4xx status and closes the connection before any endpoint is known.
    Protocol,
}

/// Checks one answer; returns a description of what is wrong with it.
/// `GET /device` (the only non-JSON page) may answer its HTML.
fn judge_at(
    answer: &Result<Answer, String>,
    shape: Shape,
    method: &str,
    path: &str,
) -> Result<(), String> {
    let a = answer.as_ref().map_err(Clone::clone)?;
    if method == "GET"
        && path.starts_with("/device")
        && a.status == 200
        && a.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    {
        return Ok(());
    }
    if shape == Shape::Protocol {
        return match a.status {
            400 | 414 | 431 => Ok(()),
            s => Err(format!("protocol error answered with status {s}")),
        };
    }
    // 501: the DQL endpoints are not served yet (ARCHITECTURE.md, "Not yet served").
    if a.status >= 500 && a.status != 503 && a.status != 501 {
        return Err(format!(
            "server error {}: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ));
    }
    if method == "HEAD" || (method == "OPTIONS" && a.status < 300) {
        return Ok(());
    }
    let ct = a.header("content-type").unwrap_or("");
    let body: Value = serde_json::from_slice(&a.body).map_err(|e| {
        format!(
            "status {} content-type {ct:?}: body is not JSON ({e}): {:?}",
            a.status,
            String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
        )
    })?;
    if !ct.starts_with("application/json") {
        return Err(format!(
            "status {}: JSON body with content-type {ct:?}",
            a.status
        ));
    }
    let has_graphql_errors = body["errors"]
        .as_array()
        .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["message"].is_string()));
    let has_rest_error = body["error"].is_string();
    let is_error = a.status >= 400 || body.get("errors").is_some();
    if is_error {
        let ok = match shape {
            Shape::GraphQL => has_graphql_errors,
            Shape::Rest => has_rest_error,
            Shape::Protocol => true,
        };
        if !ok {
            return Err(format!(
                "status {}: error body not of the {shape:?} shape: {body}",
                a.status
            ));
        }
    }
    Ok(())
}

struct Target {
    method: &'static str,
    path: String,
    host: String,
    shape: Shape,
    /// Credential headers that get the request past authentication.
    auth: Vec<(String, String)>,
}

/// Every endpoint of both listeners, with the credential that reaches its body handling.
/// `session` belongs to a user who owns nothing, so that a hostile request that happens to be
/// valid (`revoke-all`, `DELETE /deployment/<uid>`) cannot touch the data checked afterwards.
fn targets(s: &TestServer, session: &str, sub: &str, deploy_token: &str, uid: &str) -> Vec<Target> {
    let cp_host = s.control.to_string();
    let bearer = vec![("Authorization".to_string(), format!("Bearer {session}"))];
    let mut out = Vec::new();
    out.push(Target {
        method: "POST",
        path: "/graphql".into(),
        host: cp_host.clone(),
        shape: Shape::GraphQL,
        auth: bearer.clone(),
    });
    for (method, path) in [
        ("POST", "/command-line/device-code".to_string()),
        ("POST", "/command-line/access-token".into()),
        ("POST", "/command-line/access-token/refresh".into()),
        ("POST", "/command-line/access-token/revoke".into()),
        ("POST", "/command-line/access-token/revoke-all".into()),
        ("GET", "/deployments".into()),
        ("POST", "/deployments/create".into()),
        ("PATCH", format!("/deployment/{uid}")),
        ("DELETE", "/deployment/0xffffffff".into()),
        ("POST", format!("/deployments/{uid}/api-keys")),
        ("POST", format!("/deployment/{uid}/api-keys")),
        ("POST", "/device".into()),
        ("GET", "/health".into()),
        ("GET", "/no/such/path".into()),
    ] {
        out.push(Target {
            method,
            path,
            host: cp_host.clone(),
            shape: Shape::Rest,
            auth: bearer.clone(),
        });
    }
    let key = vec![("X-Auth-Token".to_string(), deploy_token.to_string())];
    let be_port = s.backend.port();
    for (method, path) in [
        ("POST", "/graphql"),
        ("POST", "/admin"),
        ("POST", "/admin/slash"),
        ("POST", "/admin/schema"),
        ("POST", "/admin/schema/validate"),
        ("GET", "/probe/graphql"),
        ("GET", "/health"),
        ("POST", "/query"),
        ("POST", "/mutate"),
        ("POST", "/commit"),
        ("POST", "/alter"),
        ("POST", "/nowhere"),
    ] {
        out.push(Target {
            method,
            path: path.into(),
            host: format!("{sub}.localhost:{be_port}"),
            shape: Shape::GraphQL,
            auth: key.clone(),
        });
        out.push(Target {
            method,
            path: format!("/backends/{sub}{path}"),
            host: s.backend.to_string(),
            shape: Shape::GraphQL,
            auth: key.clone(),
        });
    }
    out
}

fn addr_of(s: &TestServer, t: &Target) -> SocketAddr {
    if t.host == s.control.to_string() {
        s.control
    } else {
        s.backend
    }
}

/// Hostile JSON-ish bodies.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = "[".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(100_000);
    let huge_string = format!("{{\"query\": \"{}\"}}", "a".repeat(4 * 1024 * 1024));
    let many_keys = format!(
        "{{{}\"query\":\"{{__typename}}\"}}",
        (0..100_000)
            .map(|i| format!("\"k{i}\":{i},"))
            .collect::<String>()
    );
    let mut v: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b"  \n\t ".to_vec()),
        ("truncated", b"{\"query\": ".to_vec()),
        ("garbage", b"}{][:,".to_vec()),
        ("null", b"null".to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"{ __typename }\"".to_vec()),
        ("number", b"123".to_vec()),
        ("query number", br#"{"query": 1}"#.to_vec()),
        ("query object", br#"{"query": {"a": 1}}"#.to_vec()),
        ("query array", br#"{"query": ["{ __typename }"]}"#.to_vec()),
        ("variables string", br#"{"query": "{ __typename }", "variables": "x"}"#.to_vec()),
        ("variables array", br#"{"query": "{ __typename }", "variables": [1]}"#.to_vec()),
        ("variables number", br#"{"query": "{ __typename }", "variables": 5}"#.to_vec()),
        (
            "operationName object",
            br#"{"query": "{ __typename }", "operationName": {}}"#.to_vec(),
        ),
        (
            "operationName number",
            br#"{"query": "{ __typename }", "operationName": 7}"#.to_vec(),
        ),
        ("extensions array", br#"{"query": "{ __typename }", "extensions": []}"#.to_vec()),
        (
            "duplicate keys",
            br#"{"query": "{ __typename }", "query": 5, "variables": {}, "variables": []}"#.to_vec(),
        ),
        ("1e999", br#"{"query": "query($n: Int) { __typename }", "variables": {"n": 1e999}}"#.to_vec()),
        ("-0", br#"{"query": "query($n: Int) { __typename }", "variables": {"n": -0}}"#.to_vec()),
        (
            "2^64",
            br#"{"query": "query($n: Int) { __typename }", "variables": {"n": 18446744073709551616}}"#.to_vec(),
        ),
        (
            "huge int",
            format!("{{\"query\": \"query($n: Int) {{ __typename }}\", \"variables\": {{\"n\": 1{}}}}}", "0".repeat(100_000)).into_bytes(),
        ),
        ("invalid utf-8", b"{\"query\": \"{ \xff\xfe\xfd }\"}".to_vec()),
        ("lone surrogate", br#"{"query": "{ \ud800 }"}"#.to_vec()),
        ("raw NUL", b"{\"query\": \"{ __typename \0 }\"}".to_vec()),
        ("escaped NUL", br#"{"query": "{ __typename \u0000 }"}"#.to_vec()),
        ("NUL bytes only", vec![0u8; 1024]),
        ("deep arrays", deep.into_bytes()),
        ("deep objects", deep_obj.into_bytes()),
        ("deep variables", format!("{{\"query\": \"{{ __typename }}\", \"variables\": {{\"v\": {}}}}}", "[".repeat(100_000)).into_bytes()),
        ("huge string", huge_string.into_bytes()),
        ("many keys", many_keys.into_bytes()),
        // REST fields of the wrong types and absurd values.
        (
            "rest wrong types",
            br#"{"deviceCode": 5, "device_code": [], "refreshToken": {}, "name": 1e999, "role": -0, "expiresAt": 18446744073709551616, "zone": [], "deploymentMode": 3, "subdomain": null}"#.to_vec(),
        ),
        (
            "rest absurd strings",
            format!("{{\"name\": \"{}\", \"role\": \"\\u0000\", \"expiresAt\": \"9999999999-99-99\", \"refreshToken\": \"\\ud800\"}}", "n".repeat(1_000_000)).into_bytes(),
        ),
    ];
    v.push(("over the body limit", vec![b' '; 17 * 1024 * 1024]));
    v
}

struct Case {
    label: String,
    path: String,
    addr: SocketAddr,
    bytes: Vec<u8>,
    shape: Shape,
    method: String,
}

async fn run_cases(cases: Vec<Case>, concurrency: usize) -> Vec<String> {
    futures::stream::iter(cases)
        .map(|c| async move {
            let answer = send_raw(c.addr, c.bytes).await;
            judge_at(&answer, c.shape, &c.method, &c.path)
                .err()
                .map(|e| format!("{}: {e}", c.label))
        })
        .buffer_unordered(concurrency)
        .filter_map(|r| async move { r })
        .collect()
        .await
}

fn auth_headers(t: &Target) -> Vec<(&str, &str)> {
    t.auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn with_auth<'a>(t: &'a Target, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = auth_headers(t);
    h.extend_from_slice(extra);
    h
}

/// The server, a deployment with a schema and one stored object, and a session token.
async fn setup() -> (TestServer, String, Value) {
    let s = TestServer::start().await;
    let session = s.login().await;
    let d = s.create(&session, json!({ "name": "victim" })).await;
    let sub = d["subdomain"].as_str().unwrap().to_string();
    let token = d["jwtToken"].as_str().unwrap().to_string();
    let r = s
        .client
        .post(s.be(&format!("/backends/{sub}/admin/schema")))
        .header("X-Auth-Token", &token)
        .body("type Person { id: ID! name: String! @search(by: [hash]) age: Int score: Float }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let out = backend_gql(
        &s,
        &sub,
        &token,
        "mutation { addPerson(input: [{name: \"Ada\", age: 36, score: 1.5}]) { person { name } } }",
    )
    .await;
    assert_eq!(
        out["data"]["addPerson"]["person"][0]["name"], "Ada",
        "{out}"
    );
    (s, session, d)
}

async fn backend_gql(s: &TestServer, sub: &str, token: &str, query: &str) -> Value {
    s.client
        .post(s.be(&format!("/backends/{sub}/graphql")))
        .header("X-Auth-Token", token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// After a battery: both listeners still answer normally and the data is intact.
async fn still_healthy(s: &TestServer, session: &str, d: &Value) {
    let sub = d["subdomain"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let out = backend_gql(s, sub, token, "{ queryPerson { name age score } }").await;
    assert_eq!(
        out,
        json!({ "data": { "queryPerson": [{ "name": "Ada", "age": 36, "score": 1.5 }] } })
    );
    let (status, body) = s
        .gql(
            Some(session),
            "{ deployments { name subdomain } }",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["deployments"],
        json!([{ "name": "victim", "subdomain": sub }])
    );
    let r = s
        .client
        .get(format!("http://{}/backends/{sub}/probe/graphql", s.backend))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} hostile requests were answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn hostile_bodies_on_every_endpoint() {
    let (s, session, d) = setup().await;
    let sub = d["subdomain"].as_str().unwrap();
    let uid = d["uid"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let mut cases = Vec::new();
    let other = s.login_as("other@example.com").await;
    for t in targets(&s, &other, sub, token, uid) {
        let addr = addr_of(&s, &t);
        for (name, body) in bodies() {
            for ct in [
                Some("application/json"),
                Some("application/graphql"),
                Some("application/x-www-form-urlencoded"),
                Some("text/plain; charset=utf-16"),
                None,
            ] {
                let mut h = auth_headers(&t);
                if let Some(ct) = ct {
                    h.push(("Content-Type", ct));
                }
                // Large bodies once, with the JSON content type only.
                if body.len() > 64 * 1024 && ct != Some("application/json") {
                    continue;
                }
                cases.push(Case {
                    path: t.path.clone(),
                    label: format!("{} {} [{name}] ct={ct:?}", t.method, t.path),
                    addr,
                    bytes: request(t.method, &t.path, &t.host, &h, &body),
                    shape: t.shape,
                    method: t.method.to_string(),
                });
            }
        }
    }
    let failures = run_cases(cases, 8).await;
    for f in &failures {
        eprintln!("{f}");
    }
    still_healthy(&s, &session, &d).await;
    report(failures);
    s.stop().await;
}

/// Cases the HTTP layer refuses before routing (see [`Shape::Protocol`]).
const PROTOCOL_CASES: &[&str] = &[
    "garbage credential",
    "huge header",
    "500 headers",
    "overlong path",
    "bad content-length",
    "bad request line",
];

/// Cases that append path segments to the endpoint's path.
const PATH_CASES: &[&str] = &[
    "long path",
    "bad percent",
    "non-UTF-8 percent",
    "percent NUL",
];

#[tokio::test]
async fn hostile_requests_lines_headers_and_framing() {
    let (s, session, d) = setup().await;
    let sub = d["subdomain"].as_str().unwrap();
    let uid = d["uid"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let body = br#"{"query": "{ __typename }"}"#;
    let mut cases = Vec::new();
    let other = s.login_as("other@example.com").await;
    let targets = targets(&s, &other, sub, token, uid);
    let long_value: &'static str = "v".repeat(60 * 1024).leak();
    let huge_value: &'static str = "v".repeat(2 * 1024 * 1024).leak();
    for t in &targets {
        let addr = addr_of(&s, t);
        let mut push = |label: String, bytes: Vec<u8>, method: &str| {
            let shape = if PROTOCOL_CASES.contains(&label.as_str()) {
                Shape::Protocol
            } else if PATH_CASES.contains(&label.as_str()) && addr == s.control {
                // `/graphql/<junk>` is no GraphQL endpoint but an unknown REST path.
                Shape::Rest
            } else {
                t.shape
            };
            cases.push(Case {
                path: t.path.clone(),
                label: format!("{} {} [{label}]", t.method, t.path),
                addr,
                bytes,
                shape,
                method: method.to_string(),
            });
        };
        let json_ct = [("Content-Type", "application/json")];
        let with = |extra: &[(&'static str, &'static str)]| with_auth(t, extra);
        for m in [
            "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "M-SEARCH",
        ] {
            push(
                format!("method {m}"),
                request(m, &t.path, &t.host, &with(&json_ct), body),
                m,
            );
        }
        // Without any credential.
        push(
            "no credential".into(),
            request(t.method, &t.path, &t.host, &json_ct, body),
            t.method,
        );
        push(
            "garbage credential".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", "Bearer \u{7f}\u{1}x.y.z"),
                    ("X-Auth-Token", "%FF%00"),
                ],
                body,
            ),
            t.method,
        );
        push(
            "long header".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[("Content-Type", "application/json"), ("X-Junk", long_value)]),
                body,
            ),
            t.method,
        );
        push(
            "huge header".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[("Content-Type", "application/json"), ("X-Junk", huge_value)]),
                body,
            ),
            t.method,
        );
        let many: Vec<(String, String)> = (0..500)
            .map(|i| (format!("X-H{i}"), "1".to_string()))
            .collect();
        let mut h = with(&json_ct);
        h.extend(many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        push(
            "500 headers".into(),
            request(t.method, &t.path, &t.host, &h, body),
            t.method,
        );
        push(
            "long Host".into(),
            request(
                t.method,
                &t.path,
                &format!("{}.localhost", "h".repeat(60 * 1024)),
                &with(&json_ct),
                body,
            ),
            t.method,
        );
        push(
            "bad Host bytes".into(),
            {
                let mut r = request(t.method, &t.path, &t.host, &with(&json_ct), body);
                let pos = find(&r, b"\r\n").unwrap() + 2;
                r.splice(pos..pos, b"X-Bin: \xff\xfe\x80\r\n".iter().copied());
                r
            },
            t.method,
        );
        for (label, suffix) in [
            ("long path", format!("/{}", "p".repeat(60 * 1024))),
            ("overlong path", format!("/{}", "p".repeat(100 * 1024))),
            ("bad percent", "/%ZZ%".to_string()),
            ("non-UTF-8 percent", "/%FF%FE".to_string()),
            ("percent NUL", "/%00".to_string()),
            (
                "query string",
                "?query=%FF%FE&variables=%7B%22a%22:1e999%7D&operationName=%00".to_string(),
            ),
            ("bad query string", "?%%%=%ZZ&&==".to_string()),
        ] {
            push(
                label.into(),
                request(
                    t.method,
                    &format!("{}{suffix}", t.path),
                    &t.host,
                    &with(&json_ct),
                    body,
                ),
                t.method,
            );
        }
        push(
            "length mismatch short".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Content-Length", "5"),
                ]),
                body,
            ),
            t.method,
        );
        push(
            "bad content-length".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Content-Length", "-1"),
                ]),
                body,
            ),
            t.method,
        );
        push(
            "bad chunk".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Transfer-Encoding", "chunked"),
                ]),
                b"zz\r\nhello\r\n0\r\n\r\n",
            ),
            t.method,
        );
        push(
            "bad gzip".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                ]),
                b"\x1f\x8b\x08\x00garbage",
            ),
            t.method,
        );
        push(
            "unknown encoding".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "br, zstd, x-evil"),
                ]),
                body,
            ),
            t.method,
        );
        push(
            "chunked body that never ends".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Transfer-Encoding", "chunked"),
                ]),
                b"5\r\n{\"que\r\n",
            ),
            t.method,
        );
        push(
            "body shorter than Content-Length".into(),
            request(
                t.method,
                &t.path,
                &t.host,
                &with(&[
                    ("Content-Type", "application/json"),
                    ("Content-Length", "1000"),
                ]),
                body,
            ),
            t.method,
        );
        push(
            "bad request line".into(),
            format!(
                "{} {} HTTP/9.9\r\nHost: {}\r\n\r\n",
                t.method, t.path, t.host
            )
            .into_bytes(),
            t.method,
        );
    }
    let failures = run_cases(cases, 8).await;
    for f in &failures {
        eprintln!("{f}");
    }
    still_healthy(&s, &session, &d).await;
    report(failures);
    s.stop().await;
}

async fn send_json(addr: SocketAddr, bytes: Vec<u8>) -> (u16, Value) {
    let a = send_raw(addr, bytes).await.expect("an answer");
    assert_eq!(a.header("content-type"), Some("application/json"), "{a:?}");
    (
        a.status,
        serde_json::from_slice(&a.body).expect("JSON body"),
    )
}

/// A body that stops arriving is answered with 408 once it has been idle for the body idle
/// timeout (10 s), on both listeners and in each listener's error shape.
#[tokio::test]
async fn stalled_bodies_are_answered_408() {
    let (s, session, d) = setup().await;
    let sub = d["subdomain"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let message = "the request body stalled: no data for 10 seconds";
    let auth = format!("Bearer {session}");
    let chunked = [
        ("Content-Type", "application/json"),
        ("Transfer-Encoding", "chunked"),
    ];
    let control_host = s.control.to_string();
    let backend_host = s.backend.to_string();
    let cases = [
        (s.control, "/graphql", &control_host, auth.as_str(), true),
        (
            s.control,
            "/deployments/create",
            &control_host,
            auth.as_str(),
            false,
        ),
        (
            s.backend,
            &*format!("/backends/{sub}/graphql"),
            &backend_host,
            token,
            true,
        ),
    ]
    .map(|(addr, path, host, cred, graphql)| {
        let mut h = chunked.to_vec();
        h.push(("Authorization", cred));
        (
            addr,
            request("POST", path, host, &h, b"5\r\n{\"que\r\n"),
            graphql,
        )
    });
    let answers = futures::future::join_all(
        cases
            .into_iter()
            .map(|(addr, bytes, graphql)| async move { (send_json(addr, bytes).await, graphql) }),
    )
    .await;
    for ((status, body), graphql) in answers {
        assert_eq!(status, 408, "{body}");
        if graphql {
            assert_eq!(body["errors"][0]["message"], message, "{body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "request_timeout");
        } else {
            assert_eq!(body, json!({ "error": message, "code": "request_timeout" }));
        }
    }
    still_healthy(&s, &session, &d).await;
    s.stop().await;
}

/// Errors raised below the handlers keep their status and come as JSON: the device form's
/// rejections (415, 422) and a wrong method on the control-plane `/graphql` (405, GraphQL
/// shape). A `Content-Encoding` other than gzip is passed through as it is.
#[tokio::test]
async fn errors_below_the_handlers_are_json() {
    let (s, _session, d) = setup().await;
    let sub = d["subdomain"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let body = br#"{"query": "{ __typename }"}"#;
    let brotli = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", "br"),
    ];
    let control_host = s.control.to_string();

    let (status, out) = send_json(
        s.backend,
        request(
            "POST",
            &format!("/backends/{sub}/graphql"),
            &s.backend.to_string(),
            &[brotli[0], brotli[1], ("X-Auth-Token", token)],
            body,
        ),
    )
    .await;
    // As Dgraph does, a backend GraphQL endpoint reads a body in a coding other than gzip as
    // it is (here plain JSON, so the request runs).
    assert_eq!(status, 200, "{out}");
    assert_eq!(out, json!({ "data": { "__typename": "Query" } }));
    let (status, out) = send_json(
        s.control,
        request(
            "POST",
            "/command-line/device-code",
            &control_host,
            &brotli,
            body,
        ),
    )
    .await;
    // The control listener passes other codings through to the handlers too; this one
    // ignores its body, so a device code is issued.
    assert_eq!(status, 200, "{out}");
    assert!(out["device_code"].is_string(), "{out}");

    // The device form: JSON instead of a form, and a form without its fields.
    let (status, out) = send_json(
        s.control,
        request(
            "POST",
            "/device",
            &control_host,
            &[("Content-Type", "application/json")],
            body,
        ),
    )
    .await;
    assert_eq!(status, 415, "{out}");
    assert_eq!(out["code"], "unsupported_media_type");
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .contains("application/x-www-form-urlencoded")
    );
    let (status, out) = send_json(
        s.control,
        request(
            "POST",
            "/device",
            &control_host,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"email=a%40b.c",
        ),
    )
    .await;
    assert_eq!(status, 422, "{out}");
    assert_eq!(out["code"], "bad_request");
    assert!(
        out["error"].as_str().unwrap().contains("missing field"),
        "{out}"
    );

    // GET on the control-plane GraphQL endpoint.
    let (status, out) = send_json(
        s.control,
        request(
            "GET",
            "/graphql?query=%7B__typename%7D",
            &control_host,
            &[],
            b"",
        ),
    )
    .await;
    assert_eq!(status, 405, "{out}");
    assert_eq!(
        out["errors"][0]["message"],
        "GET is not allowed on /graphql: use POST"
    );
    assert_eq!(out["errors"][0]["extensions"]["code"], "method_not_allowed");
    s.stop().await;
}

/// Hostile GraphQL payloads that are valid JSON: absurd numbers in variables of real fields,
/// deeply nested documents, huge documents; then 400 bad requests at once on both listeners.
#[tokio::test]
async fn absurd_values_deep_documents_and_a_flood() {
    let (s, session, d) = setup().await;
    let sub = d["subdomain"].as_str().unwrap();
    let token = d["jwtToken"].as_str().unwrap();
    let gql_path = format!("/backends/{sub}/graphql");
    let be_host = s.backend.to_string();
    let cp_host = s.control.to_string();
    let add = "mutation($a: Int, $s: Float) { addPerson(input: [{name: \"X\", age: $a, score: $s}]) { person { name } } }";
    let mut cases: Vec<(SocketAddr, String, Shape)> = Vec::new();
    for vars in [
        r#"{"a": 18446744073709551616}"#,
        r#"{"a": 9223372036854775808}"#,
        r#"{"a": -9223372036854775809}"#,
        r#"{"a": 1.5}"#,
        r#"{"a": 1e999}"#,
        r#"{"s": 1e999}"#,
        r#"{"s": -1e999}"#,
        r#"{"a": "12"}"#,
        r#"{"a": [1]}"#,
        r#"{"a": {"n": 1}}"#,
        r#"{"s": "NaN"}"#,
        r#"{"s": "Infinity"}"#,
    ] {
        cases.push((
            s.backend,
            format!("{{\"query\": {}, \"variables\": {vars}}}", json!(add)),
            Shape::GraphQL,
        ));
    }
    for doc in [
        "{".repeat(100_000),
        format!("{}{}", "{ a ".repeat(20_000), "}".repeat(20_000)),
        format!(
            "query {{ queryPerson(filter: {}) {{ name }} }}",
            "{not: ".repeat(20_000)
        ),
        format!("{{ queryPerson {{ {} }} }}", "name ".repeat(200_000)),
        "query($v: [[[[[[[[Int]]]]]]]]) { __typename }".to_string(),
        "\u{0}\u{feff}{ __typename }".to_string(),
    ] {
        cases.push((
            s.backend,
            json!({ "query": doc }).to_string(),
            Shape::GraphQL,
        ));
        cases.push((
            s.control,
            json!({ "query": doc }).to_string(),
            Shape::GraphQL,
        ));
    }
    // Control-plane mutations with mistyped and absurd inputs.
    for vars in [
        json!({ "i": { "name": 1e300 } }),
        json!({ "i": "x" }),
        json!({ "i": { "name": "n".repeat(100_000), "zone": [], "subdomain": "\u{0}" } }),
        json!({ "i": { "name": "ok", "deploymentMode": { "a": 1 } } }),
    ] {
        cases.push((
            s.control,
            json!({
                "query": "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid } }",
                "variables": vars,
            })
            .to_string(),
            Shape::GraphQL,
        ));
    }
    let auth = format!("Bearer {session}");
    let mut all = Vec::new();
    for (addr, body, shape) in cases {
        let (path, host, h) = if addr == s.backend {
            (gql_path.as_str(), be_host.as_str(), ("X-Auth-Token", token))
        } else {
            (
                "/graphql",
                cp_host.as_str(),
                ("Authorization", auth.as_str()),
            )
        };
        all.push(Case {
            label: format!("{addr} {}", &body[..body.len().min(120)]),
            path: path.to_string(),
            addr,
            bytes: request(
                "POST",
                path,
                host,
                &[("Content-Type", "application/json"), h],
                body.as_bytes(),
            ),
            shape,
            method: "POST".into(),
        });
    }
    // GET with hostile URL parameters.
    for params in [
        "query=%FF%FE",
        "query=%7B__typename%7D&variables=%5B1%5D",
        "query=%7B__typename%7D&variables=1e999",
        "query=%7B__typename%7D&variables=%7B%22a%22%3A1e999%7D",
        "query=%7B__typename%7D&extensions=%22x%22",
        "query=%7B__typename%7D&operationName=%00%00",
        "query=&query=%7B__typename%7D",
        "%ZZ=%ZZ&query",
    ] {
        for endpoint in ["graphql", "admin"] {
            let path = format!("/backends/{sub}/{endpoint}?{params}");
            all.push(Case {
                label: format!("GET {path}"),
                bytes: request("GET", &path, &be_host, &[("X-Auth-Token", token)], b""),
                path,
                addr: s.backend,
                shape: Shape::GraphQL,
                method: "GET".into(),
            });
        }
    }
    let mut failures = run_cases(all, 4).await;

    // The flood: 400 bad requests at once, half to each listener.
    let flood: Vec<Case> = (0..400)
        .map(|i| {
            let (addr, path, host) = if i % 2 == 0 {
                (s.backend, gql_path.as_str(), be_host.as_str())
            } else {
                (s.control, "/deployments/create", cp_host.as_str())
            };
            Case {
                label: format!("flood #{i}"),
                path: path.to_string(),
                addr,
                bytes: request(
                    "POST",
                    path,
                    host,
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Auth-Token", token),
                    ],
                    b"{\"query\": ",
                ),
                shape: if i % 2 == 0 {
                    Shape::GraphQL
                } else {
                    Shape::Rest
                },
                method: "POST".into(),
            }
        })
        .collect();
    failures.extend(run_cases(flood, 400).await);
    for f in &failures {
        eprintln!("{f}");
    }
    // No absurd value was written: Ada is still the only person.
    still_healthy(&s, &session, &d).await;
    report(failures);
    s.stop().await;
}
