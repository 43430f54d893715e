//! Control plane of graphcloud: accounts, sessions, deployments, API keys, organizations, and
//! their metadata store.
//!
//! [`ControlPlane`] is the service layer behind both the control-plane GraphQL API and the
//! REST paths of the `slash-graphql` CLI, and the credential check of every backend request.
//! It keeps its state in one [`MetaStore`] (SQLite file `<data-dir>/control.db` by default,
//! PostgreSQL with a `postgres://` URL) and signs tokens with one HS256 key
//! (`<data-dir>/jwt.key`, or the configured secret).
//!
//! What it is not: it knows nothing of HTTP or GraphQL (the `graphcloud-server` crate maps
//! requests onto it) and nothing of a backend's graph data (deleting a deployment returns its
//! numeric id so the caller can drop that data). Every operation takes the acting user
//! explicitly as an [`Actor`] obtained from [`ControlPlane::authenticate_session`].
//!
//! # Caches and scale-out
//!
//! The front-door checks ([`ControlPlane::resolve_backend`],
//! [`ControlPlane::authenticate_backend`]) are served from small in-process caches with short
//! time-to-live (a few seconds) so that steady traffic does not read the database per request.
//! A change made through this process invalidates its own caches at once. When several
//! processes share one PostgreSQL database, a change made by another process (deleting a key,
//! deleting a deployment, changing anonymous access) is seen here after at most the TTL
//! ([`CACHE_TTL`]). Login throttling is per process as well. `lastUsedAt` of API keys is
//! written in batches at most once a minute (and when keys are listed), so it may lag by that
//! much.

pub mod apikeys;
pub mod deployments;
pub mod device;
pub mod error;
mod frontdoor;
pub mod model;
mod orgs;
pub mod schedules;
pub mod secrets;
pub mod store;
mod throttle;
mod users;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub use error::{ControlError, CredentialError, Result};
pub use frontdoor::BackendInfo;
pub use model::*;
pub use store::{Backend as StoreBackend, MetaStore};

use secrets::JwtKeys;
use throttle::Throttle;

/// How long a front-door cache entry may be served without re-reading the database.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Lifetime of a user session token (≥ 3 h as clients assume).
pub const SESSION_LIFETIME_S: i64 = 12 * 3600;
/// Lifetime of a CLI refresh token.
pub const REFRESH_LIFETIME_S: i64 = 30 * 24 * 3600;
/// Lifetime of a device code.
pub const DEVICE_CODE_LIFETIME_S: i64 = 900;
/// Polling interval advertised for a device code.
pub const DEVICE_POLL_INTERVAL_S: i64 = 5;

/// Configuration of a [`ControlPlane`].
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// Directory for `control.db` (SQLite mode) and `jwt.key`.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; `None` for the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Domain under which backends are served (`<subdomain>.<base_domain>`).
    pub base_domain: String,
    /// Port of the backend listener, shown in deployment URLs (omitted when 443).
    pub backend_port: u16,
    /// HS256 secret (≥ 32 bytes); `None` to use/generate `<data_dir>/jwt.key`.
    pub jwt_secret: Option<String>,
}

/// A cached subdomain lookup: when it was read, and the deployment (if any).
type BackendEntry = (Instant, Option<Arc<BackendInfo>>);

/// The control plane. Cheap to clone (one `Arc` inside).
#[derive(Clone)]
pub struct ControlPlane {
    inner: Arc<Inner>,
}

struct Inner {
    store: MetaStore,
    keys: JwtKeys,
    base_domain: String,
    backend_port: u16,
    throttle: Mutex<Throttle>,
    hashing: tokio::sync::Semaphore,
    backends: Mutex<HashMap<String, BackendEntry>>,
    api_keys: Mutex<HashMap<String, (Instant, Option<frontdoor::CachedKey>)>>,
    last_used: Mutex<frontdoor::LastUsed>,
    dummy_hash: tokio::sync::OnceCell<String>,
}

/// Current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    model::time_to_ms(time::OffsetDateTime::now_utc())
}

impl ControlPlane {
    /// Opens the metadata store (applying migrations) and the signing key.
    pub async fn open(cfg: ControlConfig) -> Result<Self> {
        let keys = match cfg.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
            Some(secret) => JwtKeys::from_secret(secret.as_bytes())?,
            None => JwtKeys::load_or_create(&cfg.data_dir)?,
        };
        let store = MetaStore::open(&cfg.data_dir, cfg.database_url.as_deref()).await?;
        let base_domain = cfg
            .base_domain
            .trim()
            .trim_matches('.')
            .to_ascii_lowercase();
        if base_domain.is_empty() {
            return Err(ControlError::Invalid(
                "the base domain must not be empty".into(),
            ));
        }
        Ok(ControlPlane {
            inner: Arc::new(Inner {
                store,
                keys,
                base_domain,
                backend_port: cfg.backend_port,
                throttle: Mutex::new(Throttle::default()),
                hashing: tokio::sync::Semaphore::new(2),
                backends: Mutex::new(HashMap::new()),
                api_keys: Mutex::new(HashMap::new()),
                last_used: Mutex::new(frontdoor::LastUsed::new()),
                dummy_hash: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The metadata store (for diagnostics and tests).
    pub fn store(&self) -> &MetaStore {
        &self.inner.store
    }

    /// The base domain of backend URLs.
    pub fn base_domain(&self) -> &str {
        &self.inner.base_domain
    }

    /// The backend port shown in deployment URLs.
    pub fn backend_port(&self) -> u16 {
        self.inner.backend_port
    }

    /// Writes pending `lastUsedAt` updates and closes the database pool.
    pub async fn shutdown(&self) {
        if let Err(e) = self.flush_last_used().await {
            tracing::warn!(error = %e, "could not write API-key usage times");
        }
        self.inner.store.close().await;
    }

    /// Runs a CPU-heavy closure (password hashing) off the async threads, at most two at once.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .inner
            .hashing
            .acquire()
            .await
            .map_err(|_| ControlError::Internal("hashing pool closed".into()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ControlError::Internal(format!("hashing task failed: {e}")))
    }
}
