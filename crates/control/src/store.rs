//! `MetaStore`: the control plane's metadata database over sqlx, on SQLite (default, one file
//! `<data-dir>/control.db` in WAL mode) or PostgreSQL (`postgres://…`), with versioned
//! migrations and the same SQL on both.
//!
//! Every statement is written once with `$n` placeholders, which both drivers bind by
//! position; the [`pooled!`] macro expands each body once per driver. Times are Unix
//! milliseconds in `BIGINT` columns and flags are `0`/`1` `BIGINT`s, so both databases store
//! exactly the same values.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{ControlError, Result};

/// Runs `$body` with `$p` bound to the concrete pool of either driver.
macro_rules! pooled {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// Which database a [`MetaStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The metadata database: users, deployments, API keys, organizations, device codes and
/// refresh tokens.
#[derive(Clone)]
pub struct MetaStore {
    pool: Pool,
}

/// One versioned migration: statements run in one transaction, recorded in
/// `graphcloud_migrations`.
struct Migration {
    version: i64,
    description: &'static str,
    statements: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial control-plane schema",
        statements: &[
            "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO counters (name, value) VALUES ('deployment', 0), ('organization', 0), ('apikey', 0)",
            "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, \
         password_hash TEXT NOT NULL, session_gen BIGINT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE TABLE organizations (id BIGINT PRIMARY KEY, name TEXT NOT NULL, \
         created_by TEXT NOT NULL REFERENCES users(id), created_at BIGINT NOT NULL)",
            "CREATE TABLE organization_members (org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE, \
         user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, added_at BIGINT NOT NULL, \
         PRIMARY KEY (org_id, user_id))",
            "CREATE INDEX organization_members_user ON organization_members(user_id)",
            "CREATE TABLE deployments (id BIGINT PRIMARY KEY, subdomain TEXT NOT NULL UNIQUE, name TEXT NOT NULL, \
         zone TEXT NOT NULL, owner_id TEXT NOT NULL REFERENCES users(id), org_id BIGINT REFERENCES organizations(id), \
         deployment_type TEXT NOT NULL, deployment_mode TEXT NOT NULL, anonymous_access TEXT NOT NULL, \
         lambda_script TEXT NOT NULL, size TEXT NOT NULL, storage_gb BIGINT NOT NULL, acl_enabled BIGINT NOT NULL, \
         jaeger_enabled BIGINT NOT NULL, dgraph_ha BIGINT NOT NULL, token_gen BIGINT NOT NULL, \
         created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE INDEX deployments_owner ON deployments(owner_id)",
            "CREATE INDEX deployments_org ON deployments(org_id)",
            "CREATE TABLE api_keys (id BIGINT PRIMARY KEY, deployment_id BIGINT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE, \
         name TEXT NOT NULL, role TEXT NOT NULL, prefix TEXT NOT NULL, digest TEXT NOT NULL UNIQUE, \
         created_by TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, last_used_at BIGINT)",
            "CREATE INDEX api_keys_deployment ON api_keys(deployment_id)",
            "CREATE TABLE device_codes (device_digest TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, \
         created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, approved_by TEXT REFERENCES users(id) ON DELETE CASCADE)",
            "CREATE TABLE refresh_tokens (digest TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, \
         created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id)",
        ],
    },
    Migration {
        version: 2,
        description: "deployments listed in id order per owner and organization (keyset pages)",
        statements: &[
            "CREATE INDEX deployments_owner_id ON deployments(owner_id, id)",
            "CREATE INDEX deployments_org_id ON deployments(org_id, id)",
            "DROP INDEX deployments_owner",
            "DROP INDEX deployments_org",
        ],
    },
    Migration {
        version: 3,
        description: "backup schedules",
        statements: &[
            "CREATE TABLE backup_schedules (deployment_id BIGINT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE, \
         full_every_hours BIGINT NOT NULL, incremental_every_hours BIGINT NOT NULL, retention BIGINT NOT NULL, \
         last_full_at BIGINT, last_incremental_at BIGINT, updated_at BIGINT NOT NULL)",
        ],
    },
];

/// A backup schedule row (hours; 0 = that kind is off; retention = full backup chains kept,
/// 0 = keep all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupScheduleRow {
    pub deployment_id: i64,
    pub full_every_hours: i64,
    pub incremental_every_hours: i64,
    pub retention: i64,
    pub last_full_at: Option<i64>,
    pub last_incremental_at: Option<i64>,
}

/// A user row.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub session_gen: i64,
    pub created_at: i64,
}

/// A deployment row.
#[derive(Debug, Clone)]
pub struct DeploymentRow {
    pub id: i64,
    pub subdomain: String,
    pub name: String,
    pub zone: String,
    pub owner_id: String,
    pub org_id: Option<i64>,
    pub deployment_type: String,
    pub deployment_mode: String,
    pub anonymous_access: String,
    pub lambda_script: String,
    pub size: String,
    pub storage_gb: i64,
    pub acl_enabled: bool,
    pub jaeger_enabled: bool,
    pub dgraph_ha: bool,
    pub token_gen: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An API-key row (the digest, never the secret).
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: i64,
    pub deployment_id: i64,
    pub name: String,
    pub role: String,
    pub prefix: String,
    pub digest: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// An organization row.
#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
}

/// A device-code row.
#[derive(Debug, Clone)]
pub struct DeviceCodeRow {
    pub user_code: String,
    pub expires_at: i64,
    pub approved_by: Option<String>,
}

macro_rules! user_row {
    ($r:expr) => {
        UserRow {
            id: $r.try_get("id")?,
            email: $r.try_get("email")?,
            name: $r.try_get("name")?,
            password_hash: $r.try_get("password_hash")?,
            session_gen: $r.try_get("session_gen")?,
            created_at: $r.try_get("created_at")?,
        }
    };
}

macro_rules! deployment_row {
    ($r:expr) => {
        DeploymentRow {
            id: $r.try_get("id")?,
            subdomain: $r.try_get("subdomain")?,
            name: $r.try_get("name")?,
            zone: $r.try_get("zone")?,
            owner_id: $r.try_get("owner_id")?,
            org_id: $r.try_get("org_id")?,
            deployment_type: $r.try_get("deployment_type")?,
            deployment_mode: $r.try_get("deployment_mode")?,
            anonymous_access: $r.try_get("anonymous_access")?,
            lambda_script: $r.try_get("lambda_script")?,
            size: $r.try_get("size")?,
            storage_gb: $r.try_get("storage_gb")?,
            acl_enabled: $r.try_get::<i64, _>("acl_enabled")? != 0,
            jaeger_enabled: $r.try_get::<i64, _>("jaeger_enabled")? != 0,
            dgraph_ha: $r.try_get::<i64, _>("dgraph_ha")? != 0,
            token_gen: $r.try_get("token_gen")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

macro_rules! api_key_row {
    ($r:expr) => {
        ApiKeyRow {
            id: $r.try_get("id")?,
            deployment_id: $r.try_get("deployment_id")?,
            name: $r.try_get("name")?,
            role: $r.try_get("role")?,
            prefix: $r.try_get("prefix")?,
            digest: $r.try_get("digest")?,
            created_by: $r.try_get("created_by")?,
            created_at: $r.try_get("created_at")?,
            expires_at: $r.try_get("expires_at")?,
            last_used_at: $r.try_get("last_used_at")?,
        }
    };
}

macro_rules! org_row {
    ($r:expr) => {
        OrgRow {
            id: $r.try_get("id")?,
            name: $r.try_get("name")?,
            created_by: $r.try_get("created_by")?,
            created_at: $r.try_get("created_at")?,
        }
    };
}

const DEPLOYMENT_COLUMNS: &str = "id, subdomain, name, zone, owner_id, org_id, deployment_type, \
    deployment_mode, anonymous_access, lambda_script, size, storage_gb, acl_enabled, jaeger_enabled, \
    dgraph_ha, token_gen, created_at, updated_at";

/// Returns true when the error is a unique-constraint violation.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

impl MetaStore {
    /// Opens (creating if needed) the store and applies pending migrations.
    ///
    /// `database_url` `None` (or empty) selects `<data_dir>/control.db`; a `postgres://` or
    /// `postgresql://` URL selects PostgreSQL; a `sqlite:` URL selects that SQLite file.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Self> {
        let url = database_url.map(str::trim).filter(|u| !u.is_empty());
        let pool = match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let opts = PgConnectOptions::from_str(u)
                    .map_err(|e| ControlError::Invalid(format!("invalid PostgreSQL URL: {e}")))?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Pool::Postgres(pool)
            }
            Some(u) if u.starts_with("sqlite:") => {
                let opts = SqliteConnectOptions::from_str(u)
                    .map_err(|e| ControlError::Invalid(format!("invalid SQLite URL: {e}")))?;
                Pool::Sqlite(Self::sqlite_pool(opts.create_if_missing(true)).await?)
            }
            Some(u) => {
                return Err(ControlError::Invalid(format!(
                    "unsupported database URL {:?}: use postgres://… or sqlite:…",
                    u.split(':').next().unwrap_or("")
                )));
            }
            None => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    ControlError::Internal(format!(
                        "cannot create data directory {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let opts = SqliteConnectOptions::new()
                    .filename(data_dir.join("control.db"))
                    .create_if_missing(true);
                Pool::Sqlite(Self::sqlite_pool(opts).await?)
            }
        };
        let store = MetaStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn sqlite_pool(opts: SqliteConnectOptions) -> Result<SqlitePool> {
        let opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Ok(SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?)
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        pooled!(self, |p| p.close().await)
    }

    async fn migrate(&self) -> Result<()> {
        pooled!(self, |p| {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS graphcloud_migrations (version BIGINT PRIMARY KEY, \
                 description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .execute(p)
            .await?;
            for m in MIGRATIONS {
                let mut tx = p.begin().await?;
                let done: Option<i64> = sqlx::query_scalar(
                    "SELECT version FROM graphcloud_migrations WHERE version = $1",
                )
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
                if done.is_some() {
                    continue;
                }
                // Claim the version first so a concurrent process blocks or fails here
                // instead of half-applying the statements.
                let claimed = sqlx::query(
                    "INSERT INTO graphcloud_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.description)
                .bind(crate::now_ms())
                .execute(&mut *tx)
                .await;
                match claimed {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
                for stmt in m.statements {
                    sqlx::query(*stmt).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                tracing::info!(version = m.version, "applied control-plane migration");
            }
            Ok(())
        })
    }

    /// The highest applied migration version.
    pub async fn schema_version(&self) -> Result<i64> {
        pooled!(self, |p| {
            let v: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM graphcloud_migrations")
                    .fetch_one(p)
                    .await?;
            Ok(v.unwrap_or(0))
        })
    }

    // ---------------------------------------------------------------- users

    pub async fn insert_user(&self, u: &UserRow) -> Result<()> {
        pooled!(self, |p| {
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, session_gen, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&u.id)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(u.session_gen)
            .bind(u.created_at)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        pooled!(self, |p| {
            let row = sqlx::query("SELECT * FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(user_row!(r)),
                None => None,
            })
        })
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        pooled!(self, |p| {
            let row = sqlx::query("SELECT * FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(user_row!(r)),
                None => None,
            })
        })
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        pooled!(self, |p| {
            let rows = sqlx::query("SELECT * FROM users ORDER BY email")
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(user_row!(r));
            }
            Ok(out)
        })
    }

    /// Sets a new password hash and bumps the session generation (old sessions die).
    pub async fn set_password(&self, user_id: &str, hash: &str) -> Result<bool> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE users SET password_hash = $1, session_gen = session_gen + 1 WHERE id = $2",
            )
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM refresh_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Bumps the session generation of a user: every session token issued before dies.
    pub async fn bump_session_gen(&self, user_id: &str) -> Result<()> {
        pooled!(self, |p| {
            sqlx::query("UPDATE users SET session_gen = session_gen + 1 WHERE id = $1")
                .bind(user_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Counts what still references a user: (deployments owned, organizations created).
    pub async fn user_references(&self, user_id: &str) -> Result<(i64, i64)> {
        pooled!(self, |p| {
            let d: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deployments WHERE owner_id = $1")
                .bind(user_id)
                .fetch_one(p)
                .await?;
            let o: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE created_by = $1")
                    .bind(user_id)
                    .fetch_one(p)
                    .await?;
            Ok((d, o))
        })
    }

    pub async fn delete_user(&self, user_id: &str) -> Result<bool> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            for stmt in [
                "DELETE FROM organization_members WHERE user_id = $1",
                "DELETE FROM refresh_tokens WHERE user_id = $1",
                "DELETE FROM device_codes WHERE approved_by = $1",
            ] {
                sqlx::query(stmt).bind(user_id).execute(&mut *tx).await?;
            }
            let n = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    // ---------------------------------------------------------------- counters

    /// Allocates the next value of a named counter (never reused, even after deletes).
    pub async fn next_id(&self, counter: &str) -> Result<i64> {
        pooled!(self, |p| {
            let v: i64 = sqlx::query_scalar(
                "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
            )
            .bind(counter)
            .fetch_one(p)
            .await?;
            Ok(v)
        })
    }

    // ---------------------------------------------------------------- deployments

    pub async fn insert_deployment(&self, d: &DeploymentRow) -> Result<()> {
        pooled!(self, |p| {
            sqlx::query(
                "INSERT INTO deployments (id, subdomain, name, zone, owner_id, org_id, deployment_type, \
                 deployment_mode, anonymous_access, lambda_script, size, storage_gb, acl_enabled, \
                 jaeger_enabled, dgraph_ha, token_gen, created_at, updated_at) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(d.id)
            .bind(&d.subdomain)
            .bind(&d.name)
            .bind(&d.zone)
            .bind(&d.owner_id)
            .bind(d.org_id)
            .bind(&d.deployment_type)
            .bind(&d.deployment_mode)
            .bind(&d.anonymous_access)
            .bind(&d.lambda_script)
            .bind(&d.size)
            .bind(d.storage_gb)
            .bind(d.acl_enabled as i64)
            .bind(d.jaeger_enabled as i64)
            .bind(d.dgraph_ha as i64)
            .bind(d.token_gen)
            .bind(d.created_at)
            .bind(d.updated_at)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Writes the mutable columns of a deployment back.
    pub async fn update_deployment(&self, d: &DeploymentRow) -> Result<bool> {
        pooled!(self, |p| {
            let n = sqlx::query(
                "UPDATE deployments SET name = $1, org_id = $2, deployment_type = $3, deployment_mode = $4, \
                 anonymous_access = $5, lambda_script = $6, token_gen = $7, updated_at = $8 WHERE id = $9",
            )
            .bind(&d.name)
            .bind(d.org_id)
            .bind(&d.deployment_type)
            .bind(&d.deployment_mode)
            .bind(&d.anonymous_access)
            .bind(&d.lambda_script)
            .bind(d.token_gen)
            .bind(d.updated_at)
            .bind(d.id)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn deployment_by_id(&self, id: i64) -> Result<Option<DeploymentRow>> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE id = $1");
        pooled!(self, |p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(deployment_row!(r)),
                None => None,
            })
        })
    }

    pub async fn deployment_by_subdomain(&self, sub: &str) -> Result<Option<DeploymentRow>> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE subdomain = $1");
        pooled!(self, |p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(sub)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(deployment_row!(r)),
                None => None,
            })
        })
    }

    /// Deployments owned by the user or belonging to an organization the user is a member of.
    pub async fn deployments_visible_to(&self, user_id: &str) -> Result<Vec<DeploymentRow>> {
        let sql = format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE owner_id = $1 OR org_id IN \
             (SELECT org_id FROM organization_members WHERE user_id = $2) ORDER BY id"
        );
        pooled!(self, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(user_id)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(deployment_row!(r));
            }
            Ok(out)
        })
    }

    /// At most `limit` deployments visible to the user (as [`Self::deployments_visible_to`])
    /// with an id above `after`, in id order. Each branch reads its index from `after` on
    /// and stops after `limit` rows, so a page costs the same however many deployments
    /// precede it.
    pub async fn deployments_visible_to_page(
        &self,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DeploymentRow>> {
        let sql = format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE id IN (\
             SELECT id FROM (SELECT id FROM deployments WHERE owner_id = $1 AND id > $3 \
             ORDER BY id LIMIT $4) AS own \
             UNION SELECT id FROM (SELECT d.id FROM deployments d JOIN organization_members m \
             ON m.org_id = d.org_id WHERE m.user_id = $2 AND d.id > $3 ORDER BY d.id LIMIT $4) AS shared\
             ) ORDER BY id LIMIT $4"
        );
        pooled!(self, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(user_id)
                .bind(user_id)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(deployment_row!(r));
            }
            Ok(out)
        })
    }

    pub async fn count_deployments(&self) -> Result<i64> {
        pooled!(self, |p| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM deployments")
                .fetch_one(p)
                .await?)
        })
    }

    // ---------------------------------------------------------------- backup schedules

    /// Sets (or, with `None`, removes) a deployment's backup schedule. Setting keeps the
    /// times of the last scheduled backups.
    pub async fn set_backup_schedule(
        &self,
        deployment_id: i64,
        schedule: Option<(i64, i64, i64)>,
        now: i64,
    ) -> Result<()> {
        pooled!(self, |p| {
            match schedule {
                None => {
                    sqlx::query("DELETE FROM backup_schedules WHERE deployment_id = $1")
                        .bind(deployment_id)
                        .execute(p)
                        .await?;
                }
                Some((full, incremental, retention)) => {
                    sqlx::query(
                        "INSERT INTO backup_schedules (deployment_id, full_every_hours, incremental_every_hours, \
                         retention, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deployment_id) DO UPDATE SET \
                         full_every_hours = excluded.full_every_hours, incremental_every_hours = excluded.incremental_every_hours, \
                         retention = excluded.retention, updated_at = excluded.updated_at",
                    )
                    .bind(deployment_id)
                    .bind(full)
                    .bind(incremental)
                    .bind(retention)
                    .bind(now)
                    .execute(p)
                    .await?;
                }
            }
            Ok(())
        })
    }

    /// Every backup schedule of an existing deployment, by deployment id.
    pub async fn backup_schedules(&self) -> Result<Vec<BackupScheduleRow>> {
        pooled!(self, |p| {
            let rows = sqlx::query(
                "SELECT s.deployment_id, s.full_every_hours, s.incremental_every_hours, s.retention, \
                 s.last_full_at, s.last_incremental_at FROM backup_schedules s \
                 JOIN deployments d ON d.id = s.deployment_id ORDER BY s.deployment_id",
            )
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(BackupScheduleRow {
                    deployment_id: r.try_get("deployment_id")?,
                    full_every_hours: r.try_get("full_every_hours")?,
                    incremental_every_hours: r.try_get("incremental_every_hours")?,
                    retention: r.try_get("retention")?,
                    last_full_at: r.try_get("last_full_at")?,
                    last_incremental_at: r.try_get("last_incremental_at")?,
                });
            }
            Ok(out)
        })
    }

    /// Records a scheduled backup taken at `at` (a full one counts as incremental too).
    pub async fn record_scheduled_backup(
        &self,
        deployment_id: i64,
        full: bool,
        at: i64,
    ) -> Result<()> {
        let sql = if full {
            "UPDATE backup_schedules SET last_full_at = $1, last_incremental_at = $1 WHERE deployment_id = $2"
        } else {
            "UPDATE backup_schedules SET last_incremental_at = $1 WHERE deployment_id = $2"
        };
        pooled!(self, |p| {
            sqlx::query(sql)
                .bind(at)
                .bind(deployment_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Deletes a deployment and its API keys in one transaction.
    pub async fn delete_deployment(&self, id: i64) -> Result<bool> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM backup_schedules WHERE deployment_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_keys WHERE deployment_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM deployments WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    // ---------------------------------------------------------------- API keys

    pub async fn insert_api_key(&self, k: &ApiKeyRow) -> Result<()> {
        pooled!(self, |p| {
            sqlx::query(
                "INSERT INTO api_keys (id, deployment_id, name, role, prefix, digest, created_by, \
                 created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(k.id)
            .bind(k.deployment_id)
            .bind(&k.name)
            .bind(&k.role)
            .bind(&k.prefix)
            .bind(&k.digest)
            .bind(&k.created_by)
            .bind(k.created_at)
            .bind(k.expires_at)
            .bind(k.last_used_at)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    pub async fn api_key_by_digest(&self, digest: &str) -> Result<Option<ApiKeyRow>> {
        pooled!(self, |p| {
            let row = sqlx::query("SELECT * FROM api_keys WHERE digest = $1")
                .bind(digest)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(api_key_row!(r)),
                None => None,
            })
        })
    }

    pub async fn api_keys_of(&self, deployment_id: i64) -> Result<Vec<ApiKeyRow>> {
        pooled!(self, |p| {
            let rows = sqlx::query("SELECT * FROM api_keys WHERE deployment_id = $1 ORDER BY id")
                .bind(deployment_id)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(api_key_row!(r));
            }
            Ok(out)
        })
    }

    pub async fn delete_api_key(&self, deployment_id: i64, key_id: i64) -> Result<bool> {
        pooled!(self, |p| {
            let n = sqlx::query("DELETE FROM api_keys WHERE deployment_id = $1 AND id = $2")
                .bind(deployment_id)
                .bind(key_id)
                .execute(p)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    /// Writes a batch of `last_used_at` values (keeps the later of stored and given).
    pub async fn touch_api_keys(&self, batch: &[(i64, i64)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            for (id, at) in batch {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 \
                     AND (last_used_at IS NULL OR last_used_at < $3)",
                )
                .bind(*at)
                .bind(*id)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    // ---------------------------------------------------------------- organizations

    /// Creates an organization with its creator as first member.
    pub async fn insert_org(&self, o: &OrgRow) -> Result<()> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO organizations (id, name, created_by, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(o.id)
            .bind(&o.name)
            .bind(&o.created_by)
            .bind(o.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO organization_members (org_id, user_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(o.id)
            .bind(&o.created_by)
            .bind(o.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn org_by_id(&self, id: i64) -> Result<Option<OrgRow>> {
        pooled!(self, |p| {
            let row = sqlx::query("SELECT * FROM organizations WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(org_row!(r)),
                None => None,
            })
        })
    }

    pub async fn orgs_of_member(&self, user_id: &str) -> Result<Vec<OrgRow>> {
        pooled!(self, |p| {
            let rows = sqlx::query(
                "SELECT o.* FROM organizations o JOIN organization_members m ON m.org_id = o.id \
                 WHERE m.user_id = $1 ORDER BY o.id",
            )
            .bind(user_id)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(org_row!(r));
            }
            Ok(out)
        })
    }

    /// Members of an organization, in the order they joined.
    pub async fn org_members(&self, org_id: i64) -> Result<Vec<UserRow>> {
        pooled!(self, |p| {
            let rows = sqlx::query(
                "SELECT u.* FROM users u JOIN organization_members m ON m.user_id = u.id \
                 WHERE m.org_id = $1 ORDER BY m.added_at, u.email",
            )
            .bind(org_id)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(user_row!(r));
            }
            Ok(out)
        })
    }

    pub async fn is_org_member(&self, org_id: i64, user_id: &str) -> Result<bool> {
        pooled!(self, |p| {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM organization_members WHERE org_id = $1 AND user_id = $2",
            )
            .bind(org_id)
            .bind(user_id)
            .fetch_one(p)
            .await?;
            Ok(n > 0)
        })
    }

    /// Adds a member; `false` when already a member.
    pub async fn add_org_member(&self, org_id: i64, user_id: &str, at: i64) -> Result<bool> {
        pooled!(self, |p| {
            let res = sqlx::query(
                "INSERT INTO organization_members (org_id, user_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(org_id)
            .bind(user_id)
            .bind(at)
            .execute(p)
            .await;
            match res {
                Ok(_) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    pub async fn remove_org_member(&self, org_id: i64, user_id: &str) -> Result<bool> {
        pooled!(self, |p| {
            let n =
                sqlx::query("DELETE FROM organization_members WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id)
                    .bind(user_id)
                    .execute(p)
                    .await?
                    .rows_affected();
            Ok(n == 1)
        })
    }

    // ---------------------------------------------------------------- device codes

    pub async fn insert_device_code(
        &self,
        device_digest: &str,
        user_code: &str,
        created_at: i64,
        expires_at: i64,
    ) -> Result<()> {
        pooled!(self, |p| {
            // Expired codes are useless; sweep them while we are here.
            sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
                .bind(created_at)
                .execute(p)
                .await?;
            sqlx::query(
                "INSERT INTO device_codes (device_digest, user_code, created_at, expires_at, approved_by) \
                 VALUES ($1, $2, $3, $4, NULL)",
            )
            .bind(device_digest)
            .bind(user_code)
            .bind(created_at)
            .bind(expires_at)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Marks a pending, unexpired code approved by `user_id`; `false` if there is none.
    pub async fn approve_device_code(
        &self,
        user_code: &str,
        user_id: &str,
        now: i64,
    ) -> Result<bool> {
        pooled!(self, |p| {
            let n = sqlx::query(
                "UPDATE device_codes SET approved_by = $1 WHERE user_code = $2 AND expires_at >= $3 \
                 AND approved_by IS NULL",
            )
            .bind(user_id)
            .bind(user_code)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn device_code(&self, device_digest: &str) -> Result<Option<DeviceCodeRow>> {
        pooled!(self, |p| {
            let row = sqlx::query(
                "SELECT user_code, expires_at, approved_by FROM device_codes WHERE device_digest = $1",
            )
            .bind(device_digest)
            .fetch_optional(p)
            .await?;
            Ok(match row {
                Some(r) => Some(DeviceCodeRow {
                    user_code: r.try_get("user_code")?,
                    expires_at: r.try_get("expires_at")?,
                    approved_by: r.try_get("approved_by")?,
                }),
                None => None,
            })
        })
    }

    /// Consumes an approved device code and stores the refresh token issued for it, atomically.
    /// Returns `false` if the code was consumed concurrently.
    pub async fn consume_device_code(
        &self,
        device_digest: &str,
        refresh_digest: &str,
        user_id: &str,
        now: i64,
        refresh_expires_at: i64,
    ) -> Result<bool> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "DELETE FROM device_codes WHERE device_digest = $1 AND approved_by = $2",
            )
            .bind(device_digest)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO refresh_tokens (digest, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(refresh_digest)
            .bind(user_id)
            .bind(now)
            .bind(refresh_expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    // ---------------------------------------------------------------- refresh tokens

    /// Replaces a refresh token by a new one (rotation); returns the owner, or `None` when the
    /// old token is unknown or expired.
    pub async fn rotate_refresh_token(
        &self,
        old_digest: &str,
        new_digest: &str,
        now: i64,
        new_expires_at: i64,
    ) -> Result<Option<String>> {
        pooled!(self, |p| {
            let mut tx = p.begin().await?;
            let row = sqlx::query(
                "DELETE FROM refresh_tokens WHERE digest = $1 RETURNING user_id, expires_at",
            )
            .bind(old_digest)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let user_id: String = row.try_get("user_id")?;
            let expires_at: i64 = row.try_get("expires_at")?;
            if expires_at < now {
                tx.commit().await?;
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO refresh_tokens (digest, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(new_digest)
            .bind(&user_id)
            .bind(now)
            .bind(new_expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(user_id))
        })
    }

    /// Deletes one refresh token; returns whether it existed.
    pub async fn delete_refresh_token(&self, digest: &str) -> Result<bool> {
        pooled!(self, |p| {
            let n = sqlx::query("DELETE FROM refresh_tokens WHERE digest = $1")
                .bind(digest)
                .execute(p)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    /// Deletes every refresh token of a user; returns how many there were.
    pub async fn delete_refresh_tokens_of(&self, user_id: &str) -> Result<u64> {
        pooled!(self, |p| {
            Ok(sqlx::query("DELETE FROM refresh_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(p)
                .await?
                .rows_affected())
        })
    }
}
