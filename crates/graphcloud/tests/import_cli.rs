//! `graphcloud import` against the real binary: an export taken over `/admin/slash` is
//! downloaded and imported into another backend (schema included), the data compared; a
//! damaged file is refused with nothing written.

mod common;

use common::{EMAIL, PASSWORD, Server, deployments, session_token};
use serde_json::{Value, json};

const FAILED: i32 = 1;

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn backend_post(server: &Server, d: &Value, path: &str, body: Value) -> Value {
    let url = format!(
        "http://127.0.0.1:{}/backends/{}{path}",
        server.backend_port,
        d["subdomain"].as_str().unwrap()
    );
    http()
        .post(url)
        .header("X-Auth-Token", d["jwtToken"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn names(server: &Server, d: &Value) -> Vec<String> {
    let b = backend_post(
        server,
        d,
        "/graphql",
        json!({"query": "{ queryCity(order: {asc: name}) { name population neighbours { name } } }"}),
    )
    .await;
    assert!(b.get("errors").is_none(), "{b}");
    b["data"]["queryCity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}:{}",
                c["name"].as_str().unwrap(),
                c["population"],
                c["neighbours"].as_array().unwrap().len()
            )
        })
        .collect()
}

#[tokio::test]
async fn import_an_export_into_another_backend() {
    let server = Server::start();
    let home = server.config_home("import");
    server.login(&home);
    server
        .run(&home, &["backend", "create", "Src", "--subdomain", "src"])
        .ok();
    server
        .run(&home, &["backend", "create", "Dst", "--subdomain", "dst"])
        .ok();
    let token = session_token(&server.url(), EMAIL, PASSWORD).await;
    let all = deployments(&server.url(), &token).await;
    let by = |s: &str| all.iter().find(|d| d["subdomain"] == s).unwrap().clone();
    let (src, dst) = (by("src"), by("dst"));
    let b = backend_post(
        &server,
        &src,
        "/admin",
        json!({"query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { id } } }",
               "variables": {"s": "type City { id: ID! name: String! @search(by: [exact]) population: Int neighbours: [City] }"}}),
    )
    .await;
    assert!(b.get("errors").is_none(), "{b}");
    let b = backend_post(
        &server,
        &src,
        "/graphql",
        json!({"query": "mutation { addCity(input: [{name: \"Oslo\", population: 700000, neighbours: [{name: \"Bergen\", population: 290000}]}, {name: \"Tromsø\"}]) { numUids } }"}),
    )
    .await;
    assert_eq!(b["data"]["addCity"]["numUids"], 3, "{b}");
    let want = names(&server, &src).await;

    let e = backend_post(
        &server,
        &src,
        "/admin/slash",
        json!({"query": "mutation { export(format: \"rdf\") { signedUrls } }"}),
    )
    .await;
    let dir = home.join("export");
    std::fs::create_dir_all(&dir).unwrap();
    for u in e["data"]["export"]["signedUrls"].as_array().unwrap() {
        let u = u.as_str().unwrap();
        let name = u.split('?').next().unwrap().rsplit('/').next().unwrap();
        let bytes = http().get(u).send().await.unwrap().bytes().await.unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    // A damaged copy of the data file: refused, nothing written.
    let bad_dir = home.join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let mut gz = std::fs::read(dir.join("g01.rdf.gz")).unwrap();
    let n = gz.len();
    gz[n - 5] ^= 0x55;
    std::fs::write(bad_dir.join("g01.rdf.gz"), gz).unwrap();
    std::fs::copy(
        dir.join("g01.gql_schema.gz"),
        bad_dir.join("g01.gql_schema.gz"),
    )
    .unwrap();
    let err = server
        .run(&home, &["import", "dst", bad_dir.to_str().unwrap()])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        err.contains("g01.rdf.gz"),
        "the error names the file: {err}"
    );
    let b = backend_post(
        &server,
        &dst,
        "/graphql",
        json!({"query": "{ queryCity { name } }"}),
    )
    .await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no GraphQL schema"),
        "no schema was applied either: {b}"
    );

    // The real export: imported with its schema.
    let v = server
        .run(
            &home,
            &["import", "dst", dir.to_str().unwrap(), "-o", "json"],
        )
        .json();
    assert_eq!(v["nodes"], 3, "{v}");
    // 3 types, 3 names, 2 populations and the one Oslo→Bergen edge.
    assert_eq!(v["edges"], 3 + 3 + 2 + 1, "{v}");
    assert_eq!(v["schemaApplied"], true);
    assert_eq!(names(&server, &dst).await, want);

    // Table output names the rate; importing again adds the nodes once more.
    let out = server
        .run(
            &home,
            &["import", "dst", dir.join("g01.rdf.gz").to_str().unwrap()],
        )
        .ok()
        .to_string();
    assert!(
        out.starts_with("Imported 9 edges on 3 nodes into backend"),
        "{out}"
    );
    assert!(out.contains("edges/s"), "{out}");
    assert_eq!(names(&server, &dst).await.len(), 6);

    // Backup schedules through `backend update`.
    let v = server
        .run(
            &home,
            &[
                "backend",
                "update",
                "dst",
                "--full-backup-every",
                "24",
                "--incremental-backup-every",
                "4",
                "--backup-retention",
                "3",
                "-o",
                "json",
            ],
        )
        .json();
    assert_eq!(
        v["backend"]["backupSchedule"],
        json!({"fullEveryHours": 24, "incrementalEveryHours": 4, "retention": 3}),
        "{v}"
    );
    let out = server
        .run(&home, &["backend", "update", "dst", "--name", "Dst"])
        .ok()
        .to_string();
    assert!(
        out.contains("full every 24 h, incremental every 4 h, keep 3 chains"),
        "{out}"
    );
}
