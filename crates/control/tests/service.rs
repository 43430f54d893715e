//! The control-plane service layer, run against SQLite and against PostgreSQL.
//!
//! PostgreSQL: `GRAPHCLOUD_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates and drops its own
//! database. Set `GRAPHCLOUD_SKIP_PG=1` to skip the PostgreSQL variants.

use std::time::Duration;

use graphcloud_control::*;
use sqlx::Connection;

const PW: &str = "s3cret-password";

struct Env {
    cp: ControlPlane,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl Env {
    async fn finish(self) {
        self.cp.shutdown().await;
        if let Some((admin, db)) = self.pg {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("reconnect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop test database");
        }
    }
}

fn config(dir: &std::path::Path, url: Option<String>) -> ControlConfig {
    ControlConfig {
        data_dir: dir.to_path_buf(),
        database_url: url,
        base_domain: "localhost".into(),
        backend_port: 8080,
        jwt_secret: None,
    }
}

async fn sqlite_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let cp = ControlPlane::open(config(dir.path(), None)).await.unwrap();
    Env {
        cp,
        _dir: dir,
        pg: None,
    }
}

/// `None` when PostgreSQL tests are skipped on purpose.
async fn pg_env() -> Option<Env> {
    if std::env::var("GRAPHCLOUD_SKIP_PG").is_ok_and(|v| v == "1") {
        eprintln!("GRAPHCLOUD_SKIP_PG=1: skipping the PostgreSQL variant");
        return None;
    }
    let admin = std::env::var("GRAPHCLOUD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {admin}: {e}. Start it, point GRAPHCLOUD_TEST_DATABASE_URL \
             at a server with trust auth, or set GRAPHCLOUD_SKIP_PG=1"
        )
    });
    let db = format!(
        "graphcloud_test_{}_{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 6]>())
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database URL with a path");
    let url = format!("{base}/{db}");
    let dir = tempfile::tempdir().unwrap();
    let cp = ControlPlane::open(config(dir.path(), Some(url)))
        .await
        .unwrap();
    assert_eq!(cp.store().backend(), StoreBackend::Postgres);
    Some(Env {
        cp,
        _dir: dir,
        pg: Some((admin, db)),
    })
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let env = super::sqlite_env().await;
                super::$name(&env.cp).await;
                env.finish().await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(env) = super::pg_env().await {
                    super::$name(&env.cp).await;
                    env.finish().await;
                }
            }
        }
    };
}

async fn user(cp: &ControlPlane, email: &str) -> Actor {
    cp.create_user(email, PW, None).await.unwrap();
    let token = cp.login(email, PW, Some("10.0.0.1")).await.unwrap();
    cp.authenticate_session(&format!("Bearer {token}"))
        .await
        .unwrap()
}

fn named(name: &str) -> NewDeployment {
    NewDeployment {
        name: name.into(),
        ..Default::default()
    }
}

// ------------------------------------------------------------------ users and sessions

async fn users_and_sessions(cp: &ControlPlane) {
    let u = cp.create_user("Alice@Example.com", PW, None).await.unwrap();
    assert_eq!(u.email, "alice@example.com");
    assert_eq!(u.name, "alice");
    assert!(matches!(
        cp.create_user("alice@example.com", PW, None).await,
        Err(ControlError::Conflict(_))
    ));
    assert!(matches!(
        cp.create_user("nope", PW, None).await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        cp.create_user("b@example.com", "short", None).await,
        Err(ControlError::Invalid(_))
    ));

    let token = cp.login("ALICE@example.com", PW, None).await.unwrap();
    let actor = cp.authenticate_session(&token).await.unwrap();
    assert_eq!(actor.email, "alice@example.com");
    assert!(matches!(
        cp.login("alice@example.com", "wrong-password", None).await,
        Err(ControlError::Unauthenticated(_))
    ));
    assert!(matches!(
        cp.login("ghost@example.com", PW, None).await,
        Err(ControlError::Unauthenticated(_))
    ));
    assert!(matches!(
        cp.authenticate_session("garbage").await,
        Err(ControlError::Unauthenticated(_))
    ));
    assert!(matches!(
        cp.authenticate_session("").await,
        Err(ControlError::Unauthenticated(_))
    ));

    // A password change ends existing sessions.
    cp.set_password("alice@example.com", "another-password")
        .await
        .unwrap();
    assert!(matches!(
        cp.authenticate_session(&token).await,
        Err(ControlError::Unauthenticated(_))
    ));
    let token = cp
        .login("alice@example.com", "another-password", None)
        .await
        .unwrap();
    cp.authenticate_session(&token).await.unwrap();

    let all = cp.list_users().await.unwrap();
    assert_eq!(all.len(), 1);
    cp.delete_user("alice@example.com").await.unwrap();
    assert!(cp.list_users().await.unwrap().is_empty());
    assert!(matches!(
        cp.authenticate_session(&token).await,
        Err(ControlError::Unauthenticated(_))
    ));
    assert!(matches!(
        cp.delete_user("alice@example.com").await,
        Err(ControlError::NotFound(_))
    ));
}
both!(users_and_sessions);

async fn login_throttling(cp: &ControlPlane) {
    cp.create_user("t@example.com", PW, None).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            cp.login("t@example.com", "wrong-password", Some("1.1.1.1"))
                .await,
            Err(ControlError::Unauthenticated(_))
        ));
    }
    // Even the right password is refused now, from any address.
    assert!(matches!(
        cp.login("t@example.com", PW, Some("2.2.2.2")).await,
        Err(ControlError::Throttled(_))
    ));
}
both!(login_throttling);

async fn user_delete_refused_while_owning(cp: &ControlPlane) {
    let a = user(cp, "owner@example.com").await;
    cp.create_deployment(&a, named("keep")).await.unwrap();
    assert!(matches!(
        cp.delete_user("owner@example.com").await,
        Err(ControlError::Conflict(_))
    ));
}
both!(user_delete_refused_while_owning);

// ------------------------------------------------------------------ deployments

async fn deployment_lifecycle(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let d = cp
        .create_deployment(&a, named("My New Deployment"))
        .await
        .unwrap();
    assert!(d.uid.starts_with("0x"));
    assert_eq!(parse_uid(&d.uid), Some(d.id));
    assert_eq!(d.uid, d.uid.to_lowercase());
    assert_eq!(d.subdomain, "my-new-deployment");
    assert_eq!(d.url, "my-new-deployment.localhost:8080");
    assert_eq!(d.deployment_mode, "graphql");
    assert_eq!(d.deployment_type, "free");
    assert_eq!(d.zone, DEFAULT_ZONE);
    assert_eq!(d.anonymous_access, AnonymousAccess::None);
    assert_eq!(d.lambda_script, "");
    assert_eq!(d.owner, a.user_id);
    assert!(!d.jwt_token.is_empty());

    // Same name again: a different, derived subdomain.
    let d2 = cp
        .create_deployment(&a, named("My New Deployment"))
        .await
        .unwrap();
    assert_ne!(d2.subdomain, d.subdomain);
    assert!(d2.subdomain.starts_with("my-new-deployment-"));
    assert!(!contains_hex_uid(&d2.subdomain));

    // Requested subdomain: taken → conflict; invalid → invalid.
    let e = cp
        .create_deployment(
            &a,
            NewDeployment {
                subdomain: Some("my-new-deployment".into()),
                ..named("x")
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ControlError::Conflict(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "subdomain \"my-new-deployment\" is already taken"
    );
    let e = cp
        .create_deployment(
            &a,
            NewDeployment {
                subdomain: Some("app0xbeef".into()),
                ..named("x")
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ControlError::Invalid(_)));

    // Validation messages.
    let e = cp
        .create_deployment(
            &a,
            NewDeployment {
                zone: Some("mars-1".into()),
                ..named("x")
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("unknown zone \"mars-1\""), "{e}");
    let e = cp
        .create_deployment(
            &a,
            NewDeployment {
                deployment_type: Some("huge".into()),
                ..named("x")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid deploymentType \"huge\": must be one of free, shared, dedicated"
    );
    let e = cp
        .create_deployment(
            &a,
            NewDeployment {
                deployment_mode: Some("strict".into()),
                ..named("x")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid deploymentMode \"strict\": must be one of readonly, graphql, flexible"
    );
    assert!(matches!(
        cp.create_deployment(&a, named("   ")).await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        cp.create_deployment(
            &a,
            NewDeployment {
                lambda_script: Some("not base64!".into()),
                ..named("x")
            }
        )
        .await,
        Err(ControlError::Invalid(_))
    ));

    // Leniencies: enterprise "true" → dedicated, organizationId "" → none, string booleans.
    let d3 = cp
        .create_deployment(
            &a,
            NewDeployment {
                subdomain: Some("Wanted-Name".into()),
                enterprise: Some("true".into()),
                organization_uid: Some(String::new()),
                acl_enabled: Some("false".into()),
                dgraph_ha: Some("true".into()),
                zone: Some("us-west-2".into()),
                anonymous_access: Some("read".into()),
                ..named("third")
            },
        )
        .await
        .unwrap();
    assert_eq!(d3.subdomain, "wanted-name");
    assert_eq!(d3.deployment_type, "dedicated");
    assert_eq!(d3.organization_uid, None);
    assert_eq!(d3.zone, "us-west-2");
    assert_eq!(d3.anonymous_access, AnonymousAccess::Read);

    let list = cp.list_deployments(&a).await.unwrap();
    assert_eq!(
        list.iter().map(|d| d.uid.clone()).collect::<Vec<_>>(),
        vec![d.uid.clone(), d2.uid.clone(), d3.uid.clone()]
    );

    // Update by URL reference (as CLI-1.18 sends), then by uid.
    let u = cp
        .update_deployment(
            &a,
            "https://my-new-deployment.localhost:8080/graphql",
            DeploymentUpdate {
                name: Some("renamed".into()),
                deployment_mode: Some("flexible".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.uid, d.uid);
    assert_eq!(u.name, "renamed");
    assert_eq!(u.deployment_mode, "flexible");
    let e = cp
        .update_deployment(
            &a,
            &d.uid,
            DeploymentUpdate {
                deployment_mode: Some("loose".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ControlError::Invalid(_)));
    let u = cp
        .update_deployment(
            &a,
            &d.uid,
            DeploymentUpdate {
                lambda_script: Some("Y29uc29sZS5sb2coMSk=".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.lambda_script, "Y29uc29sZS5sb2coMSk=");
    assert_eq!(u.name, "renamed");
    let u = cp
        .update_deployment(
            &a,
            &d.uid,
            DeploymentUpdate {
                lambda_script: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.lambda_script, "");

    // Delete returns the numeric id; uids are never reused.
    assert_eq!(cp.delete_deployment(&a, &d.uid).await.unwrap(), d.id);
    assert!(matches!(
        cp.delete_deployment(&a, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.get_deployment(&a, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    let d4 = cp.create_deployment(&a, named("fourth")).await.unwrap();
    assert!(d4.id > d3.id);
    assert_eq!(cp.list_deployments(&a).await.unwrap().len(), 3);
}
both!(deployment_lifecycle);

// ------------------------------------------------------------------ front door

async fn front_door_credentials(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let d1 = cp.create_deployment(&a, named("one")).await.unwrap();
    let d2 = cp.create_deployment(&a, named("two")).await.unwrap();
    let b1 = cp
        .resolve_backend("one")
        .await
        .unwrap()
        .expect("backend one");
    let b2 = cp
        .resolve_backend("ONE")
        .await
        .unwrap()
        .expect("case-insensitive");
    assert_eq!(b1, b2);
    assert_eq!(b1.uid, d1.uid);
    assert!(cp.resolve_backend("missing").await.unwrap().is_none());

    assert_eq!(
        cp.authenticate_backend(&b1, &d1.jwt_token).await,
        Ok(Role::Admin)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, &d2.jwt_token).await,
        Err(CredentialError::OtherBackend)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, "garbage").await,
        Err(CredentialError::Invalid)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, "a.b.c").await,
        Err(CredentialError::Invalid)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, "gck_0000").await,
        Err(CredentialError::Invalid)
    );

    let client = cp
        .create_api_key(&a, &d1.uid, "web", "client", None)
        .await
        .unwrap();
    let admin = cp
        .create_api_key(&a, &d1.uid, "ops", "admin", None)
        .await
        .unwrap();
    let other = cp
        .create_api_key(&a, &d2.uid, "other", "admin", None)
        .await
        .unwrap();
    assert_eq!(client.role, Role::Client);
    assert!(client.key.starts_with("gck_"));
    assert_eq!(
        cp.authenticate_backend(&b1, &client.key).await,
        Ok(Role::Client)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, &admin.key).await,
        Ok(Role::Admin)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, &other.key).await,
        Err(CredentialError::OtherBackend)
    );
    let mut tampered = client.key.clone();
    tampered.pop();
    tampered.push(if client.key.ends_with('0') { '1' } else { '0' });
    assert_eq!(
        cp.authenticate_backend(&b1, &tampered).await,
        Err(CredentialError::Invalid)
    );

    // Revoked key: refused at once.
    cp.delete_api_key(&a, &d1.uid, &client.uid).await.unwrap();
    assert_eq!(
        cp.authenticate_backend(&b1, &client.key).await,
        Err(CredentialError::Invalid)
    );
    assert!(matches!(
        cp.delete_api_key(&a, &d1.uid, &client.uid).await,
        Err(ControlError::NotFound(_))
    ));

    // Expiring key.
    let soon = time::OffsetDateTime::now_utc() + Duration::from_millis(1200);
    let exp = cp
        .create_api_key(&a, &d1.uid, "brief", "client", Some(soon))
        .await
        .unwrap();
    assert_eq!(
        cp.authenticate_backend(&b1, &exp.key).await,
        Ok(Role::Client)
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        cp.authenticate_backend(&b1, &exp.key).await,
        Err(CredentialError::Expired)
    );
    let past = time::OffsetDateTime::now_utc() - Duration::from_secs(5);
    assert!(matches!(
        cp.create_api_key(&a, &d1.uid, "old", "client", Some(past))
            .await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        cp.create_api_key(&a, &d1.uid, "x", "owner", None).await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        cp.create_api_key(&a, &d1.uid, " ", "client", None).await,
        Err(ControlError::Invalid(_))
    ));

    // Listing: no secrets, prefix shown, lastUsedAt recorded.
    let keys = cp.list_api_keys(&a, &d1.uid).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        vec!["ops", "brief"]
    );
    let ops = &keys[0];
    assert_eq!(ops.prefix, &admin.key[..12]);
    assert!(ops.last_used_at.is_some());
    assert_eq!(
        keys[1].expires_at.map(|t| t.unix_timestamp()),
        Some(soon.unix_timestamp())
    );

    // Regenerated deployment token: the old one goes stale.
    let fresh = cp.regenerate_deployment_token(&a, &d1.uid).await.unwrap();
    let b1 = cp.resolve_backend("one").await.unwrap().unwrap();
    assert_eq!(
        cp.authenticate_backend(&b1, &d1.jwt_token).await,
        Err(CredentialError::Stale)
    );
    assert_eq!(
        cp.authenticate_backend(&b1, &fresh.jwt_token).await,
        Ok(Role::Admin)
    );

    // Anonymous access change is visible at once through this process.
    cp.update_deployment(
        &a,
        &d1.uid,
        DeploymentUpdate {
            anonymous_access: Some("readwrite".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let b1 = cp.resolve_backend("one").await.unwrap().unwrap();
    assert_eq!(b1.anonymous_access, AnonymousAccess::ReadWrite);

    // Deleting the deployment kills its keys and the subdomain.
    cp.delete_deployment(&a, &d1.uid).await.unwrap();
    assert!(cp.resolve_backend("one").await.unwrap().is_none());
    assert_eq!(
        cp.authenticate_backend(&b1, &admin.key).await,
        Err(CredentialError::Invalid)
    );
}
both!(front_door_credentials);

// ------------------------------------------------------------------ denial matrix

async fn denial_matrix(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let m = user(cp, "mallory@example.com").await;
    let d = cp.create_deployment(&a, named("private")).await.unwrap();
    let k = cp
        .create_api_key(&a, &d.uid, "k", "admin", None)
        .await
        .unwrap();

    assert!(cp.list_deployments(&m).await.unwrap().is_empty());
    assert!(matches!(
        cp.get_deployment(&m, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.get_deployment(&m, &d.url).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.update_deployment(
            &m,
            &d.uid,
            DeploymentUpdate {
                name: Some("pwned".into()),
                ..Default::default()
            }
        )
        .await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.delete_deployment(&m, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.create_api_key(&m, &d.uid, "x", "admin", None).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.list_api_keys(&m, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.delete_api_key(&m, &d.uid, &k.uid).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.regenerate_deployment_token(&m, &d.uid).await,
        Err(ControlError::NotFound(_))
    ));
    // Nothing changed.
    let still = cp.get_deployment(&a, &d.uid).await.unwrap();
    assert_eq!(still.name, "private");
    assert_eq!(cp.list_api_keys(&a, &d.uid).await.unwrap().len(), 1);

    // A key of a deleted deployment's id on another deployment does not work either.
    let org = cp.create_organization(&a, "acme").await.unwrap();
    assert!(matches!(
        cp.add_organization_member(&m, &org.uid, "mallory@example.com")
            .await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.create_deployment(
            &m,
            NewDeployment {
                organization_uid: Some(org.uid.clone()),
                ..named("sneaky")
            }
        )
        .await,
        Err(ControlError::NotFound(_))
    ));
    assert!(cp.list_organizations(&m).await.unwrap().is_empty());
}
both!(denial_matrix);

// ------------------------------------------------------------------ paged listing

async fn deployment_pages(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let b = user(cp, "b@example.com").await;
    let org = cp.create_organization(&a, "Acme").await.unwrap();
    cp.add_organization_member(&a, &org.uid, "b@example.com")
        .await
        .unwrap();
    // b sees its own deployments and a's org deployments, interleaved in id order; a's
    // private ones (every third) are not b's.
    let mut expected = Vec::new();
    for i in 0..23 {
        let d = match i % 3 {
            0 => cp.create_deployment(&b, named(&format!("own {i}"))).await,
            1 => {
                cp.create_deployment(
                    &a,
                    NewDeployment {
                        organization_uid: Some(org.uid.clone()),
                        ..named(&format!("shared {i}"))
                    },
                )
                .await
            }
            _ => {
                cp.create_deployment(&a, named(&format!("private {i}")))
                    .await
            }
        }
        .unwrap();
        if i % 3 != 2 {
            expected.push(d.name.clone());
        }
    }
    assert_eq!(expected.len(), 16);
    let all: Vec<String> = cp
        .list_deployments(&b)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(all, expected);

    // Pages of 5 walk the same list: 5, 5, 5, 1, then empty.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = cp
            .list_deployments_page(&b, Some(5), after.as_deref())
            .await
            .unwrap();
        sizes.push(page.len());
        let Some(last) = page.last() else { break };
        after = Some(last.uid.clone());
        paged.extend(page.into_iter().map(|d| d.name));
    }
    assert_eq!(sizes, vec![5, 5, 5, 1, 0]);
    assert_eq!(paged, expected);

    // `after` alone: everything after it; neither: the whole list.
    let third_uid = cp.list_deployments(&b).await.unwrap()[2].uid.clone();
    let rest: Vec<String> = cp
        .list_deployments_page(&b, None, Some(&third_uid))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(rest, expected[3..].to_vec());
    assert_eq!(
        cp.list_deployments_page(&b, None, None)
            .await
            .unwrap()
            .len(),
        16
    );
    // a's private deployments stay invisible to b on every page; a sees its own 15 (8
    // shared + 7 private) and none of b's 8.
    assert_eq!(
        cp.list_deployments_page(&a, Some(1000), None)
            .await
            .unwrap()
            .len(),
        15
    );
    // A user outside the organization sees none of them, on any page.
    let c = user(cp, "c@example.com").await;
    assert!(
        cp.list_deployments_page(&c, Some(5), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cp.list_deployments_page(&c, None, Some(&third_uid))
            .await
            .unwrap()
            .is_empty()
    );
    for bad in [0, -1, 1001] {
        assert!(
            matches!(
                cp.list_deployments_page(&b, Some(bad), None).await,
                Err(ControlError::Invalid(ref m)) if m.contains("between 1 and 1000")
            ),
            "first: {bad}"
        );
    }
    assert!(matches!(
        cp.list_deployments_page(&b, Some(5), Some("own 0")).await,
        Err(ControlError::Invalid(ref m)) if m.contains("after must be a deployment uid")
    ));
}
both!(deployment_pages);

// ------------------------------------------------------------------ organizations

async fn organizations(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let b = user(cp, "b@example.com").await;
    assert!(cp.list_organizations(&a).await.unwrap().is_empty());
    assert!(matches!(
        cp.create_organization(&a, "  ").await,
        Err(ControlError::Invalid(_))
    ));
    let org = cp.create_organization(&a, "Acme").await.unwrap();
    assert!(org.uid.starts_with("0x"));
    assert_eq!(org.created_by.email, "a@example.com");
    assert_eq!(org.members.len(), 1);

    let shared = cp
        .create_deployment(
            &a,
            NewDeployment {
                organization_uid: Some(org.uid.clone()),
                ..named("shared")
            },
        )
        .await
        .unwrap();
    assert_eq!(shared.organization_uid.as_deref(), Some(org.uid.as_str()));
    cp.create_deployment(&a, named("solo")).await.unwrap();
    assert!(cp.list_deployments(&b).await.unwrap().is_empty());

    let org2 = cp
        .add_organization_member(&a, &org.uid, "B@example.com")
        .await
        .unwrap();
    assert_eq!(
        org2.members
            .iter()
            .map(|m| m.email.as_str())
            .collect::<Vec<_>>(),
        vec!["a@example.com", "b@example.com"]
    );
    assert!(matches!(
        cp.add_organization_member(&a, &org.uid, "b@example.com")
            .await,
        Err(ControlError::Conflict(_))
    ));
    assert!(matches!(
        cp.add_organization_member(&a, &org.uid, "ghost@example.com")
            .await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.add_organization_member(&a, "0xfffff", "b@example.com")
            .await,
        Err(ControlError::NotFound(_))
    ));

    // The member sees and may manage the org's deployments, not the owner's private ones.
    let seen = cp.list_deployments(&b).await.unwrap();
    assert_eq!(
        seen.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        vec!["shared"]
    );
    cp.create_api_key(&b, &shared.uid, "member-key", "client", None)
        .await
        .unwrap();
    assert_eq!(cp.list_organizations(&b).await.unwrap()[0].name, "Acme");
    assert_eq!(
        cp.get_organization(&b, &org.uid)
            .await
            .unwrap()
            .members
            .len(),
        2
    );

    assert!(matches!(
        cp.remove_organization_member(&b, &org.uid, "a@example.com")
            .await,
        Err(ControlError::Forbidden(_))
    ));
    let org3 = cp
        .remove_organization_member(&a, &org.uid, "b@example.com")
        .await
        .unwrap();
    assert_eq!(org3.members.len(), 1);
    assert!(matches!(
        cp.remove_organization_member(&a, &org.uid, "b@example.com")
            .await,
        Err(ControlError::NotFound(_))
    ));
    assert!(cp.list_deployments(&b).await.unwrap().is_empty());
    assert!(matches!(
        cp.get_deployment(&b, &shared.uid).await,
        Err(ControlError::NotFound(_))
    ));
}
both!(organizations);

// ------------------------------------------------------------------ device login

async fn device_login(cp: &ControlPlane) {
    let a = user(cp, "a@example.com").await;
    let start = cp.start_device_login().await.unwrap();
    assert_eq!(start.user_code.len(), 9);
    assert_eq!(start.expires_in, 900);
    assert!(matches!(
        cp.poll_device_login(&start.device_code).await.unwrap(),
        DevicePoll::Pending
    ));
    assert!(matches!(
        cp.poll_device_login("unknown").await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        cp.approve_device_login(&a, "ZZZZ-ZZZZ").await,
        Err(ControlError::NotFound(_))
    ));

    // Lower case and no dash are fine for humans.
    let typed = start.user_code.replace('-', "").to_lowercase();
    cp.approve_device_login(&a, &typed).await.unwrap();
    assert!(matches!(
        cp.approve_device_login(&a, &start.user_code).await,
        Err(ControlError::NotFound(_))
    ));
    let DevicePoll::Granted(grant) = cp.poll_device_login(&start.device_code).await.unwrap() else {
        panic!("expected a grant");
    };
    assert_eq!(grant.token_type, "Bearer");
    assert!(grant.expires_in >= 3 * 3600);
    assert_eq!(
        cp.authenticate_session(&grant.access_token).await.unwrap(),
        a
    );
    // The device code is single-use.
    assert!(matches!(
        cp.poll_device_login(&start.device_code).await,
        Err(ControlError::NotFound(_))
    ));

    // Refresh rotates the refresh token.
    let g2 = cp.refresh_session(&grant.refresh_token).await.unwrap();
    assert_ne!(g2.refresh_token, grant.refresh_token);
    assert!(matches!(
        cp.refresh_session(&grant.refresh_token).await,
        Err(ControlError::Unauthenticated(_))
    ));
    cp.authenticate_session(&g2.access_token).await.unwrap();

    // Password approval path (the web page), with a second device.
    let s2 = cp.start_device_login().await.unwrap();
    assert!(matches!(
        cp.approve_device_login_with_password("a@example.com", "bad-password", &s2.user_code, None)
            .await,
        Err(ControlError::Unauthenticated(_))
    ));
    cp.approve_device_login_with_password("a@example.com", PW, &s2.user_code, None)
        .await
        .unwrap();
    let DevicePoll::Granted(g3) = cp.poll_device_login(&s2.device_code).await.unwrap() else {
        panic!("expected a grant");
    };

    // Revoke one; revoke-all counts the rest and ends every session.
    assert!(cp.revoke_refresh_token(&g2.refresh_token).await.unwrap());
    assert!(!cp.revoke_refresh_token(&g2.refresh_token).await.unwrap());
    assert!(matches!(
        cp.refresh_session(&g2.refresh_token).await,
        Err(ControlError::Unauthenticated(_))
    ));
    let actor = cp.authenticate_session(&g3.access_token).await.unwrap();
    assert_eq!(cp.revoke_all_sessions(&actor).await.unwrap(), 1);
    assert!(matches!(
        cp.refresh_session(&g3.refresh_token).await,
        Err(ControlError::Unauthenticated(_))
    ));
    assert!(matches!(
        cp.authenticate_session(&g3.access_token).await,
        Err(ControlError::Unauthenticated(_))
    ));
}
both!(device_login);

// ------------------------------------------------------------------ persistence

#[tokio::test]
async fn sqlite_reopen_keeps_everything_and_the_key_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let (uid, token, key) = {
        let cp = ControlPlane::open(config(dir.path(), None)).await.unwrap();
        let a = user(&cp, "a@example.com").await;
        let d = cp.create_deployment(&a, named("durable")).await.unwrap();
        let k = cp
            .create_api_key(&a, &d.uid, "k", "client", None)
            .await
            .unwrap();
        cp.shutdown().await;
        (d.uid, d.jwt_token, k.key)
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("jwt.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let cp = ControlPlane::open(config(dir.path(), None)).await.unwrap();
    assert_eq!(cp.store().schema_version().await.unwrap(), 3); // initial schema, paging indexes, backup schedules
    let a = cp
        .authenticate_session(&cp.login("a@example.com", PW, None).await.unwrap())
        .await
        .unwrap();
    let list = cp.list_deployments(&a).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].uid, uid);
    assert_eq!(list[0].jwt_token, token);
    let b = cp.resolve_backend("durable").await.unwrap().unwrap();
    assert_eq!(cp.authenticate_backend(&b, &token).await, Ok(Role::Admin));
    assert_eq!(cp.authenticate_backend(&b, &key).await, Ok(Role::Client));
    cp.shutdown().await;
}

#[tokio::test]
async fn explicit_secret_overrides_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.jwt_secret = Some("x".repeat(40));
    let cp = ControlPlane::open(cfg.clone()).await.unwrap();
    assert!(!dir.path().join("jwt.key").exists());
    cfg.jwt_secret = Some("short".into());
    assert!(ControlPlane::open(cfg).await.is_err());
    cp.shutdown().await;
}

#[tokio::test]
async fn url_omits_port_443_and_unsupported_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.backend_port = 443;
    cfg.base_domain = "Example.COM".into();
    let cp = ControlPlane::open(cfg.clone()).await.unwrap();
    assert_eq!(cp.url_for("abc"), "abc.example.com");
    cp.shutdown().await;
    cfg.database_url = Some("mysql://x".into());
    assert!(matches!(
        ControlPlane::open(cfg).await,
        Err(ControlError::Invalid(_))
    ));
}

// ------------------------------------------------------------------ backup schedules

async fn backup_schedules(cp: &ControlPlane) {
    use graphcloud_control::schedules::{BackupSchedule, due};
    assert_eq!(
        cp.store().schema_version().await.unwrap(),
        3,
        "migration 3 (backup schedules) applied"
    );
    let a = user(cp, "sched@example.com").await;
    let b = user(cp, "other-sched@example.com").await;
    let d = cp.create_deployment(&a, named("Scheduled")).await.unwrap();
    let s = BackupSchedule {
        full_every_hours: 168,
        incremental_every_hours: 4,
        retention: 3,
    };
    cp.set_backup_schedule(&a, &d.uid, s).await.unwrap();
    assert_eq!(
        cp.backup_schedules_of(&[d.id]).await.unwrap().get(&d.id),
        Some(&s)
    );
    // Someone else cannot see or set it; bad values are refused and change nothing.
    assert!(cp.set_backup_schedule(&b, &d.uid, s).await.is_err());
    let bad = BackupSchedule {
        full_every_hours: 0,
        incremental_every_hours: 4,
        retention: 1,
    };
    assert!(cp.set_backup_schedule(&a, &d.uid, bad).await.is_err());
    assert_eq!(
        cp.backup_schedules_of(&[d.id]).await.unwrap().get(&d.id),
        Some(&s)
    );
    // The scheduler's view: due at once (never run), then recorded.
    let rows = cp.all_backup_schedules().await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.deployment_id == d.id)
        .unwrap()
        .clone();
    assert_eq!(due(&row, 1_000_000), Some(true));
    cp.record_scheduled_backup(d.id, true, 1_000_000)
        .await
        .unwrap();
    let rows = cp.all_backup_schedules().await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.deployment_id == d.id)
        .unwrap()
        .clone();
    assert_eq!(
        (row.last_full_at, row.last_incremental_at),
        (Some(1_000_000), Some(1_000_000))
    );
    assert_eq!(due(&row, 1_000_000 + 3600), None);
    assert_eq!(due(&row, 1_000_000 + 4 * 3600), Some(false));
    // Updating keeps the run times; fullEveryHours 0 removes the schedule.
    let s2 = BackupSchedule { retention: 5, ..s };
    cp.set_backup_schedule(&a, &d.uid, s2).await.unwrap();
    let rows = cp.all_backup_schedules().await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.deployment_id == d.id)
        .unwrap()
        .clone();
    assert_eq!((row.retention, row.last_full_at), (5, Some(1_000_000)));
    let off = BackupSchedule {
        full_every_hours: 0,
        incremental_every_hours: 0,
        retention: 0,
    };
    cp.set_backup_schedule(&a, &d.uid, off).await.unwrap();
    assert!(cp.backup_schedules_of(&[d.id]).await.unwrap().is_empty());
    // A deleted deployment takes its schedule with it.
    cp.set_backup_schedule(&a, &d.uid, s).await.unwrap();
    cp.delete_deployment(&a, &d.uid).await.unwrap();
    assert!(
        cp.all_backup_schedules()
            .await
            .unwrap()
            .iter()
            .all(|r| r.deployment_id != d.id)
    );
}
both!(backup_schedules);
