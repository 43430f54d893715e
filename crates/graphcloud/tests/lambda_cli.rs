//! `graphcloud lambda push|get|delete|logs` against the real binary, and a script that
//! survives `kill -9` of the server.

mod common;

use common::{EMAIL, PASSWORD, Server, deployments, session_token};
use serde_json::{Value, json};

const FAILED: i32 = 1;

async fn backend_post(server: &Server, d: &Value, path: &str, body: Value) -> Value {
    let url = format!(
        "http://127.0.0.1:{}/backends/{}{path}",
        server.backend_port,
        d["subdomain"].as_str().unwrap()
    );
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
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

#[tokio::test]
async fn push_get_logs_delete_and_survive_kill_9() {
    let mut server = Server::start();
    let home = server.config_home("lambda");
    server.login(&home);
    server
        .run(&home, &["backend", "create", "Lam", "--subdomain", "lam"])
        .ok();
    let token = session_token(&server.url(), EMAIL, PASSWORD).await;
    let d = deployments(&server.url(), &token).await[0].clone();
    let uid = d["uid"].as_str().unwrap().to_string();
    let b = backend_post(
        &server,
        &d,
        "/admin",
        json!({"query": "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { id } } }",
               "variables": {"s": "type T { id: ID! x: String }\ntype Query { hello(name: String!): String @lambda }"}}),
    )
    .await;
    assert!(b.get("errors").is_none(), "{b}");

    let script = "self.addGraphQLResolvers({\n  \"Query.hello\": ({args}) => { console.log(`hello ${args.name}`); return `Hi ${args.name}!` },\n})\n";
    let file = home.join("lambda.js");
    std::fs::write(&file, script).unwrap();
    let out = server
        .run(&home, &["lambda", "push", "lam", file.to_str().unwrap()])
        .ok()
        .to_string();
    assert_eq!(
        out,
        format!("Successfully added the lambda function (backend {uid}).\n")
    );
    // Read back exactly.
    assert_eq!(server.run(&home, &["lambda", "get", &uid]).ok(), script);

    // A broken script is refused with its position; the old one stays.
    let broken = home.join("broken.js");
    std::fs::write(&broken, "const x = 1;\nfunction (\n").unwrap();
    let err = server
        .run(&home, &["lambda", "push", &uid, broken.to_str().unwrap()])
        .fails(FAILED)
        .to_string();
    assert!(
        err.contains("SyntaxError") && err.contains("line 2"),
        "{err}"
    );
    assert_eq!(server.run(&home, &["lambda", "get", &uid]).ok(), script);

    let q = json!({"query": "{ hello(name: \"Ann\") }"});
    assert_eq!(
        backend_post(&server, &d, "/graphql", q.clone()).await,
        json!({"data": {"hello": "Hi Ann!"}})
    );
    let logs = server
        .run(&home, &["lambda", "logs", &uid])
        .ok()
        .to_string();
    assert!(
        logs.trim_end().ends_with("+0000 UTC [INFO] hello Ann"),
        "{logs}"
    );
    let logs = server
        .run(&home, &["lambda", "logs", &uid, "-o", "json"])
        .json();
    assert_eq!(logs.as_array().unwrap().len(), 1, "{logs}");

    // kill -9, restart: the script is still there and serving.
    server.kill_and_restart();
    assert_eq!(server.run(&home, &["lambda", "get", &uid]).ok(), script);
    assert_eq!(
        backend_post(&server, &d, "/graphql", q.clone()).await,
        json!({"data": {"hello": "Hi Ann!"}})
    );

    // Delete.
    let out = server
        .run(&home, &["lambda", "delete", &uid])
        .ok()
        .to_string();
    assert_eq!(
        out,
        format!("Deleted the lambda script of backend {uid}.\n")
    );
    let r = server.run(&home, &["lambda", "get", &uid]);
    assert_eq!(r.ok(), "");
    let b = backend_post(&server, &d, "/graphql", q).await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no lambda script is deployed"),
        "{b}"
    );
    // An empty file is refused locally.
    let empty = home.join("empty.js");
    std::fs::write(&empty, "  \n").unwrap();
    let err = server
        .run(&home, &["lambda", "push", &uid, empty.to_str().unwrap()])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("the script is empty"), "{err}");
}
