//! In-process timing of `@lambda` field batching (no HTTP, no JavaScript): 10 groups of 10
//! items, and the same queries with and without a `@lambda` field, over one level (100
//! items) and two levels (10 groups × 10 items). The executor answers at once from the
//! parents it is given, so the times are the engine's own cost of a batched field (levels,
//! parent objects, result completion). Every query runs on the generic path (where `@lambda`
//! fields are resolved), so the kinds with and without the field compare like with like.
//! Prints the mean latency of the best run and the resolver calls per request.
//!
//! `cargo run --release -p graphcloud-engine --example lambda_levels`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use graphcloud_engine::lambda::{LambdaCall, LambdaExecutor};
use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::Store;
use serde_json::{Value, json};

const SDL: &str = "type Item { id: ID! n: Int! label: String @lambda }\n\
                   type Group { id: ID! g: Int! items: [Item] }";

#[derive(Default)]
struct Instant0 {
    calls: AtomicUsize,
}

impl LambdaExecutor for Instant0 {
    fn resolve(&self, call: LambdaCall<'_>) -> Result<Value, String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let parents = call.request["parents"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(json!(
            parents
                .iter()
                .map(|p| format!("item {}", p["n"]))
                .collect::<Vec<_>>()
        ))
    }

    fn webhook(&self, _backend: u64, _request: Value) {}
}

fn req(q: &str) -> Request {
    Request {
        query: q.into(),
        operation_name: None,
        variables: Default::default(),
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
    engine.set_compiled(false);
    engine
        .set_lambda_script(1, "// answered in process")
        .expect("script");
    let exec = Arc::new(Instant0::default());
    engine.set_lambda_executor(exec.clone());
    let groups: Vec<Value> = (0..10)
        .map(|g| json!({"g": g, "items": (0..10).map(|i| json!({"n": g * 10 + i})).collect::<Vec<_>>()}))
        .collect();
    let r = engine
        .graphql_blocking(
            1,
            admin,
            &Request {
                query: "mutation($i: [AddGroupInput!]!) { addGroup(input: $i) { numUids } }".into(),
                operation_name: None,
                variables: json!({"i": groups})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            },
        )
        .to_json();
    assert!(r.get("errors").is_none(), "{r}");
    let kinds = [
        ("100 items, no lambda", "{ queryItem(first: 100) { id n } }"),
        (
            "100 items + @lambda field",
            "{ queryItem(first: 100) { id n label } }",
        ),
        (
            "10x10 items, no lambda",
            "{ queryGroup(first: 10) { g items { id n } } }",
        ),
        (
            "10x10 items + @lambda field",
            "{ queryGroup(first: 10) { g items { id n label } } }",
        ),
    ];
    // The best of 10 runs of 300 requests per kind, runs of the kinds interleaved: on a
    // shared machine the best run is the one least disturbed by other work.
    let rounds = 300;
    let mut best = vec![std::time::Duration::MAX; kinds.len()];
    let mut calls = vec![0usize; kinds.len()];
    for (_, q) in kinds {
        let r = engine.graphql_blocking(1, admin, &req(q)).to_json();
        assert!(r.get("errors").is_none(), "{r}");
    }
    for _ in 0..10 {
        for (k, (_, q)) in kinds.iter().enumerate() {
            exec.calls.store(0, Ordering::Relaxed);
            let t = Instant::now();
            for _ in 0..rounds {
                engine.graphql_blocking(1, admin, &req(q));
            }
            best[k] = best[k].min(t.elapsed() / rounds);
            calls[k] = exec.calls.load(Ordering::Relaxed) / rounds as usize;
        }
    }
    for (k, (name, _)) in kinds.iter().enumerate() {
        println!(
            "{name:<28} {:>8.1} µs per request (best run), {} resolver calls per request",
            best[k].as_secs_f64() * 1e6,
            calls[k]
        );
    }
}
