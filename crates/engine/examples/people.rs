//! In-process timing of the engine (no HTTP): 2 000 people with 5 friends each, loaded
//! through `addPerson`, then the list query
//! `queryPerson(first: 100) { id name age email friends { id name age } }` and a few filter
//! shapes, each run repeatedly on one thread. Prints mean latency per kind.
//!
//! `cargo run --release -p graphcloud-engine --example people`

use std::time::Instant;

use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::Store;
use serde_json::{Value, json};

const SDL: &str = "type Person { id: ID! name: String! @search(by: [term, hash]) age: Int @search email: String friends: [Person] }";

fn req(q: &str, vars: Value) -> Request {
    Request {
        query: q.into(),
        operation_name: None,
        variables: vars.as_object().cloned().unwrap_or_default(),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::new(Store::open(dir.path()).expect("store"));
    let admin = Caller {
        access: Access::Admin,
        read_only: false,
    };
    engine.update_schema(1, admin, SDL).expect("schema");
    let n = 2000usize;
    let t = Instant::now();
    let mut ids: Vec<String> = Vec::with_capacity(n);
    for chunk in 0..(n / 100) {
        let people: Vec<Value> = (0..100)
            .map(|i| {
                let k = chunk * 100 + i;
                json!({"name": format!("person {k} word{}", k % 37), "age": (k * 7) % 90, "email": format!("p{k}@example.com")})
            })
            .collect();
        let r = engine
            .graphql_blocking(1, admin, &req("mutation($p: [AddPersonInput!]!) { addPerson(input: $p) { person(first: 1000) { id } } }", json!({"p": people})))
            .to_json();
        for p in r["data"]["addPerson"]["person"].as_array().expect("added") {
            ids.push(p["id"].as_str().unwrap().to_string());
        }
    }
    let mut state = 42u64;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % m
    };
    for i in 0..n {
        let friends: Vec<Value> = (0..5).map(|_| json!({"id": ids[next(n)]})).collect();
        engine.graphql_blocking(
            1,
            admin,
            &req(
                "mutation($id: [ID!], $f: [PersonRef]) { updatePerson(input: {filter: {id: $id}, set: {friends: $f}}) { numUids } }",
                json!({"id": [ids[i]], "f": friends}),
            ),
        );
    }
    println!(
        "load: {} people + {} friend edges in {:.2?}",
        n,
        n * 5,
        t.elapsed()
    );

    let kinds: Vec<(&str, Request)> = vec![
        (
            "list first 100 + friends",
            req(
                "{ queryPerson(first: 100) { id name age email friends { id name age } } }",
                Value::Null,
            ),
        ),
        (
            "list first 100, scalars only",
            req(
                "{ queryPerson(first: 100) { id name age email } }",
                Value::Null,
            ),
        ),
        (
            "list first 100, id only",
            req("{ queryPerson(first: 100) { id } }", Value::Null),
        ),
        (
            "get by id",
            req(
                "query($id: ID!) { getPerson(id: $id) { id name age email } }",
                json!({"id": ids[17]}),
            ),
        ),
        (
            "term + order + first",
            req(
                "{ queryPerson(filter: {name: {anyofterms: \"word3\"}}, order: {asc: age}, first: 10) { id name age } }",
                Value::Null,
            ),
        ),
        (
            "aggregate count age>=45",
            req(
                "{ aggregatePerson(filter: {age: {ge: 45}}) { count } }",
                Value::Null,
            ),
        ),
        (
            "two hops",
            req(
                "query($id: ID!) { getPerson(id: $id) { name friends(first: 10) { name friends(first: 10) { name age } } } }",
                json!({"id": ids[5]}),
            ),
        ),
    ];
    let only = std::env::var("PEOPLE_KIND").ok();
    for (name, r) in &kinds {
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let first = engine.graphql_blocking(1, admin, r).to_json();
        assert!(first.get("errors").is_none(), "{name}: {first}");
        let iters: usize = std::env::var("PEOPLE_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let t = Instant::now();
        for _ in 0..iters {
            engine.graphql_blocking(1, admin, r);
        }
        println!(
            "{name}: {:.3} ms/request",
            t.elapsed().as_secs_f64() * 1000.0 / iters as f64
        );
    }
}
