//! Black-box tests of the client commands (`login`, `logout`, `backend`, `apikey`, `org`):
//! each test starts the real binary's `serve` on ephemeral ports over a temporary data dir,
//! runs the client commands as a user would, and checks their output (table and `-o json`),
//! their exit status, and the resulting server state through the control-plane GraphQL API.

mod common;

use common::{EMAIL, PASSWORD, Server, command, control_graphql, deployments, session_token};
use serde_json::{Value, json};

/// Exit status of a command that ran and failed (errors on stderr).
const FAILED: i32 = 1;
/// Exit status of a command line that does not parse.
const USAGE: i32 = 2;

#[tokio::test]
async fn login_logout_and_session_errors() {
    let server = Server::start();
    let home = server.config_home("a");

    // Not logged in yet.
    let err = server
        .run(&home, &["backend", "list"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("not logged in"), "{err}");
    assert!(
        err.contains(&server.url()),
        "the error names the server: {err}"
    );

    // Wrong password: an error, and nothing stored.
    let err = server
        .run_env(
            &home,
            &["login", "--email", EMAIL],
            &[("GRAPHCLOUD_PASSWORD", "wrong password")],
        )
        .fails(FAILED)
        .to_string();
    assert!(err.contains("login failed"), "{err}");
    let creds_path = home.join("graphcloud").join("credentials.json");
    assert!(
        !creds_path.exists(),
        "a failed login must not store anything"
    );

    // Unknown user.
    server
        .run_env(
            &home,
            &["login", "--email", "nobody@example.com"],
            &[("GRAPHCLOUD_PASSWORD", PASSWORD)],
        )
        .fails(FAILED);

    // No e-mail and no terminal to ask on.
    let err = server
        .run_env(&home, &["login"], &[("GRAPHCLOUD_PASSWORD", PASSWORD)])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("--email"), "{err}");

    // Correct password.
    let out = server
        .run_env(
            &home,
            &["login", "--email", EMAIL],
            &[("GRAPHCLOUD_PASSWORD", PASSWORD)],
        )
        .ok()
        .to_string();
    assert!(out.starts_with("Logged in."), "{out}");
    assert!(out.contains(EMAIL), "{out}");
    assert!(out.contains(&server.url()), "{out}");

    // The token is stored per server, privately, and it is a working session token.
    let stored: Value = serde_json::from_slice(&std::fs::read(&creds_path).unwrap()).unwrap();
    let session = &stored["servers"][server.url()];
    assert_eq!(session["email"], EMAIL);
    let token = session["token"].as_str().expect("token stored");
    let v = control_graphql(
        &server.url(),
        Some(token),
        "{ deployments { uid } }",
        json!({}),
    )
    .await;
    assert_eq!(v["data"]["deployments"], json!([]), "{v}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials file mode");
    }

    // JSON output of login.
    let v = server
        .run_env(
            &home,
            &["login", "--email", EMAIL, "-o", "json"],
            &[("GRAPHCLOUD_PASSWORD", PASSWORD)],
        )
        .json();
    assert_eq!(v["email"], EMAIL);
    assert_eq!(v["server"], server.url());

    // Logged in: commands work; the server URL may carry a trailing slash.
    let url_slash = format!("{}/", server.url());
    let out = server
        .run(&home, &["backend", "list", "--server", &url_slash])
        .ok()
        .to_string();
    assert!(out.contains("No backends"), "{out}");

    // A session the server does not accept: the server's error, exit 1.
    let good = std::fs::read(&creds_path).unwrap();
    let mut forged = stored.clone();
    forged["servers"][server.url()]["token"] = json!("not-a-session-token");
    std::fs::write(&creds_path, forged.to_string()).unwrap();
    let err = server
        .run(&home, &["backend", "list"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("run `graphcloud login"), "{err}");
    // An expired session is reported before any request is made.
    let mut expired = stored.clone();
    // header {"alg":"HS256","typ":"JWT"} . payload {"exp":1000000000} . signature
    expired["servers"][server.url()]["token"] =
        json!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwMDAwMDAwMDB9.c2ln");
    std::fs::write(&creds_path, expired.to_string()).unwrap();
    let err = server
        .run(&home, &["backend", "list"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("expired at 2001-09-09T01:46:40Z"), "{err}");
    std::fs::write(&creds_path, good).unwrap();

    // Logout forgets the session; a second logout has nothing to do.
    let out = server.run(&home, &["logout"]).ok().to_string();
    assert_eq!(out, format!("Logged out of {}.\n", server.url()));
    let out = server.run(&home, &["logout"]).ok().to_string();
    assert!(out.contains("Not logged in"), "{out}");
    let err = server
        .run(&home, &["backend", "list"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("not logged in"), "{err}");
}

#[tokio::test]
async fn unreachable_server_and_bad_server_url() {
    let home = tempfile::tempdir().unwrap();
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let out = command()
        .args(["login", "--email", EMAIL, "--server", &closed])
        .env("GRAPHCLOUD_PASSWORD", PASSWORD)
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(FAILED));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach"), "{err}");

    let out = command()
        .args(["backend", "list", "--server", "ftp://example.com"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(FAILED));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http://"), "{err}");
}

#[tokio::test]
async fn backend_lifecycle() {
    let server = Server::start();
    let home = server.config_home("a");
    server.login(&home);
    let token = session_token(&server.url(), EMAIL, PASSWORD).await;

    // Create, with a requested subdomain: the table shows the new backend.
    let out = server
        .run(
            &home,
            &[
                "backend",
                "create",
                "My Shop",
                "--subdomain",
                "shop",
                "--zone",
                "us-east-1",
            ],
        )
        .ok()
        .to_string();
    let expected_url = format!("shop.localhost:{}", server.backend_port);
    assert!(out.starts_with("Backend created.\n"), "{out}");
    assert!(out.contains("name:       My Shop\n"), "{out}");
    assert!(
        out.contains(&format!("url:        {expected_url}\n")),
        "{out}"
    );
    assert!(out.contains("zone:       us-east-1\n"), "{out}");
    assert!(
        out.contains("mode:       graphql\n"),
        "default mode is graphql: {out}"
    );
    assert!(
        out.contains("anonymous:  none\n"),
        "no anonymous access by default: {out}"
    );

    // The control plane agrees.
    let listed = deployments(&server.url(), &token).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let shop = &listed[0];
    assert_eq!(shop["name"], "My Shop");
    assert_eq!(shop["url"], expected_url);
    let uid = shop["uid"].as_str().unwrap().to_string();
    assert!(
        uid.starts_with("0x")
            && uid[2..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "uid {uid}"
    );
    assert!(out.contains(&format!("uid:        {uid}\n")), "{out}");

    // JSON create: the object carries the admin credential.
    let second = server
        .run(
            &home,
            &[
                "backend",
                "create",
                "Second",
                "--mode",
                "flexible",
                "--anonymous-access",
                "read",
                "-o",
                "json",
            ],
        )
        .json();
    assert_eq!(second["name"], "Second");
    assert_eq!(second["anonymousAccess"], "read");
    assert_eq!(second["deploymentMode"], "flexible");
    assert!(!second["jwtToken"].as_str().unwrap_or_default().is_empty());
    let second_uid = second["uid"].as_str().unwrap().to_string();
    assert_ne!(second_uid, uid);

    // List as a table: a header and one row per backend.
    let out = server.run(&home, &["backend", "list"]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["UID", "NAME", "URL", "ZONE", "MODE", "TYPE"]);
    let shop_line = lines
        .iter()
        .find(|l| l.starts_with(&uid))
        .expect("shop row");
    assert!(shop_line.contains("My Shop"), "{shop_line}");
    assert!(shop_line.contains(&expected_url), "{shop_line}");
    assert!(shop_line.contains("us-east-1"), "{shop_line}");
    assert!(
        !out.contains(second["jwtToken"].as_str().unwrap()),
        "tables do not print tokens"
    );

    // List as JSON.
    let v = server.run(&home, &["backend", "list", "-o", "json"]).json();
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), 2);
    assert!(
        arr.iter()
            .any(|d| d["uid"] == uid.as_str() && d["subdomain"] == "shop")
    );

    // Update by subdomain.
    let out = server
        .run(
            &home,
            &["backend", "update", "shop", "--name", "Renamed Shop"],
        )
        .ok()
        .to_string();
    assert!(
        out.starts_with("Successfully Updated the backend\n"),
        "{out}"
    );
    assert!(out.contains("name:       Renamed Shop\n"), "{out}");
    let listed = deployments(&server.url(), &token).await;
    let shop = listed.iter().find(|d| d["uid"] == uid.as_str()).unwrap();
    assert_eq!(shop["name"], "Renamed Shop");

    // Update by full endpoint URL, JSON output.
    let endpoint = format!("https://{expected_url}/graphql");
    let v = server
        .run(
            &home,
            &[
                "backend", "update", &endpoint, "--mode", "flexible", "-o", "json",
            ],
        )
        .json();
    assert_eq!(v["uid"], uid.as_str());
    assert_eq!(v["backend"]["deploymentMode"], "flexible");
    let listed = deployments(&server.url(), &token).await;
    let shop = listed.iter().find(|d| d["uid"] == uid.as_str()).unwrap();
    assert_eq!(shop["deploymentMode"], "flexible");

    // Bad input.
    let err = server
        .run(&home, &["backend", "update", "shop"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("nothing to update"), "{err}");
    let err = server
        .run(
            &home,
            &["backend", "update", "no-such-backend", "--name", "x"],
        )
        .fails(FAILED)
        .to_string();
    assert!(err.contains("no backend \"no-such-backend\""), "{err}");
    server
        .run(&home, &["backend", "update", "0xfffffff", "--name", "x"])
        .fails(FAILED);
    let err = server
        .run(&home, &["backend", "create", "X", "--mode", "turbo"])
        .fails(USAGE)
        .to_string();
    assert!(err.contains("turbo"), "{err}");
    let err = server
        .run(&home, &["backend", "create", "Dup", "--subdomain", "shop"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("cannot create the backend"), "{err}");
    assert_eq!(
        deployments(&server.url(), &token).await.len(),
        2,
        "nothing half-created"
    );

    // Destroy needs confirmation; without a terminal, --yes.
    let err = server
        .run(&home, &["backend", "destroy", &uid])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(
        deployments(&server.url(), &token).await.len(),
        2,
        "not destroyed"
    );
    let out = server
        .run(&home, &["backend", "destroy", &uid, "--yes"])
        .ok()
        .to_string();
    assert_eq!(out, format!("Destroyed backend {uid} (Renamed Shop).\n"));
    let v = server
        .run(
            &home,
            &["backend", "destroy", "-y", &second_uid, "-o", "json"],
        )
        .json();
    assert_eq!(v["uid"], second_uid.as_str());
    assert_eq!(v["name"], "Second");
    assert_eq!(
        deployments(&server.url(), &token).await,
        Vec::<Value>::new()
    );
    server
        .run(&home, &["backend", "destroy", &uid, "--yes"])
        .fails(FAILED);

    let out = server.run(&home, &["backend", "list"]).ok().to_string();
    assert!(out.contains("No backends"), "{out}");
    assert_eq!(
        server.run(&home, &["backend", "list", "-o", "json"]).json(),
        json!([])
    );
}

#[tokio::test]
async fn other_users_backends_are_not_addressable() {
    let server = Server::start_with(
        &[(EMAIL, PASSWORD), ("bob@example.com", "bobs password 123")],
        &[],
        None,
    );
    let alice = server.config_home("alice");
    server.login(&alice);
    let bob = server.config_home("bob");
    server
        .run_env(
            &bob,
            &["login", "--email", "bob@example.com"],
            &[("GRAPHCLOUD_PASSWORD", "bobs password 123")],
        )
        .ok();
    let created = server
        .run(
            &alice,
            &[
                "backend",
                "create",
                "Private",
                "--subdomain",
                "private",
                "-o",
                "json",
            ],
        )
        .json();
    let uid = created["uid"].as_str().unwrap();
    assert_eq!(
        server.run(&bob, &["backend", "list", "-o", "json"]).json(),
        json!([])
    );
    server
        .run(&bob, &["backend", "destroy", uid, "--yes"])
        .fails(FAILED);
    server
        .run(&bob, &["apikey", "create", "private"])
        .fails(FAILED);
    let token = session_token(&server.url(), EMAIL, PASSWORD).await;
    assert_eq!(deployments(&server.url(), &token).await.len(), 1);
}

#[tokio::test]
async fn apikey_lifecycle() {
    let server = Server::start();
    let home = server.config_home("a");
    server.login(&home);
    server
        .run(&home, &["backend", "create", "Keys", "--subdomain", "keys"])
        .ok();
    let backend_graphql = |path: &str| {
        format!(
            "http://127.0.0.1:{}/backends/keys/{path}",
            server.backend_port
        )
    };

    // An admin key, as JSON: the secret is in the answer once.
    let admin = server
        .run(
            &home,
            &[
                "apikey", "create", "keys", "--name", "ops", "--role", "admin", "-o", "json",
            ],
        )
        .json();
    assert_eq!(admin["name"], "ops");
    assert_eq!(admin["role"], "admin");
    let admin_secret = admin["key"].as_str().expect("key").to_string();
    assert!(admin_secret.len() >= 16, "{admin}");
    let admin_uid = admin["uid"].as_str().unwrap().to_string();

    // A client key as a table, with a relative expiry; the warning goes to stderr.
    let before = time::OffsetDateTime::now_utc();
    let r = server.run(
        &home,
        &[
            "apikey",
            "create",
            "keys",
            "--name",
            "web",
            "--expires-in",
            "2d",
        ],
    );
    let out = r.ok().to_string();
    assert!(r.stderr.contains("cannot be shown again"), "{}", r.stderr);
    assert!(
        out.contains("role:     client\n"),
        "default role is client: {out}"
    );
    assert!(out.contains("name:     web\n"), "{out}");
    let client_secret = out
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_string())
        .expect("key line");
    let expires = out
        .lines()
        .find_map(|l| l.strip_prefix("expires:"))
        .map(|k| k.trim().to_string())
        .expect("expires line");
    let expires =
        time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("expiry {expires:?}: {e}"));
    let delta = expires - before;
    assert!(
        delta > time::Duration::hours(47) && delta < time::Duration::hours(49),
        "expiry about two days out: {delta}"
    );

    // The printed secrets really are the backend's credentials.
    let http = reqwest::Client::new();
    let probe = |url: String, key: String| {
        let http = http.clone();
        async move {
            http.post(url)
                .header("X-Auth-Token", key)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        probe(backend_graphql("admin"), admin_secret.clone()).await,
        200
    );
    assert_eq!(
        probe(backend_graphql("graphql"), client_secret.clone()).await,
        200
    );
    assert_eq!(
        probe(backend_graphql("admin"), client_secret.clone()).await,
        403
    );

    // Listing never shows a secret.
    let out = server
        .run(&home, &["apikey", "list", "keys"])
        .ok()
        .to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("UID"), "{out}");
    assert!(lines[0].contains("LAST USED"), "{out}");
    assert!(out.contains("ops") && out.contains("web"), "{out}");
    assert!(
        !out.contains(&admin_secret) && !out.contains(&client_secret),
        "{out}"
    );
    let listed = server
        .run(&home, &["apikey", "list", "keys", "-o", "json"])
        .json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for k in listed {
        assert!(
            k.get("key").is_none() || k["key"].is_null(),
            "secret in listing: {k}"
        );
    }
    let ops = listed
        .iter()
        .find(|k| k["uid"] == admin_uid.as_str())
        .expect("ops listed");
    assert_eq!(ops["role"], "admin");
    let prefix = ops["prefix"].as_str().unwrap_or_default();
    assert!(
        !prefix.is_empty() && admin_secret.starts_with(prefix),
        "prefix {prefix:?}"
    );
    // Both keys were used above; the listing says when.
    for k in listed {
        let used = k["lastUsedAt"].as_str().unwrap_or_default();
        let used =
            time::OffsetDateTime::parse(used, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("lastUsedAt of a used key: {k} ({e})"));
        assert!(used >= before - time::Duration::seconds(5), "{k}");
    }

    // An absolute expiry.
    let dated = server
        .run(
            &home,
            &[
                "apikey",
                "create",
                "keys",
                "--name",
                "dated",
                "--expires-at",
                "2099-01-01T00:00:00Z",
                "-o",
                "json",
            ],
        )
        .json();
    let at = time::OffsetDateTime::parse(
        dated["expiresAt"].as_str().unwrap_or_default(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or_else(|e| panic!("expiresAt: {dated} ({e})"));
    assert_eq!(at, time::macros::datetime!(2099-01-01 00:00 UTC));
    server
        .run(
            &home,
            &["apikey", "revoke", "keys", dated["uid"].as_str().unwrap()],
        )
        .ok();

    // Revoke: the key stops working and disappears from the list.
    let out = server
        .run(&home, &["apikey", "revoke", "keys", &admin_uid])
        .ok()
        .to_string();
    assert!(out.contains(&admin_uid), "{out}");
    assert_eq!(
        probe(backend_graphql("admin"), admin_secret.clone()).await,
        401
    );
    let listed = server
        .run(&home, &["apikey", "list", "keys", "-o", "json"])
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    server
        .run(&home, &["apikey", "revoke", "keys", &admin_uid])
        .fails(FAILED);

    // Bad input is refused before anything is created.
    let err = server
        .run(
            &home,
            &[
                "apikey",
                "create",
                "keys",
                "--expires-at",
                "2001-01-01T00:00:00Z",
            ],
        )
        .fails(FAILED)
        .to_string();
    assert!(err.contains("in the past"), "{err}");
    server
        .run(&home, &["apikey", "create", "keys", "--expires-in", "soon"])
        .fails(FAILED);
    server
        .run(&home, &["apikey", "create", "keys", "--role", "root"])
        .fails(USAGE);
    let err = server
        .run(&home, &["apikey", "list", "nope"])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("no backend"), "{err}");
    let listed = server
        .run(&home, &["apikey", "list", "keys", "-o", "json"])
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn organizations() {
    let bob = "bob@example.com";
    let server = Server::start_with(&[(EMAIL, PASSWORD), (bob, "bobs password 123")], &[], None);
    let home = server.config_home("a");
    server.login(&home);

    let out = server.run(&home, &["org", "list"]).ok().to_string();
    assert!(out.contains("No organizations"), "{out}");

    let created = server
        .run(&home, &["org", "create", "Acme", "-o", "json"])
        .json();
    assert_eq!(created["name"], "Acme");
    let org_uid = created["uid"].as_str().expect("uid").to_string();

    let out = server.run(&home, &["org", "list"]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("UID") && lines[0].contains("MEMBERS"),
        "{out}"
    );
    assert!(lines[1].starts_with(&org_uid), "{out}");
    assert!(
        lines[1].contains("Acme") && lines[1].contains(EMAIL),
        "{out}"
    );

    // Add by organization name, remove by uid.
    let out = server
        .run(&home, &["org", "add-member", "Acme", bob])
        .ok()
        .to_string();
    assert!(out.starts_with(&format!("Added {bob}.\n")), "{out}");
    let orgs = server.run(&home, &["org", "list", "-o", "json"]).json();
    let members: Vec<&str> = orgs[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["auth0User"]["email"].as_str())
        .collect();
    assert!(members.contains(&bob), "{orgs}");
    assert_eq!(orgs[0]["createdBy"]["auth0User"]["email"], EMAIL);

    // Bob now sees the organization.
    let bob_home = server.config_home("bob");
    server
        .run_env(
            &bob_home,
            &["login", "--email", bob],
            &[("GRAPHCLOUD_PASSWORD", "bobs password 123")],
        )
        .ok();
    let seen = server.run(&bob_home, &["org", "list", "-o", "json"]).json();
    assert_eq!(seen[0]["uid"], org_uid.as_str(), "{seen}");

    // A backend of the organization is visible to its members; a private one is not.
    let shared = server
        .run(
            &home,
            &[
                "backend",
                "create",
                "Team",
                "--subdomain",
                "team",
                "--org",
                &org_uid,
                "-o",
                "json",
            ],
        )
        .json();
    server
        .run(&home, &["backend", "create", "Mine", "--subdomain", "mine"])
        .ok();
    let bob_sees = server
        .run(&bob_home, &["backend", "list", "-o", "json"])
        .json();
    let bob_sees: Vec<&str> = bob_sees
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["uid"].as_str())
        .collect();
    assert_eq!(bob_sees, [shared["uid"].as_str().unwrap()]);
    // Moving the private backend into the organization shares it too.
    server
        .run(&home, &["backend", "update", "mine", "--org", &org_uid])
        .ok();
    let bob_sees = server
        .run(&bob_home, &["backend", "list", "-o", "json"])
        .json();
    assert_eq!(bob_sees.as_array().unwrap().len(), 2, "{bob_sees}");

    server
        .run(&home, &["org", "remove-member", &org_uid, bob])
        .ok();
    let orgs = server.run(&home, &["org", "list", "-o", "json"]).json();
    assert!(
        !orgs[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["auth0User"]["email"] == bob),
        "{orgs}"
    );
    // A former member no longer sees the organization's backends.
    let bob_sees = server
        .run(&bob_home, &["backend", "list", "-o", "json"])
        .json();
    assert_eq!(bob_sees, json!([]));

    // Failures.
    server
        .run(&home, &["org", "add-member", "Acme", "nobody@example.com"])
        .fails(FAILED);
    let err = server
        .run(&home, &["org", "add-member", "No Such Org", bob])
        .fails(FAILED)
        .to_string();
    assert!(err.contains("no organization"), "{err}");
    server.run(&home, &["org", "create", " "]).fails(FAILED);
}

#[test]
fn help_everywhere() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--help"], &["login", "backend", "apikey", "org"]),
        (
            &["login", "--help"],
            &["--server", "--email", "GRAPHCLOUD_SERVER"],
        ),
        (&["logout", "--help"], &["--all"]),
        (
            &["backend", "--help"],
            &["list", "create", "update", "destroy"],
        ),
        (
            &["backend", "create", "--help"],
            &["--subdomain", "--mode", "--zone", "--output"],
        ),
        (&["backend", "update", "--help"], &["--name", "--mode"]),
        (&["backend", "destroy", "--help"], &["--yes"]),
        (&["apikey", "--help"], &["create", "list", "revoke"]),
        (
            &["apikey", "create", "--help"],
            &["--role", "--expires-in", "--expires-at"],
        ),
        (
            &["org", "--help"],
            &["list", "create", "add-member", "remove-member"],
        ),
    ];
    for (args, needles) in cases {
        let out = command().args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for needle in *needles {
            assert!(
                text.contains(needle),
                "`{}` lacks {needle}:\n{text}",
                args.join(" ")
            );
        }
    }
}

#[tokio::test]
async fn control_plane_over_tls_with_a_private_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = common::make_certificates(
        certs.path(),
        &["localhost".to_string(), "127.0.0.1".to_string()],
    );
    let server = Server::start_with(
        &[(EMAIL, PASSWORD)],
        &[
            "--control-tls-cert".into(),
            cert.display().to_string(),
            "--control-tls-key".into(),
            key.display().to_string(),
        ],
        None,
    );
    let home = server.config_home("tls");
    let https = format!("https://127.0.0.1:{}", server.control_port);
    let ca = ca.display().to_string();
    let password = [("GRAPHCLOUD_PASSWORD", PASSWORD)];

    // A certificate from an unknown CA is refused.
    let err = server
        .run_env(
            &home,
            &["login", "--email", EMAIL, "--server", &https],
            &password,
        )
        .fails(FAILED)
        .to_string();
    assert!(err.contains("cannot reach"), "{err}");

    // Trusting the CA with --ca-cert (or GRAPHCLOUD_CA_CERT) works.
    let out = server
        .run_env(
            &home,
            &[
                "login",
                "--email",
                EMAIL,
                "--server",
                &https,
                "--ca-cert",
                &ca,
            ],
            &password,
        )
        .ok()
        .to_string();
    assert!(out.contains(&https), "{out}");
    let created = server
        .run_env(
            &home,
            &[
                "backend", "create", "Secure", "--server", &https, "-o", "json",
            ],
            &[("GRAPHCLOUD_CA_CERT", ca.as_str())],
        )
        .json();
    assert_eq!(created["name"], "Secure");

    // A --ca-cert that is not a certificate is a clear error.
    let not_pem = certs.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let err = server
        .run(
            &home,
            &[
                "backend",
                "list",
                "--server",
                &https,
                "--ca-cert",
                not_pem.to_str().unwrap(),
            ],
        )
        .fails(FAILED)
        .to_string();
    assert!(err.contains("holds no PEM certificate"), "{err}");
}
