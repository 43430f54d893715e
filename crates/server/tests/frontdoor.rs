//! Black-box tests of the backend listener: routing, the full credential matrix for every
//! header form, unauthenticated paths, anonymous access and bad input (spec §1.3/§1.4,
//! §4.2, §4.8, §4.9).

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const NO_SCHEMA: &str = "Not resolving queryX. There's no GraphQL schema in Dgraph. Use the /admin API to add a GraphQL schema";

#[derive(Clone, Copy, Debug)]
enum Form {
    XAuthToken,
    DgAuth,
    RawAuthorization,
    Bearer,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    Host,
    Prefix,
}

async fn call(
    s: &TestServer,
    via: Via,
    sub: &str,
    path: &str,
    form: Option<Form>,
    cred: &str,
    query: &str,
) -> (u16, Value) {
    let req = match via {
        Via::Host => s
            .client
            .post(s.be(path))
            .header("host", format!("{sub}.localhost:{}", s.backend.port())),
        Via::Prefix => s.client.post(s.be(&format!("/backends/{sub}{path}"))),
    };
    let req = match form {
        None => req,
        Some(Form::XAuthToken) => req.header("X-Auth-Token", cred),
        Some(Form::DgAuth) => req.header("DG-Auth", cred),
        Some(Form::RawAuthorization) => req.header("Authorization", cred),
        Some(Form::Bearer) => req.header("Authorization", format!("Bearer {cred}")),
    };
    let resp = req.json(&json!({ "query": query })).send().await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "application/json");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn credential_matrix() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let a = s.create(&t, json!({ "name": "alpha" })).await;
    let b = s.create(&t, json!({ "name": "beta" })).await;
    let a_uid = a["uid"].as_str().unwrap();
    let client = s.key(&t, a_uid, "client", None).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = s.key(&t, a_uid, "admin", None).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = s.key(&t, a_uid, "admin", None).await;
    let (_, body) = s
        .gql(Some(&t), "mutation($d: String!, $k: String!) { deleteDeploymentAPIKey(deploymentID: $d, keyID: $k) }", json!({ "d": a_uid, "k": revoked["uid"] }))
        .await;
    assert!(body.get("errors").is_none());
    let soon = (time::OffsetDateTime::now_utc() + Duration::from_secs(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let expired = s.key(&t, a_uid, "admin", Some(&soon)).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let other_key = s.key(&t, b["uid"].as_str().unwrap(), "admin", None).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    // Before expiry the soon-expiring key works.
    assert_eq!(
        call(
            &s,
            Via::Prefix,
            "alpha",
            "/admin",
            Some(Form::XAuthToken),
            &expired,
            "{ getGQLSchema { schema } }"
        )
        .await
        .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(2300)).await;

    let jwt = a["jwtToken"].as_str().unwrap().to_string();
    let other_jwt = b["jwtToken"].as_str().unwrap().to_string();
    // (name, credential, status on /graphql, status on /admin)
    let cases: Vec<(&str, String, u16, u16)> = vec![
        ("client key", client.clone(), 200, 403),
        ("admin key", admin.clone(), 200, 200),
        ("jwtToken", jwt.clone(), 200, 200),
        (
            "wrong key",
            "gck_0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            401,
            401,
        ),
        ("garbage", "not-a-credential".into(), 401, 401),
        (
            "revoked key",
            revoked["key"].as_str().unwrap().to_string(),
            401,
            401,
        ),
        ("expired key", expired.clone(), 401, 401),
        ("other backend's key", other_key.clone(), 401, 401),
        ("other backend's jwtToken", other_jwt.clone(), 401, 401),
        ("session token", t.clone(), 401, 401),
    ];
    let mut checked = 0;
    for via in [Via::Host, Via::Prefix] {
        for form in [
            Form::XAuthToken,
            Form::DgAuth,
            Form::RawAuthorization,
            Form::Bearer,
        ] {
            for (name, cred, want_gql, want_admin) in &cases {
                let (st, body) = call(
                    &s,
                    via,
                    "alpha",
                    "/graphql",
                    Some(form),
                    cred,
                    "{ queryX { id } }",
                )
                .await;
                assert_eq!(
                    st, *want_gql,
                    "{name} via {via:?} {form:?} on /graphql: {body}"
                );
                if st == 200 {
                    assert_eq!(body, json!({ "errors": [{ "message": NO_SCHEMA }] }));
                } else {
                    assert!(body["errors"][0]["message"].is_string(), "{body}");
                }
                let (st, body) = call(
                    &s,
                    via,
                    "alpha",
                    "/admin",
                    Some(form),
                    cred,
                    "{ getGQLSchema { schema generatedSchema } }",
                )
                .await;
                assert_eq!(
                    st, *want_admin,
                    "{name} via {via:?} {form:?} on /admin: {body}"
                );
                if st == 200 {
                    assert_eq!(
                        body,
                        json!({ "data": { "getGQLSchema": { "schema": "", "generatedSchema": "" } } })
                    );
                }
                let (st, _) = call(
                    &s,
                    via,
                    "alpha",
                    "/admin/slash",
                    Some(form),
                    cred,
                    "{ listBackups { errors { message } } }",
                )
                .await;
                assert_eq!(
                    st, *want_admin,
                    "{name} via {via:?} {form:?} on /admin/slash"
                );
                checked += 3;
            }
        }
    }
    assert_eq!(checked, 2 * 4 * cases.len() * 3);

    // Header order: X-Auth-Token wins over Dg-Auth over Authorization.
    let r = s
        .client
        .post(s.be("/backends/alpha/admin"))
        .header("X-Auth-Token", &admin)
        .header("Dg-Auth", &client)
        .header("Authorization", "garbage")
        .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .post(s.be("/backends/alpha/admin"))
        .header("Dg-Auth", &client)
        .header("Authorization", &admin)
        .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A regenerated deployment token replaces the old one at once.
    let (_, body) = s
        .gql(Some(&t), "mutation($d: String!) { regenerateDeploymentToken(deploymentID: $d) { uid jwtToken } }", json!({ "d": a_uid }))
        .await;
    let fresh = body["data"]["regenerateDeploymentToken"]["jwtToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fresh, jwt);
    assert_eq!(
        call(
            &s,
            Via::Prefix,
            "alpha",
            "/admin",
            Some(Form::RawAuthorization),
            &jwt,
            "{ getGQLSchema { schema } }"
        )
        .await
        .0,
        401
    );
    assert_eq!(
        call(
            &s,
            Via::Prefix,
            "alpha",
            "/admin",
            Some(Form::RawAuthorization),
            &fresh,
            "{ getGQLSchema { schema } }"
        )
        .await
        .0,
        200
    );

    // No credential at all.
    for path in ["/graphql", "/admin", "/admin/slash"] {
        let (st, body) = call(
            &s,
            Via::Prefix,
            "alpha",
            path,
            None,
            "",
            "{ queryX { id } }",
        )
        .await;
        assert_eq!(st, 401, "{path}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("missing credential")
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn anonymous_access_and_open_paths() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let d = s
        .create(&t, json!({ "name": "open", "anonymousAccess": "read" }))
        .await;
    assert_eq!(d["anonymousAccess"], "read");
    // Keyless /graphql allowed at read level; /admin still refused.
    let (st, body) = call(
        &s,
        Via::Host,
        "open",
        "/graphql",
        None,
        "",
        "{ queryX { id } }",
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(body["errors"][0]["message"], NO_SCHEMA);
    assert_eq!(
        call(
            &s,
            Via::Host,
            "open",
            "/admin",
            None,
            "",
            "{ getGQLSchema { schema } }"
        )
        .await
        .0,
        401
    );
    // A wrong credential is still refused even though anonymous access is on.
    assert_eq!(
        call(
            &s,
            Via::Host,
            "open",
            "/graphql",
            Some(Form::XAuthToken),
            "nope",
            "{ queryX { id } }"
        )
        .await
        .0,
        401
    );
    // Switching anonymous access off takes effect at once.
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: UpdateDeploymentInput!) { updateDeployment(input: $i) }",
            json!({ "i": { "uid": d["uid"], "anonymousAccess": "none" } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        call(
            &s,
            Via::Host,
            "open",
            "/graphql",
            None,
            "",
            "{ queryX { id } }"
        )
        .await
        .0,
        401
    );

    // OPTIONS on any path, /health, /probe/graphql: no credential needed, CORS headers present.
    for path in ["/graphql", "/admin", "/admin/slash", "/anything/else"] {
        let r = s
            .client
            .request(
                reqwest::Method::OPTIONS,
                s.be(&format!("/backends/open{path}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        let allowed = r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(allowed.contains("X-Auth-Token") && allowed.contains("X-Dgraph-AccessToken"));
    }
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.be("/graphql"))
        .header("host", format!("open.localhost:{}", s.backend.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .get(s.be("/backends/open/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h: Value = r.json().await.unwrap();
    assert_eq!(h[0]["status"], "healthy");
    assert_eq!(h[0]["instance"], "alpha");
    let r = s
        .client
        .get(s.be("/backends/open/probe/graphql"))
        .header("X-Auth-Token", "ignored")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({ "status": "up", "schemaUpdateCounter": 0 })
    );
    s.stop().await;
}

#[tokio::test]
async fn routing_and_bad_input() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let d = s.create(&t, json!({ "name": "route" })).await;
    let jwt = d["jwtToken"].as_str().unwrap();

    // Unknown backends and addresses: 404 JSON.
    for (host, path) in [
        (
            format!("nope.localhost:{}", s.backend.port()),
            "/graphql".to_string(),
        ),
        (s.backend.to_string(), "/backends/nope/graphql".to_string()),
        (s.backend.to_string(), "/graphql".to_string()),
        ("route.example.com".to_string(), "/graphql".to_string()),
    ] {
        let r = s
            .client
            .post(s.be(&path))
            .header("host", &host)
            .header("X-Auth-Token", jwt)
            .json(&json!({ "query": "{ a }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{host}{path}");
        assert!(r.json::<Value>().await.unwrap()["errors"][0]["message"].is_string());
    }
    // Unknown endpoint of a known backend.
    let r = s
        .client
        .get(s.be("/backends/route/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        "no such endpoint: /nothing"
    );

    // GET with URL parameters; application/graphql body; aliases of root fields.
    let r = s
        .client
        .get(s.be("/backends/route/graphql?query=%7B%20a%3A%20queryX%20%7B%20id%20%7D%20%7D"))
        .header("X-Auth-Token", jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        NO_SCHEMA
    );
    let r = s
        .client
        .post(s.be("/backends/route/graphql"))
        .header("X-Auth-Token", jwt)
        .header("content-type", "application/graphql")
        .body("{ queryX { id } getY(id: 1) { id } }")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);

    // Malformed JSON, wrong content type, wrong method, missing query: HTTP 200 with one
    // GraphQL error, as Dgraph answers (graphql-backend.md §0).
    let post = |ct: &'static str, body: &'static str| {
        s.client
            .post(s.be("/backends/route/graphql"))
            .header("X-Auth-Token", jwt)
            .header("content-type", ct)
            .body(body)
    };
    let r = post("application/json", "{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Not a valid GraphQL request body")
    );
    let r = post("text/plain", "{ queryX { id } }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        "Unrecognised Content-Type.  Please use application/json or application/graphql for GraphQL requests"
    );
    let r = s
        .client
        .put(s.be("/backends/route/graphql"))
        .header("X-Auth-Token", jwt)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        "Unrecognised request method.  Please use GET or POST for GraphQL requests"
    );
    let r = post("application/json", "{\"variables\": {}}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        "no query string supplied in request"
    );

    // 20 MiB body → 413 JSON, with or without a credential.
    let big = format!("{{\"query\": \"{}\"}}", "a".repeat(20 * 1024 * 1024));
    for with_key in [true, false] {
        let mut req = s
            .client
            .post(s.be("/backends/route/graphql"))
            .header("content-type", "application/json")
            .body(big.clone());
        if with_key {
            req = req.header("X-Auth-Token", jwt);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 413);
        assert!(
            r.json::<Value>().await.unwrap()["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("16 MiB")
        );
    }
    s.stop().await;
}
