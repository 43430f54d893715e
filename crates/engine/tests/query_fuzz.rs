//! No input may panic the request pipeline: random documents, mangled valid queries and
//! random variables are executed against the `e2e/normal` fixture, and every answer must be
//! a well-formed GraphQL response. (`PROPTEST_CASES` raises the case count for long runs.)

mod query_support;

use std::sync::OnceLock;

use graphcloud_engine::Request;
use proptest::prelude::*;
use query_support::*;
use serde_json::{Value, json};

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(Fixture::normal)
}

const SEEDS: &[&str] = &[
    "{ queryAuthor(filter: {name: {eq: \"Ann Author\"}}, order: {asc: name}, first: 2) { id name posts { title } postsAggregate { count } } }",
    "query($f: PostFilter, $n: Int) { queryPost(filter: $f, first: $n) { title numLikes author { name } } }",
    "{ aggregatePost(filter: {or: [{numLikes: {gt: 1}}, {not: {isPublished: true}}]}) { count numLikesAvg titleMax } }",
    "{ getState(xcode: \"mh\") { name country { name states { name } } } }",
    "{ queryCountry @cascade { name states(filter: {xcode: {regexp: \"/^mah/\"}}) @cascade(fields: [\"name\"]) { name } } }",
    "query A { __schema { types { name } } } query B { __type(name: \"Post\") { fields { name } } }",
    "{ queryPost(filter: {text: {alloftext: \"graphql support\"}, title: {anyofterms: \"dgraph\"}}) { title } }",
    "fragment F on Author { name } { queryAuthor { ...F ... on Author { dob } } }",
];

fn check(resp: &Value) {
    let obj = resp.as_object().expect("a JSON object");
    assert!(
        obj.contains_key("data") || obj.contains_key("errors"),
        "{resp}"
    );
    if let Some(errs) = obj.get("errors") {
        for e in errs.as_array().expect("errors is a list") {
            assert!(e["message"].is_string(), "{e}");
        }
    }
}

fn run(query: String, vars: serde_json::Map<String, Value>, op: Option<String>) {
    let req = Request {
        query,
        operation_name: op,
        variables: vars,
    };
    let r = fx().engine.graphql_blocking(BACKEND, ADMIN, &req).to_json();
    check(&r);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        "[a-zA-Z0-9/^$.*()|\\\\ ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        run(s, Default::default(), None);
    }

    #[test]
    fn mangled_queries_never_panic(seed in 0..SEEDS.len(), cut in 0usize..200, ins in "[{}()\\[\\]:$@!.,\"a-z0-9 ]{0,6}") {
        let mut q = SEEDS[seed].to_string();
        let at = cut.min(q.len());
        let at = (0..=at).rev().find(|i| q.is_char_boundary(*i)).unwrap_or(0);
        q.insert_str(at, &ins);
        run(q, Default::default(), None);
    }

    #[test]
    fn random_variables_never_panic(seed in 0..SEEDS.len(), vars in prop::collection::btree_map("[a-z]{1,2}", json_value(), 0..4), f in json_value(), op in prop::option::of("[AB]")) {
        let mut m: serde_json::Map<String, Value> = vars.into_iter().collect();
        m.insert("f".into(), f);
        run(SEEDS[seed].to_string(), m, op);
    }
}

// ---- index answers agree with a plain scan ----

fn word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GraphQL",
        "Dgraph",
        "learn",
        "post",
        "random",
        "docs",
        "best",
        "the",
        "database",
        "introducing",
        "publishing",
        "zzz",
    ])
}

fn scalar_filter() -> impl Strategy<Value = Value> {
    let int = || prop::sample::select(vec![0i64, 1, 77, 80, 87, 100, 2147483647]);
    let int64 = || prop::sample::select(vec![0i64, 1, 2147483648, 274877906944, 280000000000]);
    prop_oneof![
        (prop::sample::select(vec!["eq", "le", "lt", "ge", "gt"]), int())
            .prop_map(|(op, v)| serde_json::json!({"numLikes": {op: v}})),
        (int64(), int64()).prop_map(|(a, b)| serde_json::json!({"numViews": {"between": {"min": a.min(b), "max": a.max(b)}}})),
        (prop::sample::select(vec!["eq", "le", "lt", "ge", "gt"]), int64())
            .prop_map(|(op, v)| serde_json::json!({"numViews": {op: v}})),
        prop::collection::vec(int(), 0..3).prop_map(|v| serde_json::json!({"numLikes": {"in": v}})),
        (prop::sample::select(vec!["allofterms", "anyofterms"]), prop::collection::vec(word(), 1..3))
            .prop_map(|(op, w)| serde_json::json!({"title": {op: w.join(" ")}})),
        (prop::sample::select(vec!["alloftext", "anyoftext"]), prop::collection::vec(word(), 1..3))
            .prop_map(|(op, w)| serde_json::json!({"text": {op: w.join(" ")}})),
        (prop::sample::select(vec!["eq", "le", "lt", "ge", "gt"]), prop::sample::select(vec!["Docs", "GraphQL", "Learn", "Random", "M"]))
            .prop_map(|(op, v)| serde_json::json!({"topic": {op: v}})),
        prop::sample::select(vec!["GraphQL", "Dgraph", "Database", "Random"]).prop_map(|t| serde_json::json!({"tags": {"eq": t}})),
        any::<bool>().prop_map(|b| serde_json::json!({"isPublished": b})),
        prop::sample::select(vec!["Fact", "Question", "Opinion"]).prop_map(|t| serde_json::json!({"postType": {"eq": t}})),
        prop::sample::select(vec!["text", "category", "author", "tags"]).prop_map(|h| serde_json::json!({"has": [h]})),
        prop::sample::select(vec!["/^Que/", "/act$/", "/opin/i"]).prop_map(|r| serde_json::json!({"postType": {"regexp": r}})),
    ]
}

fn post_filter() -> impl Strategy<Value = Value> {
    scalar_filter().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| serde_json::json!({"and": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| serde_json::json!({"or": v})),
            inner.clone().prop_map(|v| serde_json::json!({"not": v})),
            (inner.clone(), inner).prop_map(|(a, b)| {
                let mut m = a.as_object().cloned().unwrap_or_default();
                m.insert("or".into(), b);
                Value::Object(m)
            }),
        ]
    })
}

fn scan_ids(filter: &Value) -> Vec<String> {
    use graphcloud_engine::store_adapter::StoreRead;
    let sdl = std::fs::read_to_string(conformance_dir().join("graphql/e2e/normal/schema.graphql"))
        .unwrap();
    static API: OnceLock<std::sync::Arc<graphcloud_engine::api::CompiledApi>> = OnceLock::new();
    let api =
        API.get_or_init(|| std::sync::Arc::new(graphcloud_engine::api::compile(&sdl).unwrap()));
    let ctx = graphcloud_engine::ExecCtx {
        api: api.clone(),
        backend: BACKEND,
        access: graphcloud_engine::Access::Admin,
        now: time::OffsetDateTime::now_utc(),
    };
    let snap = StoreRead(fx().engine.store().read(BACKEND).unwrap());
    let f: graphcloud_engine::JsonValue = serde_json_bytes::to_value(filter).unwrap();
    graphcloud_engine::select_uids(&ctx, &snap, "Post", &f)
        .unwrap()
        .into_iter()
        .map(graphcloud_engine::filter::format_uid)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn indexed_filters_match_a_scan(f in post_filter()) {
        let req = Request {
            query: "query($f: PostFilter) { queryPost(filter: $f) { postID } }".into(),
            operation_name: None,
            variables: serde_json::json!({"f": f}).as_object().cloned().unwrap(),
        };
        let r = fx().engine.graphql_blocking(BACKEND, ADMIN, &req).to_json();
        prop_assert!(r.get("errors").is_none(), "{} -> {}", f, r);
        let mut got: Vec<String> = r["data"]["queryPost"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["postID"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want = scan_ids(&f);
        want.sort();
        prop_assert_eq!(got, want, "filter {}", f);
    }
}

// ---- hostile shapes: every answer within a bounded work budget ----

/// An engine over the fixture data with a short time limit: a hostile request must end (with
/// data or an error) well within a few seconds of it.
fn hostile_fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        Fixture::normal_with_limits(graphcloud_engine::Limits {
            request_timeout: std::time::Duration::from_millis(1500),
            ..Default::default()
        })
    })
}

fn run_bounded(query: String, vars: serde_json::Map<String, Value>, op: Option<String>) {
    let req = Request {
        query,
        operation_name: op,
        variables: vars,
    };
    let start = std::time::Instant::now();
    let r = hostile_fx()
        .engine
        .graphql_blocking(BACKEND, ADMIN, &req)
        .to_json();
    let took = start.elapsed();
    check(&r);
    assert!(
        took < std::time::Duration::from_secs(6),
        "took {took:?}: {}",
        req.query.chars().take(300).collect::<String>()
    );
}

/// One selection inside an `Author` context: fields, aliased edges, spreads of earlier
/// fragments, inline fragments and directives.
fn author_selection(n_frags: usize) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("name".to_string()),
        Just("dob".to_string()),
        Just("__typename".to_string()),
        "[a-z]{1,3}".prop_map(|a| format!("{a}: name")),
        Just("name @include(if: true) @skip(if: false)".to_string()),
        Just("postsAggregate { count }".to_string()),
    ];
    let spread = (0..n_frags.max(1)).prop_map(move |i| {
        if n_frags == 0 {
            "name".to_string()
        } else {
            format!("...A{i}")
        }
    });
    let base = prop_oneof![3 => leaf, 2 => spread];
    base.prop_recursive(4, 40, 6, |inner| {
        (
            "[a-z]{1,3}",
            prop::collection::vec(inner.clone(), 1..6),
            prop::option::of(0i64..50),
            any::<bool>(),
        )
            .prop_map(|(alias, sels, first, cascade)| {
                let args = first.map(|f| format!("(first: {f})")).unwrap_or_default();
                let c = if cascade { " @cascade" } else { "" };
                format!(
                    "{alias}: posts{args}{c} {{ title author {{ {} }} }}",
                    sels.join(" ")
                )
            })
    })
}

/// A document whose fragments spread earlier fragments any number of times (a DAG, so the
/// document is valid; repeated spreads multiply the expanded size).
fn hostile_document() -> impl Strategy<Value = String> {
    (1usize..25)
        .prop_flat_map(|n| {
            let frags: Vec<_> = (0..n)
                .map(|i| prop::collection::vec(author_selection(i), 1..6))
                .collect();
            (
                frags,
                prop::collection::vec(author_selection(n), 1..4),
                any::<bool>(),
            )
        })
        .prop_map(|(frags, root, introspect)| {
            let mut q = format!("query Q {{ queryAuthor {{ {} }}", root.join(" "));
            if introspect {
                q.push_str(
                    " __schema { types { name fields { name type { name ofType { name } } } } }",
                );
            }
            q.push_str(" }\n");
            for (i, f) in frags.iter().enumerate() {
                q.push_str(&format!(
                    "fragment A{i} on Author {{ name {} }}\n",
                    f.join(" ")
                ));
            }
            q
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, .. ProptestConfig::default() })]

    #[test]
    fn hostile_documents_end_within_budget(doc in hostile_document()) {
        run_bounded(doc, Default::default(), None);
    }
}

/// Every repeated shape at every size (1 to 20 000 repetitions).
#[test]
fn repeated_shapes_end_within_budget() {
    for kind in 0usize..10 {
        for n in [1usize, 10, 100, 1_000, 5_000, 20_000] {
            repeated_shape(kind, n);
        }
    }
}

fn repeated_shape(kind: usize, n: usize) {
    let (q, vars, op) = match kind {
        // Many aliases of one root query.
        0 => ((0..n).map(|i| format!("a{i}: queryPost {{ title author {{ name }} }}")).collect::<Vec<_>>().join(" "), Value::Null, None),
        // Selections nested n levels (author/posts cycles).
        1 => {
            let d = n.min(3_000);
            let mut q = String::from("queryAuthor { ");
            for _ in 0..d { q.push_str("posts { author { "); }
            q.push_str("name");
            for _ in 0..d { q.push_str(" } }"); }
            q.push_str(" }");
            (q, Value::Null, None)
        }
        // Many operations in one document, the last one selected.
        2 => ((0..n).map(|i| format!("query O{i} {{ queryAuthor {{ name }} }}")).collect::<Vec<_>>().join("\n"), Value::Null, Some(format!("O{}", n - 1))),
        // A huge `in` list from a variable.
        3 => ("query($v: [Int]) { queryPost(filter: {numLikes: {in: $v}}) { title } }".to_string(), json!({"v": (0..n as i64).collect::<Vec<_>>()}), None),
        // Many representations for _entities.
        4 => ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Mission { id } } }".to_string(), json!({"r": (0..n).map(|i| json!({"__typename": "Mission", "id": format!("m{i}")})).collect::<Vec<_>>()}), None),
        // The same directive repeated on every field.
        5 => ((0..n).map(|i| format!("a{i}: queryAuthor @cascade {{ name @include(if: true) posts @cascade {{ title }} }}")).collect::<Vec<_>>().join(" "), Value::Null, None),
        // Deeply nested filter values.
        6 => {
            let d = n.min(5_000);
            (format!("queryPost(filter: {}{{title: {{anyofterms: \"a\"}}}}{}) {{ title }}", "{not: ".repeat(d), "}".repeat(d)), Value::Null, None)
        }
        // One response key repeated (fields to merge).
        8 => (format!("queryAuthor {{ {} }}", "a: name ".repeat(n)), Value::Null, None),
        // One response key with conflicting arguments.
        9 => ((0..n).map(|i| format!("a: queryAuthor(first: {i}) {{ name }}")).collect::<Vec<_>>().join(" "), Value::Null, None),
        // Introspection with many aliases.
        _ => ((0..n.min(2_000)).map(|i| format!("t{i}: __schema {{ types {{ name fields {{ name }} }} }}")).collect::<Vec<_>>().join(" "), Value::Null, None),
    };
    let q = if kind == 2 || kind == 3 || kind == 4 {
        q
    } else {
        format!("{{ {q} }}")
    };
    run_bounded(q, vars.as_object().cloned().unwrap_or_default(), op);
}
