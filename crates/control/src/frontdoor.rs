//! The backend front door's fast path: resolving a subdomain to a deployment and checking a
//! credential, served from short-lived in-process caches (see the crate docs on scale-out).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{CredentialError, Result};
use crate::model::*;
use crate::secrets;
use crate::store::DeploymentRow;
use crate::{CACHE_TTL, ControlPlane, now_ms};

/// Bound on cached entries per cache (cleared wholesale beyond it).
const MAX_ENTRIES: usize = 50_000;
/// Unknown subdomains / keys are remembered for a shorter time.
const NEGATIVE_TTL: Duration = Duration::from_secs(1);
/// `lastUsedAt` is written at most this often.
const LAST_USED_FLUSH: Duration = Duration::from_secs(60);

/// What the front door needs to know about a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendInfo {
    /// Numeric id (graph data key prefix).
    pub id: i64,
    /// `0x…` uid.
    pub uid: String,
    pub subdomain: String,
    pub deployment_mode: String,
    pub deployment_type: String,
    /// What keyless `/graphql` requests may do.
    pub anonymous_access: AnonymousAccess,
    token_gen: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct CachedKey {
    pub(crate) id: i64,
    deployment_id: i64,
    role: Role,
    expires_at: Option<i64>,
    digest: String,
}

pub(crate) struct LastUsed {
    pending: HashMap<i64, i64>,
    last_flush: Instant,
}

impl LastUsed {
    pub(crate) fn new() -> Self {
        LastUsed {
            pending: HashMap::new(),
            last_flush: Instant::now(),
        }
    }
}

fn info(r: &DeploymentRow) -> BackendInfo {
    BackendInfo {
        id: r.id,
        uid: format_uid(r.id),
        subdomain: r.subdomain.clone(),
        deployment_mode: r.deployment_mode.clone(),
        deployment_type: r.deployment_type.clone(),
        anonymous_access: AnonymousAccess::parse(&r.anonymous_access).unwrap_or_default(),
        token_gen: r.token_gen,
    }
}

impl ControlPlane {
    pub(crate) fn invalidate_backend(&self, subdomain: &str) {
        self.inner.backends.lock().remove(subdomain);
    }

    /// The deployment served under `subdomain`, if any (cached for [`CACHE_TTL`]).
    pub async fn resolve_backend(&self, subdomain: &str) -> Result<Option<Arc<BackendInfo>>> {
        let sub = subdomain.trim().to_ascii_lowercase();
        let now = Instant::now();
        if let Some((at, v)) = self.inner.backends.lock().get(&sub) {
            let ttl = if v.is_some() { CACHE_TTL } else { NEGATIVE_TTL };
            if now.duration_since(*at) < ttl {
                return Ok(v.clone());
            }
        }
        let v = self
            .inner
            .store
            .deployment_by_subdomain(&sub)
            .await?
            .map(|r| Arc::new(info(&r)));
        let mut cache = self.inner.backends.lock();
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(sub, (now, v.clone()));
        Ok(v)
    }

    /// Checks a backend credential — an API key of this deployment or its `jwtToken` — and
    /// returns the role it grants (the `jwtToken` is admin).
    pub async fn authenticate_backend(
        &self,
        backend: &BackendInfo,
        credential: &str,
    ) -> std::result::Result<Role, CredentialError> {
        let credential = credential.trim();
        if credential.starts_with(crate::apikeys::KEY_PREFIX) {
            return self.authenticate_key(backend, credential).await;
        }
        if credential.matches('.').count() == 2 {
            let claims = self
                .inner
                .keys
                .verify_deployment(credential)
                .ok_or(CredentialError::Invalid)?;
            if claims.dep != backend.uid {
                return Err(CredentialError::OtherBackend);
            }
            if claims.gen_ != backend.token_gen {
                return Err(CredentialError::Stale);
            }
            return Ok(Role::Admin);
        }
        Err(CredentialError::Invalid)
    }

    async fn authenticate_key(
        &self,
        backend: &BackendInfo,
        key: &str,
    ) -> std::result::Result<Role, CredentialError> {
        let digest = secrets::digest(key);
        let now = Instant::now();
        let cached = self.inner.api_keys.lock().get(&digest).and_then(|(at, v)| {
            let ttl = if v.is_some() { CACHE_TTL } else { NEGATIVE_TTL };
            (now.duration_since(*at) < ttl).then(|| v.clone())
        });
        let entry = match cached {
            Some(v) => v,
            None => {
                let row = self
                    .inner
                    .store
                    .api_key_by_digest(&digest)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "API-key lookup failed");
                        CredentialError::Unavailable
                    })?;
                let v = row.map(|r| CachedKey {
                    id: r.id,
                    deployment_id: r.deployment_id,
                    role: Role::parse(&r.role).unwrap_or(Role::Client),
                    expires_at: r.expires_at,
                    digest: r.digest,
                });
                let mut cache = self.inner.api_keys.lock();
                if cache.len() >= MAX_ENTRIES {
                    cache.clear();
                }
                cache.insert(digest.clone(), (now, v.clone()));
                v
            }
        };
        let key = entry.ok_or(CredentialError::Invalid)?;
        if !secrets::ct_eq(&key.digest, &digest) {
            return Err(CredentialError::Invalid);
        }
        if key.deployment_id != backend.id {
            return Err(CredentialError::OtherBackend);
        }
        let now_ms = now_ms();
        if key.expires_at.is_some_and(|e| e <= now_ms) {
            return Err(CredentialError::Expired);
        }
        self.note_key_use(key.id, now_ms);
        Ok(key.role)
    }

    fn note_key_use(&self, id: i64, at: i64) {
        let due = {
            let mut lu = self.inner.last_used.lock();
            lu.pending.insert(id, at);
            lu.last_flush.elapsed() >= LAST_USED_FLUSH
        };
        if due {
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.flush_last_used().await {
                    tracing::warn!(error = %e, "could not write API-key usage times");
                }
            });
        }
    }

    /// Writes pending `lastUsedAt` values now.
    pub async fn flush_last_used(&self) -> Result<()> {
        let batch: Vec<(i64, i64)> = {
            let mut lu = self.inner.last_used.lock();
            lu.last_flush = Instant::now();
            lu.pending.drain().collect()
        };
        self.inner.store.touch_api_keys(&batch).await
    }
}
