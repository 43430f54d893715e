//! API keys of a deployment: created with a role and optional expiry, stored as SHA-256
//! digests, listed without the secret, deleted (revoked).

use time::OffsetDateTime;

use crate::error::{ControlError, Result};
use crate::model::*;
use crate::secrets;
use crate::store::ApiKeyRow;
use crate::{ControlPlane, now_ms};

/// Every key starts with this, so a credential can be told apart from a JWT.
pub const KEY_PREFIX: &str = "gck_";
/// Characters of the key shown in listings (`gck_` + 8).
const SHOWN: usize = 12;

fn to_info(r: &ApiKeyRow) -> ApiKeyInfo {
    ApiKeyInfo {
        uid: format_uid(r.id),
        name: r.name.clone(),
        role: Role::parse(&r.role).unwrap_or(Role::Client),
        prefix: r.prefix.clone(),
        created_at: ms_to_time(r.created_at),
        expires_at: r.expires_at.map(ms_to_time),
        last_used_at: r.last_used_at.map(ms_to_time),
    }
}

impl ControlPlane {
    /// Creates an API key for a deployment. The returned `key` is shown only here.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        deployment: &str,
        name: &str,
        role: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedApiKey> {
        let dep = self.find_deployment(actor, deployment).await?;
        let name = name.trim();
        if name.is_empty() {
            return Err(ControlError::Invalid(
                "the API key name must not be empty".into(),
            ));
        }
        if name.chars().count() > 100 {
            return Err(ControlError::Invalid(
                "the API key name must be at most 100 characters long".into(),
            ));
        }
        let role = Role::parse(role)?;
        let now = now_ms();
        let expires_ms = expires_at.map(time_to_ms);
        if let Some(e) = expires_ms
            && e <= now
        {
            return Err(ControlError::Invalid(
                "expiresAt must be in the future".into(),
            ));
        }
        let key = format!("{KEY_PREFIX}{}", hex::encode(secrets::random_bytes::<24>()));
        let id = self.inner.store.next_id("apikey").await?;
        let row = ApiKeyRow {
            id,
            deployment_id: dep.id,
            name: name.to_string(),
            role: role.as_str().to_string(),
            prefix: key[..SHOWN].to_string(),
            digest: secrets::digest(&key),
            created_by: actor.user_id.clone(),
            created_at: now,
            expires_at: expires_ms,
            last_used_at: None,
        };
        self.inner.store.insert_api_key(&row).await?;
        // A negative cache entry for this digest is impossible to hit in practice, but keep
        // the invariant "a change is visible locally at once".
        self.inner.api_keys.lock().remove(&row.digest);
        Ok(CreatedApiKey {
            uid: format_uid(id),
            name: row.name,
            role,
            key,
            created_at: ms_to_time(now),
            expires_at: expires_ms.map(ms_to_time),
        })
    }

    /// Lists a deployment's API keys (never the secrets).
    pub async fn list_api_keys(&self, actor: &Actor, deployment: &str) -> Result<Vec<ApiKeyInfo>> {
        let dep = self.find_deployment(actor, deployment).await?;
        if let Err(e) = self.flush_last_used().await {
            tracing::warn!(error = %e, "could not write API-key usage times");
        }
        Ok(self
            .inner
            .store
            .api_keys_of(dep.id)
            .await?
            .iter()
            .map(to_info)
            .collect())
    }

    /// Deletes (revokes) an API key; it stops working at once on this server.
    pub async fn delete_api_key(
        &self,
        actor: &Actor,
        deployment: &str,
        key_uid: &str,
    ) -> Result<()> {
        let dep = self.find_deployment(actor, deployment).await?;
        let not_found = || ControlError::NotFound(format!("API key {} not found", key_uid.trim()));
        let id = parse_uid(key_uid).ok_or_else(not_found)?;
        if !self.inner.store.delete_api_key(dep.id, id).await? {
            return Err(not_found());
        }
        self.inner
            .api_keys
            .lock()
            .retain(|_, (_, k)| k.as_ref().is_none_or(|k| k.id != id));
        Ok(())
    }
}
