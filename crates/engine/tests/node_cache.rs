//! The store's node cache never serves a node older than what a reader's snapshot holds:
//! readers running while a writer keeps changing the same nodes always see at least the last
//! change acknowledged before they started, on both query paths; dropping and restoring a
//! backend's data is seen at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::Store;
use serde_json::{Value, json};

const BACKEND: u64 = 3;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};
const SDL: &str = "type Person { id: ID! name: String! @id age: Int friends: [Person] }";

fn gql(engine: &Engine, query: &str, vars: Value) -> Value {
    let req = Request {
        query: query.to_string(),
        operation_name: None,
        variables: vars.as_object().cloned().unwrap_or_default(),
    };
    let r = engine.graphql_blocking(BACKEND, ADMIN, &req);
    match r.raw {
        Some(raw) => serde_json::from_str(&raw).unwrap(),
        None => r.to_json(),
    }
}

#[test]
fn readers_never_see_an_age_older_than_the_last_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let r = gql(
        &engine,
        "mutation { addPerson(input: [{name: \"a\", age: 0, friends: [{name: \"b\", age: 0}]}]) { numUids } }",
        json!({}),
    );
    assert_eq!(r["data"]["addPerson"]["numUids"], 2, "{r}");
    let acked = Arc::new(AtomicI64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for compiled in [true, false] {
        let (engine, acked, done) = (engine.clone(), acked.clone(), done.clone());
        readers.push(std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Acquire) {
                let floor = acked.load(Ordering::Acquire);
                // Both nodes change in one mutation: a reader sees both ages equal.
                let q = if compiled {
                    "{ getPerson(name: \"a\") { age friends { age } } }"
                } else {
                    "{ getPerson(name: \"a\") { age friends @cascade { age } } }"
                };
                let r = gql(&engine, q, json!({}));
                let a = r["data"]["getPerson"]["age"].as_i64().unwrap();
                let b = r["data"]["getPerson"]["friends"][0]["age"]
                    .as_i64()
                    .unwrap();
                assert!(
                    a >= floor,
                    "read age {a} after write {floor} was acknowledged"
                );
                assert_eq!(a, b, "one snapshot: {r}");
                reads += 1;
            }
            reads
        }));
    }
    for i in 1..=300i64 {
        let r = gql(
            &engine,
            "mutation($a: Int!) { updatePerson(input: {filter: {has: name}, set: {age: $a}}) { numUids } }",
            json!({ "a": i }),
        );
        assert_eq!(r["data"]["updatePerson"]["numUids"], 2, "{r}");
        acked.store(i, Ordering::Release);
    }
    done.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let r = gql(&engine, "{ getPerson(name: \"b\") { age } }", json!({}));
    assert_eq!(r["data"]["getPerson"]["age"], 300);
}

#[test]
fn dropped_and_replaced_data_is_seen_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    gql(
        &engine,
        "mutation { addPerson(input: [{name: \"a\", age: 1}]) { numUids } }",
        json!({}),
    );
    let q = "{ queryPerson { name age } }";
    assert_eq!(
        gql(&engine, q, json!({}))["data"]["queryPerson"][0]["age"],
        1
    );
    // Copy the key range, change the node, then put the copy back: the same uid with its
    // old value.
    let store = engine.store().clone();
    let saved = store
        .scan_backend(BACKEND, |it| it.collect::<Result<Vec<_>, _>>())
        .unwrap()
        .unwrap();
    gql(
        &engine,
        "mutation { updatePerson(input: {filter: {has: name}, set: {age: 2}}) { numUids } }",
        json!({}),
    );
    assert_eq!(
        gql(&engine, q, json!({}))["data"]["queryPerson"][0]["age"],
        2
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(store.replace_backend(BACKEND, move |sink| {
        for (k, v) in &saved {
            sink(k, v)?;
        }
        Ok(())
    }))
    .unwrap();
    engine.forget(BACKEND);
    assert_eq!(
        gql(&engine, q, json!({}))["data"]["queryPerson"][0]["age"],
        1
    );
    rt.block_on(store.drop_backend(BACKEND)).unwrap();
    engine.forget(BACKEND);
    let r = gql(&engine, q, json!({}));
    assert!(
        r["data"]["queryPerson"].is_null() || r["errors"].is_array(),
        "{r}"
    );
}

#[test]
fn a_replaced_schema_with_the_same_counter_is_seen_without_being_told() {
    // Two backends whose schemas both have update counter 1; backend 4's key range is copied
    // over backend 3's (as a restore does) and the engine is not told: the next request on 3
    // uses 4's schema.
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let other = "type Person { id: ID! name: String! @id nickname: String }";
    engine.update_schema(4, ADMIN, other).unwrap();
    let q = "{ queryPerson { name } }";
    for _ in 0..3 {
        // Repeated: the cached API is proven against the schema node by now.
        assert!(gql(&engine, q, json!({}))["errors"].is_null());
    }
    let nick = "{ queryPerson { nickname } }";
    assert!(gql(&engine, nick, json!({}))["errors"].is_array());
    let store = engine.store().clone();
    let copy = store
        .scan_backend(4, |it| it.collect::<Result<Vec<_>, _>>())
        .unwrap()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(store.replace_backend(BACKEND, move |sink| {
        for (k, v) in &copy {
            sink(k, v)?;
        }
        Ok(())
    }))
    .unwrap();
    let r = gql(&engine, nick, json!({}));
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["queryPerson"], json!([]));
}

#[test]
fn an_import_with_a_schema_is_seen_by_the_next_request() {
    // The import writes the schema node and the new nodes in its own bulk commit, outside
    // the grouped mutations: the next request sees both.
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let nick = "{ queryPerson { name nickname } }";
    for _ in 0..3 {
        assert!(gql(&engine, "{ queryPerson { name } }", json!({}))["errors"].is_null());
    }
    assert!(gql(&engine, nick, json!({}))["errors"].is_array());
    let other = "type Person { id: ID! name: String! @id nickname: String }";
    let rdf = "<_:a> <dgraph.type> \"Person\" .\n<_:a> <Person.name> \"imported\" .\n<_:a> <Person.nickname> \"imp\" .\n";
    engine
        .import(
            BACKEND,
            Some(other),
            &[graphcloud_engine::import::ImportFile {
                name: "g01.rdf".into(),
                text: rdf.into(),
            }],
        )
        .unwrap();
    let r = gql(&engine, nick, json!({}));
    assert_eq!(
        r["data"]["queryPerson"],
        json!([{"name": "imported", "nickname": "imp"}]),
        "{r}"
    );
}
