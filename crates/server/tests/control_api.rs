//! Black-box tests of the control listener: GraphQL operations, REST paths of the CLI,
//! device login, bad input. Expected shapes follow the cloud-api spec §2/§3.

mod common;

use common::*;
use serde_json::{Value, json};

fn errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn login_and_deployments_graphql(s: TestServer) {
    // Wrong password: data is an object, login null, an error.
    let (st, body) = s
        .gql(
            None,
            r#"{ login(email: "owner@example.com", password: "nope-nope") { token } }"#,
            json!({}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(body["data"], json!({ "login": null }));
    assert_eq!(errors(&body), vec!["invalid email or password"]);

    // No token: the CLI's deployments query without variables.
    let resp = s
        .client
        .post(s.cp("/graphql"))
        .json(&json!({ "query": "{ deployments { uid } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"], json!({ "deployments": null }));
    assert!(errors(&body)[0].starts_with("unauthenticated"));

    let t = s.login().await;
    let (_, body) = s
        .gql(Some(&t), "{ deployments { uid } }", json!(null))
        .await;
    assert_eq!(body, json!({ "data": { "deployments": [] } }));
    // The earliest draft sent the session token in X-Auth-Token.
    let resp = s
        .client
        .post(s.cp("/graphql"))
        .header("X-Auth-Token", &t)
        .json(&json!({ "query": "{ deployments { uid } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "data": { "deployments": [] } })
    );

    // createDeployment with CLI-1.18 style input (string booleans, null organizationUID).
    let d = s
        .create(
            &t,
            json!({ "name": "My New Deployment", "zone": "us-west-2", "subdomain": null, "deploymentMode": "graphql",
                    "organizationUID": null, "enterprise": "true", "size": "small", "storage": 10,
                    "aclEnabled": "false", "jaegerEnabled": "false", "dgraphHA": "false",
                    "bulkLoadSchemaFilePath": "", "bulkLoadGQLSchemaFilePath": "", "bulkLoadDataFilePath": "" }),
        )
        .await;
    let uid = d["uid"].as_str().unwrap().to_string();
    assert!(
        uid.starts_with("0x")
            && uid[2..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(
        d["url"],
        json!(format!("my-new-deployment.localhost:{}", s.backend.port()))
    );
    assert_eq!(d["subdomain"], "my-new-deployment");
    assert_eq!(d["deploymentType"], "dedicated");
    assert_eq!(d["deploymentMode"], "graphql");
    assert_eq!(d["zone"], "us-west-2");
    assert_eq!(d["anonymousAccess"], "none");
    assert_eq!(d["lambdaScript"], "");

    // Aliases, fragments, __typename, @skip/@include, variables.
    let (_, body) = s
        .gql(
            Some(&t),
            "query($no: Boolean!) { list: deployments { ...F id: uid __typename skipped: name @skip(if: true) kept: zone @include(if: $no) } } fragment F on Deployment { name }",
            json!({ "no": true }),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "list": [ { "name": "My New Deployment", "id": uid, "__typename": "Deployment", "kept": "us-west-2" } ] } })
    );

    // Paged listing: a second deployment, then pages of one in uid order.
    let d2 = s.create(&t, json!({ "name": "Second" })).await;
    let uid2 = d2["uid"].as_str().unwrap().to_string();
    let page = "query($f: Int, $a: String) { deployments(first: $f, after: $a) { uid name } }";
    let (_, body) = s.gql(Some(&t), page, json!({ "f": 1 })).await;
    assert_eq!(
        body,
        json!({ "data": { "deployments": [ { "uid": uid, "name": "My New Deployment" } ] } })
    );
    let (_, body) = s.gql(Some(&t), page, json!({ "f": 1, "a": uid })).await;
    assert_eq!(
        body,
        json!({ "data": { "deployments": [ { "uid": uid2, "name": "Second" } ] } })
    );
    let (_, body) = s.gql(Some(&t), page, json!({ "f": 1, "a": uid2 })).await;
    assert_eq!(body, json!({ "data": { "deployments": [] } }));
    let (_, body) = s.gql(Some(&t), page, json!({ "f": 0 })).await;
    assert_eq!(body["data"], json!({ "deployments": null }));
    assert_eq!(
        errors(&body),
        vec!["first must be between 1 and 1000, not 0"]
    );
    let (_, body) = s.gql(Some(&t), page, json!({ "f": 5, "a": "nope" })).await;
    assert_eq!(body["data"], json!({ "deployments": null }));
    assert!(errors(&body)[0].contains("after must be a deployment uid"));
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($u: String!) { deleteDeployment(deploymentID: $u) }",
            json!({ "u": uid2 }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    // Errors of createDeployment: validation messages, data object with null field.
    let (_, body) = s
        .gql(Some(&t), r#"mutation { createDeployment(input: {name: "x", deploymentMode: "strict"}) { uid } }"#, json!({}))
        .await;
    assert_eq!(body["data"], json!({ "createDeployment": null }));
    assert_eq!(
        errors(&body),
        vec![r#"invalid deploymentMode "strict": must be one of readonly, graphql, flexible"#]
    );
    let (_, body) = s
        .gql(Some(&t), r#"mutation { createDeployment(input: {name: "y", subdomain: "my-new-deployment"}) { uid } }"#, json!({}))
        .await;
    assert_eq!(
        errors(&body),
        vec![r#"subdomain "my-new-deployment" is already taken"#]
    );
    let (_, body) = s
        .gql(
            Some(&t),
            r#"mutation { createDeployment(input: {name: "y", zone: "moon-1"}) { uid } }"#,
            json!({}),
        )
        .await;
    assert!(errors(&body)[0].starts_with(r#"unknown zone "moon-1""#));

    // updateDeployment with a URL in uid (CLI-1.18), returns the attested text.
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: UpdateDeploymentInput!) { updateDeployment(input: $i) }",
            json!({ "i": { "uid": format!("https://{}/graphql", d["url"].as_str().unwrap()), "name": "renamed", "deploymentMode": "flexible", "organizationUID": null } }),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "updateDeployment": "Successfully Updated the backend" } })
    );
    let (_, body) = s
        .gql(
            Some(&t),
            "{ deployments { name deploymentMode } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["deployments"],
        json!([{ "name": "renamed", "deploymentMode": "flexible" }])
    );

    // Another user does not see it, cannot delete it.
    let o = s.login_as("other@example.com").await;
    let (_, body) = s.gql(Some(&o), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body["data"]["deployments"], json!([]));
    let (_, body) = s
        .gql(
            Some(&o),
            "mutation($d: String!) { deleteDeployment(deploymentID: $d) }",
            json!({ "d": uid }),
        )
        .await;
    assert_eq!(body["data"], json!({ "deleteDeployment": null }));
    assert_eq!(errors(&body), vec![format!("deployment {uid} not found")]);

    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($d: String!) { deleteDeployment(deploymentID: $d) }",
            json!({ "d": uid }),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "deleteDeployment": "Successfully deleted the Deployment" } })
    );
    let (_, body) = s.gql(Some(&t), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body["data"]["deployments"], json!([]));
    s.stop().await;
}

async fn api_keys_graphql(s: TestServer) {
    let t = s.login().await;
    let d = s.create(&t, json!({ "name": "keys" })).await;
    let uid = d["uid"].as_str().unwrap();
    let k = s.key(&t, uid, "admin", Some("2099-01-01T00:00:00Z")).await;
    assert_eq!(k["role"], "admin");
    assert_eq!(k["name"], "admin-key");
    assert_eq!(k["expiresAt"], "2099-01-01T00:00:00Z");
    let secret = k["key"].as_str().unwrap();
    assert!(secret.len() > 40);

    let (_, body) = s
        .gql(Some(&t), "query($d: String!) { getDeploymentAPIKeys(deploymentID: $d) { uid name role prefix createdAt expiresAt lastUsedAt } }", json!({ "d": uid }))
        .await;
    let list = body["data"]["getDeploymentAPIKeys"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["uid"], k["uid"]);
    assert_eq!(list[0]["lastUsedAt"], Value::Null);
    let prefix = list[0]["prefix"].as_str().unwrap();
    assert!(secret.starts_with(prefix) && prefix.len() < secret.len());
    assert!(
        !body.to_string().contains(secret),
        "the secret must never be listed"
    );
    // Asking for `key` in a listing is a validation error.
    let (_, body) = s
        .gql(
            Some(&t),
            "query($d: String!) { getDeploymentAPIKeys(deploymentID: $d) { key } }",
            json!({ "d": uid }),
        )
        .await;
    assert!(!errors(&body).is_empty());
    assert_eq!(body["data"], json!({}));

    // Bad role, bad date.
    let (_, body) = s
        .gql(Some(&t), "mutation($d: String!) { createDeploymentAPIKey(deploymentID: $d, name: \"x\", role: \"root\") { key } }", json!({ "d": uid }))
        .await;
    assert_eq!(
        errors(&body),
        vec![r#"invalid role "root": must be one of admin, client"#]
    );
    let (_, body) = s
        .gql(Some(&t), "mutation($d: String!) { createDeploymentAPIKey(deploymentID: $d, name: \"x\", role: \"client\", expiresAt: \"tomorrow\") { key } }", json!({ "d": uid }))
        .await;
    assert!(errors(&body)[0].starts_with("invalid expiresAt"));

    // Use the key, then see lastUsedAt.
    let r = s
        .client
        .post(s.be("/backends/keys/admin"))
        .header("Dg-Auth", secret)
        .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, body) = s
        .gql(
            Some(&t),
            "query($d: String!) { getDeploymentAPIKeys(deploymentID: $d) { lastUsedAt } }",
            json!({ "d": uid }),
        )
        .await;
    assert!(
        body["data"]["getDeploymentAPIKeys"][0]["lastUsedAt"].is_string(),
        "{body}"
    );

    let (_, body) = s
        .gql(Some(&t), "mutation($d: String!, $k: String!) { deleteDeploymentAPIKey(deploymentID: $d, keyID: $k) }", json!({ "d": uid, "k": k["uid"] }))
        .await;
    assert_eq!(
        body,
        json!({ "data": { "deleteDeploymentAPIKey": "Successfully deleted the API key" } })
    );
    let r = s
        .client
        .post(s.be("/backends/keys/admin"))
        .header("Dg-Auth", secret)
        .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    s.stop().await;
}

async fn organizations_graphql(s: TestServer) {
    let t = s.login().await;
    let (_, body) = s
        .gql(Some(&t), "{ organizations { uid } }", json!({}))
        .await;
    assert_eq!(body, json!({ "data": { "organizations": [] } }));
    // The CLI writes the input inline.
    let (_, body) = s
        .gql(
            Some(&t),
            r#"mutation { createOrganization(input: {name: "acme"}) { name uid } }"#,
            json!({}),
        )
        .await;
    let org = body["data"]["createOrganization"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(body["data"]["createOrganization"]["name"], "acme");
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: AddOrgMember!) { addOrganizationMember(input: $i) { uid name } }",
            json!({ "i": { "organizationUID": org, "email": "other@example.com" } }),
        )
        .await;
    assert_eq!(
        body["data"]["addOrganizationMember"],
        json!({ "uid": org, "name": "acme" })
    );
    let (_, body) = s
        .gql(Some(&t), "{ organizations { uid name createdBy { auth0User { name email id } } members { uid auth0User { name email } } } }", json!({}))
        .await;
    let o = &body["data"]["organizations"][0];
    assert_eq!(o["createdBy"]["auth0User"]["email"], EMAIL);
    assert_eq!(o["createdBy"]["auth0User"]["name"], "owner");
    let emails: Vec<&str> = o["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["auth0User"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec![EMAIL, "other@example.com"]);
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: AddOrgMember!) { addOrganizationMember(input: $i) { uid } }",
            json!({ "i": { "organizationUID": org, "email": "ghost@example.com" } }),
        )
        .await;
    assert_eq!(errors(&body), vec!["no user with email ghost@example.com"]);
    let (_, body) = s
        .gql(
            Some(&t),
            "query($o: ID!) { getOrganizationByID(orgID: $o) { members { auth0User { email } } } }",
            json!({ "o": org }),
        )
        .await;
    assert_eq!(
        body["data"]["getOrganizationByID"]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, body) = s
        .gql(
            Some(&t),
            "mutation($i: DeleteOrgMember!) { deleteOrganizationMember(input: $i) { uid name } }",
            json!({ "i": { "organizationUID": org, "memberEmail": "other@example.com" } }),
        )
        .await;
    assert_eq!(
        body["data"]["deleteOrganizationMember"],
        json!({ "uid": org, "name": "acme" })
    );
    s.stop().await;
}

async fn introspection_and_request_errors(s: TestServer) {
    let (_, body) = s
        .gql(
            None,
            r#"{ __type(name: "NewDeployment") { inputFields { name } } }"#,
            json!({}),
        )
        .await;
    let names: Vec<&str> = body["data"]["__type"]["inputFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for n in [
        "name",
        "zone",
        "deploymentType",
        "subdomain",
        "deploymentMode",
        "organizationUID",
        "enterprise",
        "aclEnabled",
        "dgraphHA",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let (_, body) = s
        .gql(
            None,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let muts = body["data"]["__schema"]["mutationType"]["fields"].to_string();
    for n in [
        "createDeploymentAPIKey",
        "deleteDeploymentAPIKey",
        "approveDeviceLogin",
        "deleteOrganizationMember",
    ] {
        assert!(muts.contains(n), "{n}");
    }

    // Syntax error, unknown field, unknown input field: HTTP 200, data {}, errors.
    for q in [
        "{ deployments { uid ",
        "{ nothing }",
        r#"mutation { createDeployment(input: {name: "a", color: "red"}) { uid } }"#,
    ] {
        let (st, body) = s.gql(None, q, json!({})).await;
        assert_eq!(st, 200, "{q}");
        assert_eq!(body["data"], json!({}), "{q}");
        assert!(!errors(&body).is_empty(), "{q}");
    }

    // Malformed JSON → 400 JSON.
    let r = s
        .client
        .post(s.cp("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(errors(&body)[0].starts_with("Not a valid GraphQL request body"));

    // 20 MiB → 413 JSON.
    let big = format!("{{\"query\": \"{}\"}}", "a".repeat(20 * 1024 * 1024));
    let r = s
        .client
        .post(s.cp("/graphql"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert!(errors(&body)[0].contains("16 MiB"));
    let r = s
        .client
        .post(s.cp("/deployments/create"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("16 MiB")
    );

    // Unknown path and method: JSON.
    let r = s.client.get(s.cp("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    // A wrong method on /graphql answers in the GraphQL shape, like every /graphql error.
    let r = s.client.get(s.cp("/graphql")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"],
        "method_not_allowed"
    );

    // Request ids are echoed or generated.
    let r = s
        .client
        .get(s.cp("/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = s.client.get(s.cp("/health")).send().await.unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());

    let r = s.client.get(s.cp("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("graphcloud_http_requests_total"));
    // The /health requests above were answered (and counted) before this scrape.
    assert!(
        text.contains("# TYPE graphcloud_http_request_duration_seconds histogram\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "graphcloud_http_request_duration_seconds_bucket{listener=\"control\",le=\"+Inf\"} "
        ),
        "{text}"
    );
    s.stop().await;
}

async fn rest_paths_of_the_cli(s: TestServer) {
    let t = s.login().await;
    let c = &s.client;

    // Without a token: 401 JSON.
    let r = c.get(s.cp("/deployments")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unauthenticated");

    // POST /deployments/create (1.16.7 body, organizationId "").
    let r = c
        .post(s.cp("/deployments/create"))
        .bearer_auth(&t)
        .json(&json!({ "name": "rest", "zone": "us-test-1", "deploymentMode": "graphql", "organizationId": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    for f in [
        "url",
        "jwtToken",
        "name",
        "zone",
        "uid",
        "owner",
        "deploymentMode",
        "lambdaScript",
    ] {
        assert!(d.get(f).is_some(), "{f} missing");
    }
    assert_eq!(
        d["url"],
        json!(format!("rest.localhost:{}", s.backend.port()))
    );
    let uid = d["uid"].as_str().unwrap().to_string();

    // Unknown fields and bad values: 400 JSON.
    let r = c
        .post(s.cp("/deployments/create"))
        .bearer_auth(&t)
        .json(&json!({ "name": "x", "colour": "red" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`")
    );
    let r = c
        .post(s.cp("/deployments/create"))
        .bearer_auth(&t)
        .json(&json!({ "name": "x", "deploymentMode": "loose" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid");
    let r = c
        .post(s.cp("/deployments/create"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON")
    );

    // GET /deployments: a bare array.
    let list: Value = c
        .get(s.cp("/deployments"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["uid"], json!(uid));
    // Pages: ?first=&after= as in the GraphQL field; bad values are JSON 400s; without a
    // session, 401 as for the whole list.
    let get = |q: String| {
        let c = c.clone();
        let url = s.cp(&format!("/deployments{q}"));
        let t = t.clone();
        async move {
            let r = c.get(url).bearer_auth(&t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, page) = get("?first=1".into()).await;
    assert_eq!((st, page.as_array().map(Vec::len)), (200, Some(1)));
    assert_eq!(page[0]["uid"], json!(uid));
    assert_eq!(get(format!("?first=5&after={uid}")).await, (200, json!([])));
    for (q, msg) in [
        ("?first=0", "first must be between 1 and 1000, not 0"),
        ("?first=ten", "first must be an integer, not \"ten\""),
    ] {
        let (st, body) = get(q.into()).await;
        assert_eq!((st, body["error"].as_str()), (400, Some(msg)), "{q}");
    }
    let (st, body) = get("?after=nope".into()).await;
    assert_eq!(st, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("after must be a deployment uid")
    );
    let r = c.get(s.cp("/deployments?first=1")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // PATCH /deployment/{uid}: lambda set and delete, rename.
    let r = c
        .patch(s.cp(&format!("/deployment/{uid}")))
        .bearer_auth(&t)
        .json(&json!({ "lambdaScript": "Y29uc29sZS5sb2coMSk=" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({ "response": { "message": "Successfully Updated the backend" } })
    );
    let list: Value = c
        .get(s.cp("/deployments"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["lambdaScript"], "Y29uc29sZS5sb2coMSk=");
    let r = c
        .patch(s.cp(&format!("/deployment/{uid}")))
        .bearer_auth(&t)
        .json(&json!({ "lambdaScript": "" , "name": "rest2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = c
        .get(s.cp("/deployments"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (list[0]["lambdaScript"].as_str(), list[0]["name"].as_str()),
        (Some(""), Some("rest2"))
    );
    // Empty uid (update-backend without -e) and unknown uid: JSON errors.
    let r = c
        .patch(s.cp("/deployment/"))
        .bearer_auth(&t)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = c
        .patch(s.cp("/deployment/0xfffff"))
        .bearer_auth(&t)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "deployment 0xfffff not found"
    );

    // API keys: plural path, singular legacy path without content type, defaults.
    let r = c
        .post(s.cp(&format!("/deployments/{uid}/api-keys")))
        .bearer_auth(&t)
        .json(&json!({ "name": "cli", "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let k: Value = r.json().await.unwrap();
    assert_eq!(
        (k["name"].as_str(), k["role"].as_str()),
        (Some("cli"), Some("admin"))
    );
    assert!(k["key"].is_string() && k["uid"].is_string());
    let r = c
        .post(s.cp(&format!("/deployment/{uid}/api-keys")))
        .bearer_auth(&t)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let k2: Value = r.json().await.unwrap();
    assert_eq!(
        (k2["name"].as_str(), k2["role"].as_str()),
        (Some("slash-graphql-cli"), Some("client"))
    );
    let r = c
        .post(s.cp(&format!("/deployments/{uid}/api-keys")))
        .bearer_auth(&t)
        .json(&json!({ "role": "god" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // DELETE /deployment/{uid}.
    let o = s.login_as("other@example.com").await;
    let r = c
        .delete(s.cp(&format!("/deployment/{uid}")))
        .bearer_auth(&o)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .delete(s.cp(&format!("/deployment/{uid}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["response"]["message"],
        "Successfully deleted the Deployment"
    );
    let list: Value = c
        .get(s.cp("/deployments"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    s.stop().await;
}

async fn device_login_flow(s: TestServer) {
    let c = &s.client;
    let r = c
        .post(s.cp("/command-line/device-code"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    let user_code = d["user_code"].as_str().unwrap().to_string();
    let device_code = d["device_code"].as_str().unwrap().to_string();
    assert_eq!(user_code.len(), 9);
    assert_eq!(
        d["verification_uri"],
        json!(format!("http://{}/device", s.control))
    );
    assert_eq!(
        d["verification_uri_complete"],
        json!(format!("http://{}/device?user_code={user_code}", s.control))
    );
    assert_eq!(
        (d["expires_in"].as_i64(), d["interval"].as_i64()),
        (Some(900), Some(5))
    );

    // Pending: non-200 JSON.
    let r = c
        .post(s.cp("/command-line/access-token"))
        .json(&json!({ "deviceCode": device_code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "authorization_pending"
    );

    // The page renders with the code filled in; a wrong password is refused.
    let page = c
        .get(d["verification_uri_complete"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{user_code}\"")));
    let r = c
        .post(s.cp("/device"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={EMAIL}&password=wrong-password&user_code={user_code}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(s.cp("/device"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={EMAIL}&password={PASSWORD}&user_code={user_code}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Login approved"));

    let r = c
        .post(s.cp("/command-line/access-token"))
        .json(&json!({ "deviceCode": device_code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tok: Value = r.json().await.unwrap();
    assert_eq!(tok["token_type"], "Bearer");
    assert!(tok["expires_in"].as_i64().unwrap() >= 10800);
    assert!(tok["apiTime"].as_i64().unwrap() > 1_700_000_000_000);
    let access = tok["access_token"].as_str().unwrap();
    let (_, body) = s
        .gql(Some(access), "{ deployments { uid } }", json!({}))
        .await;
    assert_eq!(body["data"]["deployments"], json!([]));

    // GraphQL approval of a second device.
    let d2: Value = c
        .post(s.cp("/command-line/device-code"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, body) = s
        .gql(
            Some(access),
            "mutation($c: String!) { approveDeviceLogin(userCode: $c) }",
            json!({ "c": d2["user_code"] }),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "approveDeviceLogin": "Device login approved" } })
    );
    let tok2: Value = c
        .post(s.cp("/command-line/access-token"))
        .json(&json!({ "deviceCode": d2["device_code"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Refresh, revoke, revoke-all.
    let r = c
        .post(s.cp("/command-line/access-token/refresh"))
        .json(&json!({ "refreshToken": tok["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tok3: Value = r.json().await.unwrap();
    assert!(tok3["access_token"].is_string() && tok3["apiTime"].is_i64());
    let r = c
        .post(s.cp("/command-line/access-token/refresh"))
        .json(&json!({ "refreshToken": tok["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(s.cp("/command-line/access-token/revoke"))
        .json(&json!({ "refreshToken": tok3["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(s.cp("/command-line/access-token/revoke-all"))
        .bearer_auth(tok2["access_token"].as_str().unwrap())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({ "tokens_count": 1 })
    );
    let r = c
        .post(s.cp("/command-line/access-token/revoke-all"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    s.stop().await;
}

/// Each scenario runs twice: metadata in SQLite, and in a fresh PostgreSQL database.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                super::$name(TestServer::start().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(s) = TestServer::start_pg().await {
                    super::$name(s).await;
                }
            }
        }
    )*};
}

both!(
    login_and_deployments_graphql,
    api_keys_graphql,
    organizations_graphql,
    introspection_and_request_errors,
    rest_paths_of_the_cli,
    device_login_flow
);
