//! The `/admin` API and the schema lifecycle of a backend: no schema → upload → query →
//! invalid upload keeps the old API → compatible change keeps the data; readonly mode;
//! mutation sequencing in one request.

mod query_support;

use graphcloud_engine::{Access, Caller, Request};
use query_support::*;
use serde_json::{Value, json};

fn req(q: &str) -> Request {
    Request {
        query: q.into(),
        operation_name: None,
        variables: Default::default(),
    }
}

fn req_vars(q: &str, vars: Value) -> Request {
    Request {
        query: q.into(),
        operation_name: None,
        variables: vars.as_object().cloned().unwrap_or_default(),
    }
}

const V1: &str = "type Country { id: ID! name: String! @search(by: [hash]) }";
const V2: &str =
    "type Country { id: ID! name: String! @search(by: [hash, term]) population: Int @search }";

#[tokio::test]
async fn schema_lifecycle() {
    let f = Fixture::empty();
    let e = &f.engine;

    // No schema yet.
    let r = e
        .admin(
            BACKEND,
            ADMIN,
            req("{ getGQLSchema { schema generatedSchema } }"),
        )
        .await;
    assert_eq!(
        r.to_json(),
        json!({"data": {"getGQLSchema": {"schema": "", "generatedSchema": ""}}})
    );
    let r = e
        .graphql(BACKEND, ADMIN, req("{ queryCountry { name } }"))
        .await;
    assert_eq!(
        messages(&r.to_json()),
        vec![
            "Not resolving queryCountry. There's no GraphQL schema in Dgraph. Use the /admin API to add a GraphQL schema"
        ]
    );
    assert_eq!(
        e.probe(BACKEND).await,
        json!({"status": "up", "schemaUpdateCounter": 0})
    );

    // Upload through updateGQLSchema (schema passed as a variable).
    let r = e
        .admin(
            BACKEND,
            ADMIN,
            req_vars(
                "mutation($s: String!) { updateGQLSchema(input: {set: {schema: $s}}) { gqlSchema { schema generatedSchema } } }",
                json!({"s": V1}),
            ),
        )
        .await
        .to_json();
    assert!(r.get("errors").is_none(), "{r}");
    let g = &r["data"]["updateGQLSchema"]["gqlSchema"];
    assert_eq!(g["schema"], V1);
    let generated = g["generatedSchema"].as_str().unwrap();
    assert!(
        generated.starts_with("#######################\n# Input Schema\n#######################\n"),
        "{generated}"
    );
    assert!(
        generated.contains("queryCountry(filter: CountryFilter"),
        "{generated}"
    );
    assert_eq!(
        e.probe(BACKEND).await,
        json!({"status": "up", "schemaUpdateCounter": 1})
    );

    // The new API answers at once.
    let r = e
        .graphql(BACKEND, ADMIN, req("mutation { addCountry(input: [{name: \"Chile\"}, {name: \"Peru\"}]) { numUids country(order: {asc: name}) { name } } }"))
        .await
        .to_json();
    assert_data(
        &r,
        json!({"addCountry": {"numUids": 2, "country": [{"name": "Chile"}, {"name": "Peru"}]}}),
    );

    // An invalid schema changes nothing.
    let r = e
        .admin(BACKEND, ADMIN, req("mutation { updateGQLSchema(input: {set: {schema: \"type Country { id: ID! name: String! @search(by: [nope]) }\"}}) { gqlSchema { schema } } }"))
        .await
        .to_json();
    let m = messages(&r);
    assert_eq!(m.len(), 1, "{r}");
    assert!(
        m[0].starts_with("resolving updateGQLSchema failed because input:1: "),
        "{}",
        m[0]
    );
    assert_eq!(r["data"], json!({"updateGQLSchema": null}));
    assert_eq!(
        e.probe(BACKEND).await,
        json!({"status": "up", "schemaUpdateCounter": 1})
    );
    let r = e
        .admin(BACKEND, ADMIN, req("{ getGQLSchema { schema } }"))
        .await
        .to_json();
    assert_eq!(r["data"]["getGQLSchema"]["schema"], V1);
    let r = e
        .graphql(
            BACKEND,
            ADMIN,
            req("{ queryCountry(filter: {name: {eq: \"Peru\"}}) { name } }"),
        )
        .await
        .to_json();
    assert_data(&r, json!({"queryCountry": [{"name": "Peru"}]}));

    // A compatible change through POST /admin/schema keeps the data and builds new indexes.
    let raw = e.admin_schema(BACKEND, ADMIN, V2.to_string()).await;
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.body,
        json!({"data": {"code": "Success", "message": "Done"}})
    );
    assert_eq!(
        e.probe(BACKEND).await,
        json!({"status": "up", "schemaUpdateCounter": 2})
    );
    let r = e
        .graphql(
            BACKEND,
            ADMIN,
            req("{ queryCountry(filter: {name: {anyofterms: \"chile\"}}) { name population } }"),
        )
        .await
        .to_json();
    assert_data(
        &r,
        json!({"queryCountry": [{"name": "Chile", "population": null}]}),
    );

    // Raw upload of an invalid schema: the §0 error shape.
    let raw = e.admin_schema(BACKEND, ADMIN, "type {".to_string()).await;
    assert_eq!(
        raw.body["errors"][0]["extensions"],
        json!({"code": "Error"})
    );
    assert!(raw.body.get("data").is_none());
}

#[tokio::test]
async fn readonly_mode_rejects_schema_updates() {
    let f = Fixture::empty();
    let ro = Caller {
        access: Access::Admin,
        read_only: true,
    };
    let raw = f.engine.admin_schema(BACKEND, ro, V1.to_string()).await;
    let msg = raw.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("readonly"), "{msg}");
    assert_eq!(f.engine.probe(BACKEND).await["schemaUpdateCounter"], 0);
}

#[tokio::test]
async fn admin_health_and_validation() {
    let f = Fixture::empty();
    let r = f
        .engine
        .admin(BACKEND, ADMIN, req("{ health { instance status } }"))
        .await
        .to_json();
    assert_eq!(
        r,
        json!({"data": {"health": [{"instance": "alpha", "status": "healthy"}]}})
    );
    let r = f
        .engine
        .admin(BACKEND, ADMIN, req("{ nope }"))
        .await
        .to_json();
    assert_eq!(
        messages(&r),
        vec!["Cannot query field \"nope\" on type \"Query\"."]
    );
}

#[tokio::test]
async fn failed_mutation_skips_later_ones() {
    let f = Fixture::empty();
    let raw = f
        .engine
        .admin_schema(
            BACKEND,
            ADMIN,
            "type State { id: ID! xcode: String! @id name: String! }".into(),
        )
        .await;
    assert_eq!(raw.status, 200, "{:?}", raw.body);
    let r = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("mutation { a: addState(input: [{xcode: \"nsw\", name: \"NSW\"}]) { numUids } b: addState(input: [{xcode: \"nsw\", name: \"Again\"}]) { numUids } c: addState(input: [{xcode: \"vic\", name: \"Victoria\"}]) { numUids } }"),
        )
        .await
        .to_json();
    assert_eq!(
        r["data"],
        json!({"a": {"numUids": 1}, "b": null, "c": null})
    );
    assert_eq!(
        messages(&r),
        vec![
            "couldn't rewrite mutation addState because failed to rewrite mutation payload because id nsw already exists for field xcode inside type State",
            "Mutation c was not executed because of a previous error."
        ]
    );
    assert_eq!(r["errors"][1]["path"], json!(["c"]));
    // a stays committed, c never ran.
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("{ queryState { xcode name } }"))
        .await
        .to_json();
    assert_data(&r, json!({"queryState": [{"xcode": "nsw", "name": "NSW"}]}));
}

#[tokio::test]
async fn delete_payload_comes_from_before_the_delete() {
    let f = Fixture::empty();
    f.engine.admin_schema(BACKEND, ADMIN, V1.into()).await;
    f.engine
        .graphql(
            BACKEND,
            ADMIN,
            req(
                "mutation { addCountry(input: [{name: \"Chile\"}, {name: \"Peru\"}]) { numUids } }",
            ),
        )
        .await;
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("mutation { deleteCountry(filter: {name: {eq: \"Peru\"}}) { msg numUids country { name } } }"))
        .await
        .to_json();
    assert_data(
        &r,
        json!({"deleteCountry": {"msg": "Deleted", "numUids": 1, "country": [{"name": "Peru"}]}}),
    );
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("{ queryCountry { name } }"))
        .await
        .to_json();
    assert_data(&r, json!({"queryCountry": [{"name": "Chile"}]}));
    // The index answer alone must not bring the deleted node back.
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("{ queryCountry(filter: {name: {eq: \"Peru\"}}) { name } aggregateCountry(filter: {name: {eq: \"Peru\"}}) { count } }"))
        .await
        .to_json();
    assert_data(
        &r,
        json!({"queryCountry": [], "aggregateCountry": {"count": 0}}),
    );
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("mutation { updateCountry(input: {filter: {name: {eq: \"Chile\"}}, set: {name: \"Chile!\"}}) { numUids country { name } } }"))
        .await
        .to_json();
    assert_data(
        &r,
        json!({"updateCountry": {"numUids": 1, "country": [{"name": "Chile!"}]}}),
    );
}

#[tokio::test]
async fn check_password_query() {
    let f = Fixture::empty();
    let raw = f
        .engine
        .admin_schema(
            BACKEND,
            ADMIN,
            "type User @secret(field: \"password\") { name: String! @id age: Int }".into(),
        )
        .await;
    assert_eq!(raw.status, 200, "{:?}", raw.body);
    let r = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("mutation { addUser(input: [{name: \"alice\", age: 30, password: \"Sup3rSecret\"}]) { numUids } }"),
        )
        .await
        .to_json();
    assert_data(&r, json!({"addUser": {"numUids": 1}}));
    let ok = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("{ checkUserPassword(name: \"alice\", password: \"Sup3rSecret\") { name age } }"),
        )
        .await
        .to_json();
    assert_data(
        &ok,
        json!({"checkUserPassword": {"name": "alice", "age": 30}}),
    );
    let bad = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("{ checkUserPassword(name: \"alice\", password: \"wrong-pass\") { name } }"),
        )
        .await
        .to_json();
    assert_data(&bad, json!({"checkUserPassword": null}));
    let nobody = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("{ checkUserPassword(name: \"bob\", password: \"Sup3rSecret\") { name } }"),
        )
        .await
        .to_json();
    assert_data(&nobody, json!({"checkUserPassword": null}));
}

#[tokio::test]
async fn result_size_and_time_limits() {
    let limits = graphcloud_engine::Limits {
        max_result_nodes: 2,
        ..Default::default()
    };
    let f = Fixture::with_limits(limits);
    f.engine.admin_schema(BACKEND, ADMIN, V1.into()).await;
    f.engine
        .graphql(
            BACKEND,
            ADMIN,
            req("mutation { addCountry(input: [{name: \"A\"}, {name: \"B\"}, {name: \"C\"}]) { numUids } }"),
        )
        .await;
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("{ queryCountry { name } }"))
        .await
        .to_json();
    assert_eq!(
        messages(&r),
        vec!["the result exceeds the limit of 2 nodes; narrow the query with filters or `first`"]
    );
    // A request stopped by a limit ends with that one error and no partial data.
    assert_eq!(r["data"], json!(null));
    let r = f
        .engine
        .graphql(
            BACKEND,
            ADMIN,
            req("{ queryCountry(first: 2, order: {asc: name}) { name } }"),
        )
        .await
        .to_json();
    assert_data(&r, json!({"queryCountry": [{"name": "A"}, {"name": "B"}]}));

    let limits = graphcloud_engine::Limits {
        request_timeout: std::time::Duration::ZERO,
        ..Default::default()
    };
    let f = Fixture::with_limits(limits);
    f.engine.admin_schema(BACKEND, ADMIN, V1.into()).await;
    f.engine
        .graphql(
            BACKEND,
            ADMIN,
            req("mutation { addCountry(input: [{name: \"A\"}]) { numUids } }"),
        )
        .await;
    let r = f
        .engine
        .graphql(BACKEND, ADMIN, req("{ queryCountry { name } }"))
        .await
        .to_json();
    assert_eq!(
        messages(&r),
        vec!["the request exceeded the time limit of 0 ms"]
    );
}

#[tokio::test]
async fn admin_requests_have_the_same_bounds() {
    let f = Fixture::empty();
    // Introspection lists nested three deep on /admin.
    let r = f
        .engine
        .admin(
            BACKEND,
            ADMIN,
            req("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"),
        )
        .await
        .to_json();
    assert_eq!(messages(&r), vec!["Maximum introspection depth exceeded"]);
    // A fragment bomb on /admin.
    let mut q = String::from("{ getGQLSchema { ...F30 } }\nfragment F0 on GQLSchema { id }\n");
    for i in 1..=30 {
        q.push_str(&format!(
            "fragment F{i} on GQLSchema {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    let r = f.engine.admin(BACKEND, ADMIN, req(&q)).await.to_json();
    assert_eq!(
        messages(&r),
        vec![format!(
            "the query selects {} fields after expanding fragments; the limit is 10000",
            (1u64 << 30) + 1
        )]
    );
    // Operation names use the reference's texts here too.
    let two = "query A { health { status } } query B { health { version } }";
    let r = f.engine.admin(BACKEND, ADMIN, req(two)).await.to_json();
    assert_eq!(
        messages(&r),
        vec!["Operation name must by supplied when query has more than 1 operation."]
    );
}
