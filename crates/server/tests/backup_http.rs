//! Backups over HTTP on a real server: `createBackup` / `listBackups` on the control plane,
//! `listBackups`, `restore`, `restoreStatus` and `dropData` on `/admin/slash`, clone through
//! `createDeployment(cloneFrom:)`, a corrupt backup refused with live data untouched, and who
//! may call what.

mod common;

use common::*;
use serde_json::{Value, json};

const PERSON_SDL: &str =
    "type Person { id: ID! name: String! @search(by: [hash]) age: Int friends: [Person] }";
const THING_SDL: &str = "type Thing { id: ID! label: String }";

async fn post(
    s: &TestServer,
    sub: &str,
    path: &str,
    cred: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = s.client.post(s.be(&format!("/backends/{sub}{path}")));
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

async fn call(s: &TestServer, d: &Value, path: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(
        s,
        d["subdomain"].as_str().unwrap(),
        path,
        Some(d["jwtToken"].as_str().unwrap()),
        json!({"query": query, "variables": variables}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn slash(s: &TestServer, d: &Value, query: &str, variables: Value) -> Value {
    call(s, d, "/admin/slash", query, variables).await
}

async fn set_schema(s: &TestServer, d: &Value, sdl: &str) {
    let body = call(
        s,
        d,
        "/admin",
        "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema } } }",
        json!({"s": sdl}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

async fn add_people(s: &TestServer, d: &Value, names: &[&str]) {
    let input: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "age": 30}))
        .collect();
    let body = call(
        s,
        d,
        "/graphql",
        "mutation($i: [AddPersonInput!]!) { addPerson(input: $i) { numUids } }",
        json!({"i": input}),
    )
    .await;
    assert_eq!(body["data"]["addPerson"]["numUids"], names.len(), "{body}");
}

async fn names(s: &TestServer, d: &Value) -> Vec<String> {
    let body = call(
        s,
        d,
        "/graphql",
        "{ queryPerson(order: {asc: name}) { name } }",
        json!({}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["queryPerson"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

async fn create_backup(s: &TestServer, token: &str, uid: &str) -> Value {
    let (_, body) = s
        .gql(
            Some(token),
            "mutation($d: String!) { createBackup(deploymentID: $d) { backupNum folder timestamp type path } }",
            json!({"d": uid}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["createBackup"].clone()
}

/// Starts a restore on `into`'s `/admin/slash` and polls `restoreStatus` (id sent as a
/// string, as CLI 1.16.7 does) until it leaves IN_PROGRESS; returns the final response.
async fn restore(s: &TestServer, into: &Value, source: &str, folder: &str, num: i64) -> Value {
    let body = slash(
        s,
        into,
        "mutation($u: String!, $f: String, $n: Int) { restore(uid: $u, backupFolder: $f, backupNum: $n) { errors { message } response { code message restoreId } } }",
        json!({"u": source, "f": folder, "n": num}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let r = &body["data"]["restore"];
    assert!(
        r["errors"].is_null(),
        "errors must be null on success: {body}"
    );
    assert_eq!(r["response"]["code"], "Success");
    assert_eq!(r["response"]["message"], "Restore operation started.");
    let id = r["response"]["restoreId"]
        .as_i64()
        .expect("numeric restoreId");
    for _ in 0..200 {
        let body = slash(
            s,
            into,
            "query($id: Int!) { restoreStatus(restoreId: $id) { response { status errors } } }",
            json!({"id": id.to_string()}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        let resp = body["data"]["restoreStatus"]["response"].clone();
        assert!(resp["errors"].is_array(), "{body}");
        if resp["status"] != "IN_PROGRESS" {
            return resp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("restore {id} did not finish");
}

fn is_folder(f: &str) -> bool {
    let b = f.as_bytes();
    b.len() == 7 && b[4] == b'-' && f[..4].parse::<u32>().is_ok() && f[5..].parse::<u32>().is_ok()
}

fn is_timestamp(t: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS+0000
    t.len() == 24
        && t.ends_with("+0000")
        && t.as_bytes()[10] == b'T'
        && t[..4].parse::<u32>().is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_list_restore_clone_and_drop() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "Source"})).await;
    let a_uid = a["uid"].as_str().unwrap().to_string();
    set_schema(&s, &a, PERSON_SDL).await;
    add_people(&s, &a, &["Ada", "Bob", "Cy"]).await;

    let b1 = create_backup(&s, &t, &a_uid).await;
    assert_eq!(b1["backupNum"], 1);
    assert_eq!(b1["type"], "full");
    let folder = b1["folder"].as_str().unwrap().to_string();
    assert!(is_folder(&folder), "{b1}");
    assert!(is_timestamp(b1["timestamp"].as_str().unwrap()), "{b1}");
    assert_eq!(
        b1["path"],
        format!("/{a_uid}/{folder}/000001/manifest.json")
    );

    add_people(&s, &a, &["Dee"]).await;
    let b2 = create_backup(&s, &t, &a_uid).await;
    assert_eq!(
        (b2["backupNum"].as_i64(), b2["type"].as_str()),
        (Some(2), Some("incremental"))
    );

    // listBackups on /admin/slash: list of lists, full first, errors [].
    let body = slash(
        &s,
        &a,
        "{ listBackups { response { type backupNum folder timestamp path } errors { message } } }",
        json!({}),
    )
    .await;
    let lb = &body["data"]["listBackups"];
    assert_eq!(lb["errors"], json!([]), "{body}");
    let series = lb["response"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{body}");
    let kinds: Vec<(i64, &str, &str)> = series[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["backupNum"].as_i64().unwrap(),
                b["type"].as_str().unwrap(),
                b["folder"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, "full", folder.as_str()),
            (2, "incremental", folder.as_str())
        ]
    );
    // The same on the control plane.
    let (_, body) = s
        .gql(
            Some(&t),
            "query($d: String!) { listBackups(deploymentID: $d) { backupNum type } }",
            json!({"d": a_uid}),
        )
        .await;
    assert_eq!(
        body["data"]["listBackups"],
        json!([[{"backupNum": 1, "type": "full"}, {"backupNum": 2, "type": "incremental"}]])
    );

    // Restore backup 1 into B, which has another schema and data of its own.
    let b = s.create(&t, json!({"name": "Target"})).await;
    set_schema(&s, &b, THING_SDL).await;
    let body = call(
        &s,
        &b,
        "/graphql",
        "mutation { addThing(input: [{label: \"x\"}]) { numUids } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["addThing"]["numUids"], 1, "{body}");
    let st = restore(&s, &b, &a_uid, &folder, 1).await;
    assert_eq!(st, json!({"status": "OK", "errors": []}));
    assert_eq!(names(&s, &b).await, vec!["Ada", "Bob", "Cy"]);
    let body = call(&s, &b, "/admin", "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(body["data"]["getGQLSchema"]["schema"], PERSON_SDL);
    let body = call(&s, &b, "/graphql", "{ queryThing { label } }", json!({})).await;
    assert!(body["errors"].is_array(), "the old schema is gone: {body}");
    // Restored hash index answers eq lookups.
    let body = call(
        &s,
        &b,
        "/graphql",
        "{ queryPerson(filter: {name: {eq: \"Bob\"}}) { name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["queryPerson"],
        json!([{"name": "Bob"}]),
        "{body}"
    );
    // Defaults ("" and 0) mean the latest backup.
    let st = restore(&s, &b, &a_uid, "", 0).await;
    assert_eq!(st["status"], "OK");
    assert_eq!(names(&s, &b).await, vec!["Ada", "Bob", "Cy", "Dee"]);
    // The source is untouched.
    assert_eq!(names(&s, &a).await, vec!["Ada", "Bob", "Cy", "Dee"]);

    // Clone: a new deployment from A's backup 1.
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid subdomain jwtToken } }",
            json!({"i": {"name": "Clone", "cloneFrom": {"deploymentID": a_uid, "backupFolder": folder, "backupNum": 1}}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let c = body["data"]["createDeployment"].clone();
    assert_ne!(c["uid"], a["uid"]);
    assert_eq!(names(&s, &c).await, vec!["Ada", "Bob", "Cy"]);
    // Writes to the clone do not reach the source.
    add_people(&s, &c, &["Eve"]).await;
    assert_eq!(names(&s, &a).await.len(), 4);

    // dropData, each form.
    let drop = |q: &'static str, v: Value| {
        let s = &s;
        let a = &a;
        async move {
            let body = slash(s, a, q, v).await;
            assert_eq!(
                body["data"]["dropData"],
                json!({"response": {"code": "Success", "message": "Done"}}),
                "{body}"
            );
        }
    };
    drop(
        "mutation($f: [String!]) { dropData(fields: $f) { response { code message } } }",
        json!({"f": ["Person.age"]}),
    )
    .await;
    let body = call(
        &s,
        &a,
        "/graphql",
        "{ queryPerson(order: {asc: name}) { name age } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["queryPerson"][0],
        json!({"name": "Ada", "age": null}),
        "{body}"
    );
    assert_eq!(body["data"]["queryPerson"].as_array().unwrap().len(), 4);

    drop(
        "mutation($t: [String!]) { dropData(types: $t) { response { code message } } }",
        json!({"t": ["Person"]}),
    )
    .await;
    assert!(names(&s, &a).await.is_empty());

    add_people(&s, &a, &["Fay"]).await;
    drop(
        "mutation { dropData(allData: true) { response { code message } } }",
        json!({}),
    )
    .await;
    assert!(names(&s, &a).await.is_empty());
    let body = call(&s, &a, "/admin", "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(
        body["data"]["getGQLSchema"]["schema"], PERSON_SDL,
        "allData keeps the schema"
    );
    // Uids are not reused after a drop.
    add_people(&s, &a, &["Gus"]).await;
    let body = call(&s, &a, "/graphql", "{ queryPerson { id } }", json!({})).await;
    let id = body["data"]["queryPerson"][0]["id"].as_str().unwrap();
    assert!(
        u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap() > 6,
        "{id}"
    );

    drop(
        "mutation { dropData(allDataAndSchema: true) { response { code message } } }",
        json!({}),
    )
    .await;
    let body = call(&s, &a, "/graphql", "{ queryPerson { name } }", json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no GraphQL schema"),
        "{body}"
    );

    // And back from the backup after the drop.
    let st = restore(&s, &a, &a_uid, "", 0).await;
    assert_eq!(st["status"], "OK");
    assert_eq!(names(&s, &a).await, vec!["Ada", "Bob", "Cy", "Dee"]);

    // dropData without a form is a clear error.
    let body = slash(
        &s,
        &a,
        "mutation { dropData { response { code } } }",
        json!({}),
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("dropData needs one of"),
        "{body}"
    );
    s.stop().await;
}

fn data_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            data_files(&p, out);
        } else if p.file_name().unwrap() == "data.gz" {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_backup_is_refused_and_live_data_untouched() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({"name": "Source"})).await;
    set_schema(&s, &a, PERSON_SDL).await;
    add_people(&s, &a, &["Ada", "Bob"]).await;
    create_backup(&s, &t, a["uid"].as_str().unwrap()).await;
    let b = s.create(&t, json!({"name": "Target"})).await;
    set_schema(&s, &b, PERSON_SDL).await;
    add_people(&s, &b, &["Live"]).await;

    let mut files = Vec::new();
    data_files(&s.dir.path().join("backups"), &mut files);
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&files[0], &bytes).unwrap();

    let st = restore(&s, &b, a["uid"].as_str().unwrap(), "", 0).await;
    assert_eq!(st["status"], "ERR", "{st}");
    let msg = st["errors"][0].as_str().unwrap();
    assert!(msg.contains("checksum mismatch"), "{msg}");
    assert_eq!(names(&s, &b).await, vec!["Live"]);

    // Clone from the corrupt backup fails and leaves no deployment behind.
    let (_, before) = s.gql(Some(&t), "{ deployments { uid } }", json!({})).await;
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid } }",
            json!({"i": {"name": "Clone", "cloneFrom": {"deploymentID": a["uid"]}}}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("checksum mismatch"),
        "{body}"
    );
    let (_, after) = s.gql(Some(&t), "{ deployments { uid } }", json!({})).await;
    assert_eq!(before, after);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_back_up_and_restore() {
    let s = TestServer::start().await;
    let owner = s.login().await;
    let other = s.login_as("other@example.com").await;
    let a = s.create(&owner, json!({"name": "Mine"})).await;
    let a_uid = a["uid"].as_str().unwrap().to_string();
    let sub = a["subdomain"].as_str().unwrap().to_string();
    set_schema(&s, &a, PERSON_SDL).await;
    add_people(&s, &a, &["Ada"]).await;

    // Control plane: the owner may; another user, or nobody, may not.
    create_backup(&s, &owner, &a_uid).await;
    let (_, body) = s
        .gql(
            Some(&other),
            "mutation($d: String!) { createBackup(deploymentID: $d) { backupNum } }",
            json!({"d": a_uid}),
        )
        .await;
    assert!(body["data"]["createBackup"].is_null());
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{body}"
    );
    let (_, body) = s
        .gql(
            None,
            "mutation($d: String!) { createBackup(deploymentID: $d) { backupNum } }",
            json!({"d": a_uid}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unauthenticated"),
        "{body}"
    );
    let (_, body) = s
        .gql(
            Some(&other),
            "query($d: String!) { listBackups(deploymentID: $d) { backupNum } }",
            json!({"d": a_uid}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{body}"
    );

    // /admin/slash: admin key and jwtToken yes; client key and no credential no.
    let admin_key = s.key(&owner, &a_uid, "admin", None).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let client_key = s.key(&owner, &a_uid, "client", None).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let q = json!({"query": "{ listBackups { response { backupNum } errors { message } } }"});
    let (st, body) = post(&s, &sub, "/admin/slash", Some(&admin_key), q.clone()).await;
    assert_eq!(st, 200);
    assert_eq!(
        body["data"]["listBackups"]["response"],
        json!([[{"backupNum": 1}]])
    );
    let (st, _) = post(&s, &sub, "/admin/slash", Some(&client_key), q.clone()).await;
    assert!(st == 401 || st == 403, "client key: {st}");
    let (st, _) = post(&s, &sub, "/admin/slash", None, q.clone()).await;
    assert!(st == 401 || st == 403, "no credential: {st}");
    let drop = json!({"query": "mutation { dropData(allData: true) { response { code } } }"});
    let (st, _) = post(&s, &sub, "/admin/slash", Some(&client_key), drop.clone()).await;
    assert!(st == 401 || st == 403, "client key may not drop: {st}");
    assert_eq!(names(&s, &a).await, vec!["Ada"]);

    // Another user's backend cannot restore my backups, nor clone them.
    let theirs = s.create(&other, json!({"name": "Theirs"})).await;
    let body = slash(
        &s,
        &theirs,
        "mutation($u: String!) { restore(uid: $u, backupFolder: \"\", backupNum: 0) { errors { message } response { restoreId } } }",
        json!({"u": a_uid}),
    )
    .await;
    assert!(body["data"]["restore"].is_null(), "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        format!("deployment {a_uid} not found")
    );
    let (_, body) = s
        .gql(
            Some(&other),
            "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid } }",
            json!({"i": {"name": "Stolen", "cloneFrom": {"deploymentID": a_uid}}}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{body}"
    );
    let (_, list) = s
        .gql(Some(&other), "{ deployments { name } }", json!({}))
        .await;
    assert_eq!(list["data"]["deployments"], json!([{"name": "Theirs"}]));

    // A restore id is visible only on the backend it restores into.
    let mine2 = s.create(&owner, json!({"name": "Mine too"})).await;
    let body = slash(
        &s,
        &mine2,
        "mutation($u: String!) { restore(uid: $u) { response { restoreId } } }",
        json!({"u": a_uid}),
    )
    .await;
    let id = body["data"]["restore"]["response"]["restoreId"]
        .as_i64()
        .unwrap();
    let body = slash(
        &s,
        &a,
        "query($id: Int!) { restoreStatus(restoreId: $id) { response { status errors } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        format!("no restore with id {id} on this backend")
    );

    // Organization members share backups of the organization's deployments.
    let (_, body) = s
        .gql(
            Some(&owner),
            r#"mutation { createOrganization(input: {name: "acme"}) { uid } }"#,
            json!({}),
        )
        .await;
    let org = body["data"]["createOrganization"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = s
        .gql(
            Some(&owner),
            "mutation($i: AddOrgMember!) { addOrganizationMember(input: $i) { uid } }",
            json!({"i": {"organizationUID": org, "email": "other@example.com"}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let shared = s
        .create(&owner, json!({"name": "Shared", "organizationUID": org}))
        .await;
    set_schema(&s, &shared, PERSON_SDL).await;
    add_people(&s, &shared, &["Org"]).await;
    let shared_uid = shared["uid"].as_str().unwrap();
    let b = create_backup(&s, &other, shared_uid).await;
    assert_eq!(b["backupNum"], 1);
    let (_, body) = s
        .gql(
            Some(&other),
            "mutation($i: NewDeployment!) { createDeployment(input: $i) { uid subdomain jwtToken } }",
            json!({"i": {"name": "Org clone", "cloneFrom": {"deploymentID": shared_uid}}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        names(&s, &body["data"]["createDeployment"]).await,
        vec!["Org"]
    );
    s.stop().await;
}
