//! Black-box tests of a backend's generated API over HTTP on a real server: schema upload
//! through `/admin`, queries and mutations on `/graphql`, an invalid upload that keeps the old
//! API serving, `POST /admin/schema`, `/probe/graphql`, anonymous access levels and readonly
//! mode.

mod common;

use common::*;
use serde_json::{Value, json};

struct Backend<'a> {
    s: &'a TestServer,
    sub: String,
    token: String,
}

impl Backend<'_> {
    async fn post(&self, path: &str, cred: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self
            .s
            .client
            .post(self.s.be(&format!("/backends/{}{path}", self.sub)));
        if let Some(c) = cred {
            req = req.header("X-Auth-Token", c);
        }
        let resp = req.json(&body).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    async fn admin(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(
                "/admin",
                Some(&self.token),
                json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn gql(&self, cred: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(
                "/graphql",
                cred,
                json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn probe(&self) -> Value {
        let resp = self
            .s
            .client
            .get(self.s.be(&format!("/backends/{}/probe/graphql", self.sub)))
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }
}

async fn backend<'a>(s: &'a TestServer, name: &str, extra: Value) -> Backend<'a> {
    let t = s.login().await;
    let mut input = json!({ "name": name });
    if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        i.extend(e.clone());
    }
    let d = s.create(&t, input).await;
    Backend {
        s,
        sub: d["subdomain"].as_str().unwrap().to_string(),
        token: d["jwtToken"].as_str().unwrap().to_string(),
    }
}

const SDL_V1: &str =
    "type Person { id: ID! name: String! @search(by: [hash]) age: Int @search friends: [Person] }";
const SDL_V2: &str = "type Person { id: ID! name: String! @search(by: [hash, term]) age: Int @search nick: String friends: [Person] }";

fn messages(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn upload_query_and_invalid_upload_keeps_old_api() {
    let s = TestServer::start().await;
    let b = backend(&s, "people", json!({})).await;
    let tok = b.token.clone();

    assert_eq!(
        b.probe().await,
        json!({"status": "up", "schemaUpdateCounter": 0})
    );
    let r = b
        .admin(
            "mutation($sch: String!) { updateGQLSchema(input: {set: {schema: $sch}}) { gqlSchema { schema generatedSchema } } }",
            json!({"sch": SDL_V1}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(r["data"]["updateGQLSchema"]["gqlSchema"]["schema"], SDL_V1);
    assert!(
        r["data"]["updateGQLSchema"]["gqlSchema"]["generatedSchema"]
            .as_str()
            .unwrap()
            .contains("type AddPersonPayload {")
    );
    assert_eq!(
        b.probe().await,
        json!({"status": "up", "schemaUpdateCounter": 1})
    );

    let r = b
        .gql(
            Some(&tok),
            "mutation { addPerson(input: [{name: \"Ada\", age: 36, friends: [{name: \"Bob\", age: 40}]}]) { numUids person { name friends { name age } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        r,
        json!({"data": {"addPerson": {"numUids": 2, "person": [{"name": "Ada", "friends": [{"name": "Bob", "age": 40}]}]}}})
    );
    let r = b
        .gql(
            Some(&tok),
            "{ queryPerson(filter: {age: {gt: 37}}) { name } aggregatePerson { count ageAvg } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        r,
        json!({"data": {"queryPerson": [{"name": "Bob"}], "aggregatePerson": {"count": 2, "ageAvg": 38.0}}})
    );

    // `@cacheControl` on a query sets the caching headers.
    let resp = s
        .client
        .post(s.be(&format!("/backends/{}/graphql", b.sub)))
        .header("X-Auth-Token", &tok)
        .json(&json!({"query": "query @cacheControl(maxAge: 60) { aggregatePerson { count } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "public,max-age=60");
    assert_eq!(resp.headers()["vary"], "Accept-Encoding");

    // Invalid schema: the exact wrapping, nothing changes, the old API keeps serving.
    let r = b
        .admin(
            "mutation($sch: String!) { updateGQLSchema(input: {set: {schema: $sch}}) { gqlSchema { schema } } }",
            json!({"sch": "type Person { id: ID! name: String! @search(by: [bogus]) }"}),
        )
        .await;
    let m = messages(&r);
    assert_eq!(m.len(), 1, "{r}");
    assert!(
        m[0].starts_with("resolving updateGQLSchema failed because input:1: "),
        "{}",
        m[0]
    );
    assert_eq!(b.probe().await["schemaUpdateCounter"], 1);
    let r = b.admin("{ getGQLSchema { schema } }", Value::Null).await;
    assert_eq!(r["data"]["getGQLSchema"]["schema"], SDL_V1);
    let r = b
        .gql(
            Some(&tok),
            "{ queryPerson(filter: {name: {eq: \"Ada\"}}) { age } }",
            Value::Null,
        )
        .await;
    assert_eq!(r, json!({"data": {"queryPerson": [{"age": 36}]}}));

    // Raw SDL upload; data survives the compatible change and the new index works.
    let resp = s
        .client
        .post(s.be(&format!("/backends/{}/admin/schema", b.sub)))
        .header("X-Auth-Token", &tok)
        .body(SDL_V2)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"data": {"code": "Success", "message": "Done"}})
    );
    assert_eq!(b.probe().await["schemaUpdateCounter"], 2);
    let r = b
        .gql(
            Some(&tok),
            "{ queryPerson(filter: {name: {anyofterms: \"bob\"}}) { name nick } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        r,
        json!({"data": {"queryPerson": [{"name": "Bob", "nick": null}]}})
    );
    s.stop().await;
}

#[tokio::test]
async fn anonymous_read_and_readonly_mode() {
    let s = TestServer::start().await;
    let b = backend(&s, "open", json!({"anonymousAccess": "read"})).await;
    b.admin(
        "mutation($sch: String!) { updateGQLSchema(input: {set: {schema: $sch}}) { gqlSchema { schema } } }",
        json!({"sch": SDL_V1}),
    )
    .await;
    let tok = b.token.clone();
    b.gql(
        Some(&tok),
        "mutation { addPerson(input: [{name: \"Ada\"}]) { numUids } }",
        Value::Null,
    )
    .await;
    // Keyless reads work, keyless writes do not.
    let r = b.gql(None, "{ queryPerson { name } }", Value::Null).await;
    assert_eq!(r, json!({"data": {"queryPerson": [{"name": "Ada"}]}}));
    let r = b
        .gql(
            None,
            "mutation { addPerson(input: [{name: \"Eve\"}]) { numUids } }",
            Value::Null,
        )
        .await;
    assert_eq!(messages(&r).len(), 1, "{r}");
    let r = b
        .gql(None, "{ aggregatePerson { count } }", Value::Null)
        .await;
    assert_eq!(r, json!({"data": {"aggregatePerson": {"count": 1}}}));
    s.stop().await;
}
