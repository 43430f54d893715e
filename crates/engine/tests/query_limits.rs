//! Work bounds of a request on the `e2e/normal` fixture: shapes refused before execution
//! (fragment bombs, fragment chains, introspection nesting, parser limits) and requests stopped
//! while running (time limit, cancellation when the caller stops waiting).

mod query_support;

use std::time::{Duration, Instant};

use graphcloud_engine::{Limits, Request};
use query_support::*;
use serde_json::json;

/// Each fragment spreads the previous one twice: 2^levels fields after expansion.
fn fragment_bomb(levels: usize) -> String {
    let mut q =
        format!("query {{ queryAuthor {{ ...F{levels} }} }}\nfragment F0 on Author {{ name }}\n");
    for i in 1..=levels {
        q.push_str(&format!(
            "fragment F{i} on Author {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// Each level selects the authors of an author's posts twice under two aliases: the result
/// doubles (at least) per level.
fn alias_bomb(levels: usize) -> String {
    let mut q =
        format!("query {{ queryAuthor {{ ...A{levels} }} }}\nfragment A0 on Author {{ name }}\n");
    for i in 1..=levels {
        q.push_str(&format!(
            "fragment A{i} on Author {{ x: posts {{ author {{ ...A{p} }} }} y: posts {{ author {{ ...A{p} }} }} }}\n",
            p = i - 1
        ));
    }
    q
}

fn req(q: &str) -> Request {
    Request {
        query: q.to_string(),
        operation_name: None,
        variables: Default::default(),
    }
}

#[test]
fn fragment_bomb_is_refused_before_execution() {
    let f = Fixture::normal();
    let start = Instant::now();
    let r = f.query(&fragment_bomb(40));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // 2^40 fields after expansion, plus queryAuthor.
    assert_eq!(
        messages(&r),
        vec![format!(
            "the query selects {} fields after expanding fragments; the limit is 10000",
            (1u64 << 40) + 1
        )]
    );
    assert_eq!(r["data"], json!(null));
    // A small bomb is an ordinary query: fields merge by response key.
    let r = f.query(&fragment_bomb(3));
    assert_data(
        &r,
        json!({"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}, {"name": "Three Author"}]}),
    );
}

#[test]
fn aliases_multiply_the_field_count() {
    let f = Fixture::normal();
    // 12 levels: 2 * (2 + ...) fields = 2^13 - 2 + 2^12 (names) ... over the limit.
    let r = f.query(&alias_bomb(12));
    assert_eq!(messages(&r).len(), 1, "{r}");
    assert!(
        messages(&r)[0].starts_with("the query selects ")
            && messages(&r)[0].ends_with(" fields after expanding fragments; the limit is 10000"),
        "{r}"
    );
}

#[test]
fn long_fragment_chains_and_deep_documents_are_refused() {
    let f = Fixture::normal();
    let mut q = String::from("query { queryAuthor { ...F0 } }\n");
    for i in 0..2000 {
        q.push_str(&format!("fragment F{i} on Author {{ ...F{} }}\n", i + 1));
    }
    q.push_str("fragment F2000 on Author { name }\n");
    let r = f.query(&q);
    // Refused by the validator's own recursion guard.
    assert!(!messages(&r).is_empty(), "{r}");
    assert!(r["data"].is_null(), "{r}");

    let mut q = String::from("query { queryAuthor { ...F0 } }\n");
    for i in 0..60 {
        q.push_str(&format!("fragment F{i} on Author {{ ...F{} }}\n", i + 1));
    }
    q.push_str("fragment F60 on Author { name }\n");
    assert_eq!(
        messages(&f.query(&q)),
        vec!["fragment spreads are nested more than 50 levels deep"]
    );

    // Syntax nested 10 000 levels deep (list values): a parse error, not a stack overflow.
    let q = format!(
        "{{ queryAuthor(filter: {{name: {{in: {}\"a\"{}}}}}) {{ name }} }}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = f.query(&q);
    assert_eq!(
        messages(&r),
        vec!["the query is nested more than 100 levels deep (parser recursion limit reached)"]
    );
    // More tokens than the limit.
    let q = format!("{{ queryAuthor {{ {} }} }}", "name ".repeat(200_000));
    assert_eq!(
        messages(&f.query(&q)),
        vec!["the query is longer than the limit of 100000 tokens"]
    );
}

#[test]
fn introspection_lists_may_not_nest_deeply() {
    let f = Fixture::normal();
    let r = f.query(
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
    );
    assert_eq!(messages(&r), vec!["Maximum introspection depth exceeded"]);
    // What introspection clients send is fine.
    let r = f.query(
        "{ __schema { types { name fields { name args { name type { name ofType { name } } } } interfaces { name } } } }",
    );
    assert!(r.get("errors").is_none(), "{r}");
}

fn unbounded() -> Limits {
    Limits {
        max_fields: u64::MAX,
        max_depth: 10_000,
        max_result_nodes: usize::MAX,
        request_timeout: Duration::from_secs(600),
        ..Limits::default()
    }
}

#[test]
fn a_request_stops_at_its_time_limit() {
    let f = Fixture::normal_with_limits(Limits {
        request_timeout: Duration::from_millis(300),
        ..unbounded()
    });
    let start = Instant::now();
    let r = f.query(&alias_bomb(40));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        messages(&r),
        vec!["the request exceeded the time limit of 300 ms"]
    );
    assert_eq!(r["data"], json!(null));
}

#[test]
fn dropping_the_request_future_stops_the_work() {
    let f = Fixture::normal_with_limits(unbounded());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(drop_while_running(&f));
}

async fn drop_while_running(f: &Fixture) {
    let engine = f.engine.clone();
    let task =
        tokio::spawn(async move { engine.graphql(BACKEND, ADMIN, req(&alias_bomb(40))).await });
    // The request runs (its answer would take far longer than this test).
    let start = Instant::now();
    while f.engine.in_flight() == 0 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(f.engine.in_flight(), 1, "the request is still executing");
    // The caller stops waiting (as the server does when the client disconnects).
    task.abort();
    let stopped = Instant::now();
    while f.engine.in_flight() != 0 && stopped.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(f.engine.in_flight(), 0, "the work stopped after the cancel");
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopped.elapsed()
    );
}

#[test]
fn introspection_lists_are_counted_after_expansion() {
    let f = Fixture::normal();
    // 41 aliased `types` lists.
    let q = format!(
        "{{ __schema {{ {} }} }}",
        (0..41)
            .map(|i| format!("t{i}: types {{ name }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(
        messages(&f.query(&q)),
        vec!["the query selects 41 introspection lists after expanding fragments; the limit is 40"]
    );
    // The introspection query GraphQL clients send selects 9.
    let standard = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let r = f.query(standard);
    assert!(r.get("errors").is_none(), "{}", messages(&r).join("; "));
    assert!(r["data"]["__schema"]["types"].as_array().unwrap().len() > 50);
}

#[test]
fn a_cancelled_request_writes_nothing() {
    let f = Fixture::normal();
    let cancel = graphcloud_engine::Cancel::new();
    cancel.cancel();
    let r = f
        .engine
        .graphql_cancellable(
            BACKEND,
            ADMIN,
            &req("mutation { addCountry(input: [{name: \"Atlantis\"}]) { numUids } }"),
            cancel,
        )
        .to_json();
    assert_eq!(messages(&r), vec!["the request was cancelled"]);
    let r = f.query("{ queryCountry(filter: {name: {eq: \"Atlantis\"}}) { name } }");
    assert_data(&r, json!({"queryCountry": []}));
}
