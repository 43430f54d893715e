//! No input may panic the request pipeline: random documents, mangled valid queries and
//! random variables are executed against the `e2e/normal` fixture, and every answer must be
//! a well-formed GraphQL response. (`PROPTEST_CASES` raises the case count for long runs.)

mod query_support;

use std::sync::OnceLock;

use graphcloud_engine::Request;
use proptest::prelude::*;
use query_support::*;
use serde_json::Value;

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
