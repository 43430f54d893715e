//! Exports, signed download URLs, imports, the `/query` schema answer and deep freeze, on a
//! real server over HTTP: payload shapes (synchronous and queued), downloads without
//! credentials, expired and tampered links refused, JSON and RDF round trips into another
//! backend, an import with one bad line changing nothing, who may call what, and a
//! deep-frozen backend thawed by its next request.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

const SDL: &str = "type Person { id: ID! name: String! @search(by: [hash]) age: Int born: DateTime friends: [Person] }";

async fn post(
    s: &TestServer,
    d: &Value,
    path: &str,
    cred: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = s.client.post(s.be(&format!(
        "/backends/{}{path}",
        d["subdomain"].as_str().unwrap()
    )));
    if let Some(c) = cred {
        req = req.header("X-Auth-Token", c);
    }
    let resp = req.json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn token(d: &Value) -> &str {
    d["jwtToken"].as_str().unwrap()
}

async fn gql(s: &TestServer, d: &Value, path: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(
        s,
        d,
        path,
        Some(token(d)),
        json!({"query": query, "variables": variables}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn set_schema(s: &TestServer, d: &Value) {
    let body = gql(
        s,
        d,
        "/admin",
        "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema } } }",
        json!({"s": SDL}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

async fn load_people(s: &TestServer, d: &Value) {
    let body = gql(
        s,
        d,
        "/graphql",
        r#"mutation { addPerson(input: [
            {name: "Ada \"the first\"", age: 36, born: "1815-12-10T00:00:00Z", friends: [{name: "Bob", age: 40}]},
            {name: "Cy\nNewline", age: 7}]) { numUids } }"#,
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["addPerson"]["numUids"], 3, "{body}");
}

/// Everyone with their friends, ordered by name (the comparison of round trips).
async fn people(s: &TestServer, d: &Value) -> Value {
    let body = gql(
        s,
        d,
        "/graphql",
        "{ queryPerson(order: {asc: name}) { name age born friends(order: {asc: name}) { name } } }",
        json!({}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["queryPerson"].clone()
}

fn gunzip(b: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::MultiGzDecoder::new(b)
        .read_to_string(&mut out)
        .expect("a gzip file");
    out
}

/// Downloads a URL with no credential; returns (status, body bytes).
async fn fetch(s: &TestServer, url: &str) -> (u16, Vec<u8>) {
    let resp = s.client.get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

async fn export(s: &TestServer, d: &Value, format: &str) -> Value {
    let body = gql(
        s,
        d,
        "/admin/slash",
        "mutation($f: String) { export(format: $f) { response { code message } signedUrls exportId taskId } }",
        json!({"f": format}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["export"].clone()
}

fn file_name(url: &str) -> String {
    url.split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_download_and_import_round_trips() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "Source"})).await;
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let want = people(&s, &a).await;
    assert_eq!(want.as_array().unwrap().len(), 3);

    for format in ["json", "rdf"] {
        let e = export(&s, &a, format).await;
        assert_eq!(e["response"]["code"], "Success", "{e}");
        let urls: Vec<String> = e["signedUrls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_string())
            .collect();
        let names: Vec<String> = urls.iter().map(|u| file_name(u)).collect();
        assert_eq!(
            names,
            [
                format!("g01.{format}.gz"),
                "g01.schema.gz".into(),
                "g01.gql_schema.gz".into()
            ]
        );
        let mut files = Vec::new();
        let mut raw = Vec::new();
        for u in &urls {
            assert!(
                u.starts_with(&format!("http://{}/backends/", s.backend)),
                "{u}"
            );
            let (status, bytes) = fetch(&s, u).await;
            assert_eq!(status, 200, "{u}");
            files.push(gunzip(&bytes));
            raw.push(bytes);
        }
        // The data file names every person; the schema files carry DQL and the SDL.
        for n in ["Bob", "Person.name", "Person.friends"] {
            assert!(files[0].contains(n), "{n} missing from {}", files[0]);
        }
        assert!(
            files[1].contains("[0x0] <Person.name>:string @index(hash) ."),
            "{}",
            files[1]
        );
        assert!(files[1].contains("[0x0] type <Person> {"), "{}", files[1]);
        let gql_schema: Value = serde_json::from_str(&files[2]).unwrap();
        assert_eq!(gql_schema[0]["schema"], SDL);
        if format == "json" {
            let data: Value = serde_json::from_str(&files[0]).expect("a JSON list");
            assert_eq!(data.as_array().unwrap().len(), 3, "three nodes: {data}");
            assert!(
                !files[0].contains("dgraph.graphql"),
                "internal nodes are not exported"
            );
        } else {
            // Types, three names, three ages, one born, one friend edge.
            assert_eq!(files[0].lines().count(), 3 + 3 + 3 + 1 + 1, "{}", files[0]);
            assert!(
                files[0].lines().all(|l| l.ends_with(" <0x0> .")),
                "{}",
                files[0]
            );
        }

        // Import into a fresh backend with the schema, in one call.
        let b = s
            .create(&t, json!({"name": format!("Copy {format}")}))
            .await;
        use base64::Engine as _;
        let envelope = json!({
            "schema": files[2],
            "files": [{"name": names[0], "data": base64::engine::general_purpose::STANDARD.encode(&raw[0])}],
        });
        let (status, r) = post(&s, &b, "/admin/import", Some(token(&b)), envelope).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            (r["nodes"].as_u64(), r["schemaApplied"].as_bool()),
            (Some(3), Some(true)),
            "{r}"
        );
        assert_eq!(people(&s, &b).await, want, "{format} round trip");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_expire_and_refuse_tampering_and_exports_need_an_admin() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    // The legacy selection `export { signedUrls }` works and is a list.
    let body = gql(
        &s,
        &a,
        "/admin/slash",
        "mutation { export { signedUrls } }",
        json!({}),
    )
    .await;
    let url = body["data"]["export"]["signedUrls"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fetch(&s, &url).await.0, 200);

    let refused = |status: u16, body: &[u8], needle: &str| {
        let v: Value = serde_json::from_slice(body).expect("JSON error body");
        assert_eq!(status, 403, "{v}");
        assert!(
            v["errors"][0]["message"].as_str().unwrap().contains(needle),
            "{v}"
        );
    };
    // Tampering: another file name, a later expiry, a changed signature, no signature.
    let (path, query) = url.split_once('?').unwrap();
    let other_file = format!("{}?{query}", path.replace("g01.json.gz", "g01.schema.gz"));
    let (st, b) = fetch(&s, &other_file).await;
    refused(st, &b, "invalid");
    let expires: i64 = query
        .split('&')
        .find_map(|p| p.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((expires - now - 48 * 3600).abs() < 60, "48 h by default");
    let (st, b) = fetch(
        &s,
        &url.replace(
            &format!("expires={expires}"),
            &format!("expires={}", expires + 1),
        ),
    )
    .await;
    refused(st, &b, "invalid");
    let sig = query
        .split('&')
        .find_map(|p| p.strip_prefix("signature="))
        .unwrap();
    let mut flipped = sig.to_string();
    flipped.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
    let (st, b) = fetch(&s, &url.replace(sig, &flipped)).await;
    refused(st, &b, "invalid");
    let (st, b) = fetch(&s, path).await;
    refused(st, &b, "invalid");
    // Expired: a correctly signed link (with the server's key) whose time has passed.
    let key = hex::decode(
        std::fs::read_to_string(s.dir.path().join("export.key"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let segs: Vec<&str> = path.rsplitn(3, '/').collect();
    let (file, id) = (segs[0], segs[1]);
    let past = now - 10;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}\n{id}\n{file}\n{past}", a["uid"].as_str().unwrap()).as_bytes());
    let forged = format!(
        "{path}?expires={past}&signature={}",
        hex::encode(mac.finalize().into_bytes())
    );
    let (st, b) = fetch(&s, &forged).await;
    refused(st, &b, "expired");
    // The same construction with a future expiry is accepted: the check above was the time.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}\n{id}\n{file}\n{}",
            a["uid"].as_str().unwrap(),
            now + 100
        )
        .as_bytes(),
    );
    let fine = format!(
        "{path}?expires={}&signature={}",
        now + 100,
        hex::encode(mac.finalize().into_bytes())
    );
    assert_eq!(fetch(&s, &fine).await.0, 200);
    // A link of deployment A does not open B's files.
    let b_dep = s.create(&t, json!({"name": "B"})).await;
    let cross = url.replace(
        &format!("/backends/{}/", a["subdomain"].as_str().unwrap()),
        &format!("/backends/{}/", b_dep["subdomain"].as_str().unwrap()),
    );
    let (st, b) = fetch(&s, &cross).await;
    refused(st, &b, "invalid");

    // Who may export and import: admin only.
    let client = s.key(&t, a["uid"].as_str().unwrap(), "client", None).await;
    let q = json!({"query": "mutation { export { signedUrls } }"});
    let (st, _) = post(
        &s,
        &a,
        "/admin/slash",
        Some(client["key"].as_str().unwrap()),
        q.clone(),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = post(&s, &a, "/admin/slash", None, q).await;
    assert_eq!(st, 401);
    let imp = json!({"files": [{"name": "x.rdf", "data": ""}]});
    let (st, _) = post(
        &s,
        &a,
        "/admin/import",
        Some(client["key"].as_str().unwrap()),
        imp.clone(),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = post(&s, &a, "/admin/import", Some(token(&b_dep)), imp).await;
    assert_eq!(st, 401, "another deployment's token");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_import_changes_nothing() {
    use base64::Engine as _;
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let before = people(&s, &a).await;
    let enc = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let good = "<_:x> <dgraph.type> \"Person\" .\n<_:x> <Person.name> \"Zed\" .\n";
    for (bad, needle) in [
        (
            format!("{good}<_:y> <Person.age> \"old\"^^<xs:int> .\n"),
            "bad.rdf line 3: value \"old\" is not a valid int",
        ),
        (
            format!("{good}<_:y> <Person.nope> \"x\" .\n"),
            "bad.rdf line 3: predicate <Person.nope> is not in the backend's schema",
        ),
        (
            format!("{good}<_:y> <Person.name> \"x\"\n"),
            "bad.rdf line 3: expected `.`",
        ),
    ] {
        let env = json!({"files": [
            {"name": "good.rdf", "data": enc(good)},
            {"name": "bad.rdf", "data": enc(&bad)},
        ]});
        let (st, r) = post(&s, &a, "/admin/import", Some(token(&a)), env).await;
        assert_eq!(st, 400, "{r}");
        let m = r["errors"][0]["message"].as_str().unwrap();
        assert!(m.starts_with(needle), "{m}");
        assert_eq!(
            people(&s, &a).await,
            before,
            "nothing of the good file was kept"
        );
    }
    // A corrupt gzip body and an invalid schema are refused the same way.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, good.as_bytes()).unwrap();
    let mut gz = gz.finish().unwrap();
    let n = gz.len();
    gz[n - 6] ^= 0xff;
    let resp = s
        .client
        .post(s.be(&format!(
            "/backends/{}/admin/import",
            a["subdomain"].as_str().unwrap()
        )))
        .header("X-Auth-Token", token(&a))
        .header("Content-Type", "application/rdf")
        .body(gz)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (st, r) = post(
        &s,
        &a,
        "/admin/import",
        Some(token(&a)),
        json!({"schema": "type {", "files": [{"name": "g.rdf", "data": enc(good)}]}),
    )
    .await;
    assert_eq!(st, 400, "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the GraphQL schema is invalid"),
        "{r}"
    );
    assert_eq!(people(&s, &a).await, before);
    // The good file alone goes in, as a raw (gzip-free) RDF body.
    let resp = s
        .client
        .post(s.be(&format!(
            "/backends/{}/admin/import",
            a["subdomain"].as_str().unwrap()
        )))
        .header("X-Auth-Token", token(&a))
        .header("Content-Type", "application/rdf")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let names: Vec<String> = people(&s, &a)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Zed".to_string()), "{names:?}");
    assert_eq!(names.len(), 4);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_export_is_queued_and_polled() {
    let tuning = graphcloud_server::Tuning {
        export_sync_wait: Duration::ZERO,
        ..Default::default()
    };
    let s = TestServer::start_tuned(None, None, tuning).await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let e = export(&s, &a, "rdf").await;
    assert_eq!(e["signedUrls"], json!([]), "{e}");
    let (id, task) = (
        e["exportId"].as_str().unwrap(),
        e["taskId"].as_str().unwrap(),
    );
    assert!(id.starts_with("0x") && task.starts_with("0x"), "{e}");
    assert_eq!(
        e["response"]["message"],
        format!("Export queued with ID {id}")
    );
    let q = "query($e: String!, $t: String!) { exportStatus(exportId: $e, taskId: $t) { kind lastUpdated signedUrls status } }";
    let mut done = None;
    for _ in 0..200 {
        let body = gql(&s, &a, "/admin/slash", q, json!({"e": id, "t": task})).await;
        let st = body["data"]["exportStatus"].clone();
        assert!(st["signedUrls"].is_array(), "{body}");
        if st["status"] == "Success" {
            done = Some(st);
            break;
        }
        assert_eq!(st["status"], "InProgress", "{body}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let st = done.expect("the export finished");
    assert_eq!(st["kind"], "Export");
    let urls = st["signedUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 3);
    let (code, bytes) = fetch(&s, urls[0].as_str().unwrap()).await;
    assert_eq!(code, 200);
    assert!(gunzip(&bytes).contains("<Person.name> \"Bob\"^^<xs:string>"));
    // Another backend cannot read this export's status; a wrong task id is not found.
    let b = s.create(&t, json!({"name": "B"})).await;
    let body = gql(&s, &b, "/admin/slash", q, json!({"e": id, "t": task})).await;
    assert!(
        body["data"]["exportStatus"].is_null() && body["errors"].is_array(),
        "{body}"
    );
    let body = gql(&s, &a, "/admin/slash", q, json!({"e": id, "t": "0x1"})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no export"),
        "{body}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_answers_schema_queries_only() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    set_schema(&s, &a).await;
    let client = s.key(&t, a["uid"].as_str().unwrap(), "client", None).await;
    let key = client["key"].as_str().unwrap();
    let (st, body) = post(
        &s,
        &a,
        "/query",
        Some(key),
        json!({"query": "schema { __typename }", "variables": {}}),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let preds: Vec<&str> = body["data"]["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["predicate"].as_str().unwrap())
        .collect();
    let mut sorted = preds.clone();
    sorted.sort_unstable();
    assert_eq!(preds, sorted, "sorted by predicate name");
    for p in [
        "Person.age",
        "Person.born",
        "Person.friends",
        "Person.name",
        "dgraph.type",
    ] {
        assert!(preds.contains(&p), "{p}: {body}");
    }
    let name = body["data"]["schema"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["predicate"] == "Person.name")
        .unwrap();
    assert_eq!(
        name,
        &json!({"predicate": "Person.name", "type": "string", "index": true, "tokenizer": ["hash"]})
    );
    let person = body["data"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Person")
        .unwrap();
    assert_eq!(person["fields"].as_array().unwrap().len(), 4, "{person}");
    // Raw DQL with a predicate filter.
    let resp = s
        .client
        .post(s.be(&format!(
            "/backends/{}/query",
            a["subdomain"].as_str().unwrap()
        )))
        .header("Authorization", key)
        .header("Content-Type", "application/dql")
        .body("schema(pred: [Person.age]) { type }")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v,
        json!({"data": {"schema": [{"predicate": "Person.age", "type": "int"}]}})
    );
    // Other DQL: a DQL-shaped error.
    let (st, body) = post(
        &s,
        &a,
        "/query",
        Some(key),
        json!({"query": "{ q(func: has(Person.name)) { uid } }"}),
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "ErrorInvalidRequest",
        "{body}"
    );
    assert!(body["data"].is_null());
    // No credential: refused.
    let (st, _) = post(&s, &a, "/query", None, json!({"query": "schema {}"})).await;
    assert_eq!(st, 401);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_freeze_moves_data_out_and_the_next_request_thaws() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    let uid = a["uid"].as_str().unwrap().to_string();
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let want = people(&s, &a).await;
    let frozen_dir = s.dir.path().join("backups/_frozen").join(&uid);

    // freeze(backup: true) takes a backup listed by listBackups; nothing else moves.
    let body = gql(
        &s,
        &a,
        "/admin/slash",
        "mutation { freeze(deepFreeze: false, backup: true) }",
        json!({}),
    )
    .await;
    assert!(
        body["data"]["freeze"]
            .as_str()
            .unwrap()
            .starts_with("Backend frozen"),
        "{body}"
    );
    let lb = gql(
        &s,
        &a,
        "/admin/slash",
        "{ listBackups { response { type backupNum } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        lb["data"]["listBackups"]["response"][0][0]["type"], "full",
        "{lb}"
    );
    assert!(!frozen_dir.exists());

    let body = gql(
        &s,
        &a,
        "/admin/slash",
        "mutation { freeze(deepFreeze: true, backup: false) }",
        json!({}),
    )
    .await;
    assert!(
        body["data"]["freeze"]
            .as_str()
            .unwrap()
            .starts_with("Backend deep-frozen"),
        "{body}"
    );
    assert!(frozen_dir.exists(), "the data is in backup storage");
    let manifest = find_manifest(&frozen_dir).expect("a manifest of the frozen copy");
    let m: Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    assert_eq!(m["type"], "full");
    assert!(
        m["records"].as_u64().unwrap() > 20,
        "the whole key range: {m}"
    );
    // The next request thaws it: same answers, and the frozen copy is gone.
    assert_eq!(people(&s, &a).await, want);
    assert!(
        find_manifest(&frozen_dir).is_none(),
        "thawed: the frozen copy was removed"
    );
    // Deep-freezing again and thawing through a mutation keeps writes working.
    gql(
        &s,
        &a,
        "/admin/slash",
        "mutation { freeze(deepFreeze: true) }",
        json!({}),
    )
    .await;
    let body = gql(
        &s,
        &a,
        "/graphql",
        "mutation { addPerson(input: [{name: \"Eve\"}]) { numUids } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["addPerson"]["numUids"], 1, "{body}");
    assert_eq!(people(&s, &a).await.as_array().unwrap().len(), 4);
    // listBackups does not show the frozen copy as a backup of the deployment.
    let lb = gql(
        &s,
        &a,
        "/admin/slash",
        "{ listBackups { response { type backupNum } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        lb["data"]["listBackups"]["response"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{lb}"
    );
    // A lambda script set while the backend is deep-frozen is not lost to the thaw, and
    // `deployments` shows a frozen backend's script.
    let freeze = "mutation { freeze(deepFreeze: true, backup: false) }";
    gql(&s, &a, "/admin/slash", freeze, json!({})).await;
    let script = "Y29uc29sZS5sb2coMSk="; // console.log(1)
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: UpdateLambdaInput!) { updateLambda(input: $i) }",
            json!({"i": {"deploymentID": uid, "tenantID": 0, "lambdaScript": script}}),
        )
        .await;
    assert_eq!(
        body["data"]["updateLambda"], "Successfully added the lambda function",
        "{body}"
    );
    gql(&s, &a, "/admin/slash", freeze, json!({})).await;
    assert!(frozen_dir.exists());
    let (_, body) = s
        .gql(Some(&t), "{ deployments { lambdaScript } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["deployments"][0]["lambdaScript"], script,
        "{body}"
    );
    assert_eq!(people(&s, &a).await.as_array().unwrap().len(), 4);
    let (_, body) = s
        .gql(Some(&t), "{ deployments { lambdaScript } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["deployments"][0]["lambdaScript"], script,
        "{body}"
    );
    s.stop().await;
}

/// `restore` of `uid`'s latest backup.
fn restore_latest(uid: &str) -> String {
    format!(
        "mutation {{ restore(uid: \"{uid}\", backupFolder: \"\", backupNum: 0) {{ response {{ restoreId }} errors {{ message }} }} }}"
    )
}

/// Polls `restoreStatus` until the restore is done; returns the final status.
async fn restore_done(s: &TestServer, a: &Value, id: &Value) -> Value {
    let mut status = Value::Null;
    for _ in 0..200 {
        let st = gql(
            s,
            a,
            "/admin/slash",
            "query($id: Int!) { restoreStatus(restoreId: $id) { response { status errors } } }",
            json!({ "id": id.to_string() }),
        )
        .await;
        status = st["data"]["restoreStatus"]["response"]["status"].clone();
        if status != "IN_PROGRESS" && status != "InProgress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_freeze_waits_for_a_running_restore() {
    // A restore and a deep freeze started together: whatever their order, the data the
    // backend ends with (after the thaw) is the restored backup, never the state the restore
    // replaced or a copy taken halfway through it.
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    let uid = a["uid"].as_str().unwrap().to_string();
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let want = people(&s, &a).await;
    let body = gql(
        &s,
        &a,
        "/admin/slash",
        "mutation { freeze(deepFreeze: false, backup: true) }",
        json!({}),
    )
    .await;
    assert!(body["data"]["freeze"].is_string(), "{body}");
    // One round: a change the restore must undo, then a restore of the latest backup and
    // a deep freeze started together; returns once the restore reports OK.
    let round_trip = |name: &'static str, backup: bool, round: i32| {
        let (s, a, uid) = (&s, &a, &uid);
        async move {
            let add =
                format!("mutation {{ addPerson(input: [{{name: \"{name}\"}}]) {{ numUids }} }}");
            let body = gql(s, a, "/graphql", &add, json!({})).await;
            assert_eq!(body["data"]["addPerson"]["numUids"], 1, "{body}");
            let freeze = format!("mutation {{ freeze(deepFreeze: true, backup: {backup}) }}");
            let restore = restore_latest(uid);
            let (r, f) = tokio::join!(
                gql(s, a, "/admin/slash", &restore, json!({})),
                gql(s, a, "/admin/slash", &freeze, json!({})),
            );
            assert!(f["data"]["freeze"].is_string(), "round {round}: {f}");
            let id = r["data"]["restore"]["response"]["restoreId"].clone();
            assert!(!id.is_null(), "round {round}: {r}");
            assert_eq!(restore_done(s, a, &id).await, "OK", "round {round}");
        }
    };
    for round in 0..3 {
        round_trip("Eve", false, round).await;
        assert_eq!(
            people(&s, &a).await,
            want,
            "round {round}: the restored data"
        );
    }
    // A deep freeze that takes a backup backs up exactly what it freezes: whichever of the
    // two ran first, restoring that (latest) backup after the thaw changes nothing.
    for round in 0..3 {
        round_trip("Zed", true, round).await;
        let thawed = people(&s, &a).await;
        let again = gql(&s, &a, "/admin/slash", &restore_latest(&uid), json!({})).await;
        let id = again["data"]["restore"]["response"]["restoreId"].clone();
        assert_eq!(restore_done(&s, &a, &id).await, "OK", "round {round}");
        assert_eq!(
            people(&s, &a).await,
            thawed,
            "round {round}: the freeze's backup is the frozen state"
        );
    }
    s.stop().await;
}

fn find_manifest(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.is_dir() {
            if let Some(m) = find_manifest(&p) {
                return Some(m);
            }
        } else if p.file_name().is_some_and(|n| n == "manifest.json") {
            return Some(p);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_schedules_are_set_shown_and_taken() {
    let tuning = graphcloud_server::Tuning {
        backup_schedule_tick: Duration::from_millis(100),
        ..Default::default()
    };
    let s = TestServer::start_tuned(None, None, tuning).await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "A"})).await;
    let uid = a["uid"].as_str().unwrap().to_string();
    set_schema(&s, &a).await;
    load_people(&s, &a).await;
    let update = "mutation($i: UpdateDeploymentInput!) { updateDeployment(input: $i) }";
    let sched = json!({"fullEveryHours": 24, "incrementalEveryHours": 4, "retention": 2});
    let (_, body) = s
        .gql(
            Some(&t),
            update,
            json!({"i": {"uid": uid, "backupSchedule": sched}}),
        )
        .await;
    assert_eq!(
        body["data"]["updateDeployment"], "Successfully Updated the backend",
        "{body}"
    );
    let (_, body) = s
        .gql(Some(&t), "{ deployments { uid name backupSchedule { fullEveryHours incrementalEveryHours retention } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["deployments"][0]["backupSchedule"], sched,
        "{body}"
    );
    assert_eq!(body["data"]["deployments"][0]["name"], "A");
    // Refused: an incremental schedule without a full one, and another user's call.
    let (_, body) = s
        .gql(Some(&t), update, json!({"i": {"uid": uid, "backupSchedule": {"fullEveryHours": 0, "incrementalEveryHours": 4}}}))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("needs a full one"),
        "{body}"
    );
    let other = s.login_as("other@example.com").await;
    let (_, body) = s
        .gql(
            Some(&other),
            update,
            json!({"i": {"uid": uid, "backupSchedule": {"fullEveryHours": 1}}}),
        )
        .await;
    assert!(body["errors"].is_array(), "{body}");
    // The scheduler takes the first (full) backup on its own.
    let mut series = Value::Null;
    for _ in 0..100 {
        let lb = gql(
            &s,
            &a,
            "/admin/slash",
            "{ listBackups { response { type backupNum } } }",
            json!({}),
        )
        .await;
        series = lb["data"]["listBackups"]["response"].clone();
        if series.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(series, json!([[{"type": "full", "backupNum": 1}]]));
    // Nothing more is due for hours: later ticks take no other backup.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let lb = gql(
        &s,
        &a,
        "/admin/slash",
        "{ listBackups { response { type backupNum } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        lb["data"]["listBackups"]["response"],
        json!([[{"type": "full", "backupNum": 1}]])
    );
    // Removing the schedule shows null.
    let (_, body) = s
        .gql(
            Some(&t),
            update,
            json!({"i": {"uid": uid, "backupSchedule": {"fullEveryHours": 0}}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = s
        .gql(
            Some(&t),
            "{ deployments { backupSchedule { retention } } }",
            json!({}),
        )
        .await;
    assert!(
        body["data"]["deployments"][0]["backupSchedule"].is_null(),
        "{body}"
    );
    // PATCH /deployment/{uid} sets it too.
    let patch = |body: Value| {
        s.client
            .patch(s.cp(&format!("/deployment/{uid}")))
            .bearer_auth(&t)
            .json(&body)
            .send()
    };
    let r = patch(json!({"backupSchedule": {"fullEveryHours": 12, "retention": 3}}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown = json!({"fullEveryHours": 12, "incrementalEveryHours": 0, "retention": 3});
    let schedule_and_name = || async {
        let (_, body) = s
            .gql(
                Some(&t),
                "{ deployments { name backupSchedule { fullEveryHours incrementalEveryHours retention } } }",
                json!({}),
            )
            .await;
        (
            body["data"]["deployments"][0]["backupSchedule"].clone(),
            body["data"]["deployments"][0]["name"].clone(),
        )
    };
    assert_eq!(schedule_and_name().await, (shown.clone(), json!("A")));
    // Nothing is half-applied: a script that does not compile leaves the schedule and the
    // name as they were, and so does a schedule out of range.
    let r = patch(json!({
        "name": "renamed",
        "backupSchedule": {"fullEveryHours": 1},
        "lambdaScript": "ZnVuY3Rpb24gKA==", // "function ("
    }))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(schedule_and_name().await, (shown.clone(), json!("A")));
    let r = patch(json!({"name": "renamed", "backupSchedule": {"fullEveryHours": -1}}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.to_string().contains("fullEveryHours must be between"),
        "{body}"
    );
    assert_eq!(schedule_and_name().await, (shown, json!("A")));
    // Another user cannot set it.
    let r = s
        .client
        .patch(s.cp(&format!("/deployment/{uid}")))
        .bearer_auth(&other)
        .json(&json!({"backupSchedule": {"fullEveryHours": 1}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    s.stop().await;
}
