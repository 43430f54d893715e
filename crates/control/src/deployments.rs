//! Deployments: create, list, update, delete, and resolving a uid/URL reference.

use base64::Engine;

use crate::error::{ControlError, Result};
use crate::model::*;
use crate::store::{DeploymentRow, is_unique_violation};
use crate::{ControlPlane, now_ms};

/// Text returned by a successful update (spec §2.4).
pub const UPDATED_TEXT: &str = "Successfully Updated the backend";
/// Text returned by a successful delete (spec §2.5).
pub const DELETED_TEXT: &str = "Successfully deleted the Deployment";

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(ControlError::Invalid(
            "the deployment name must not be empty".into(),
        ));
    }
    if n.chars().count() > 100 {
        return Err(ControlError::Invalid(
            "the deployment name must be at most 100 characters long".into(),
        ));
    }
    Ok(n.to_string())
}

fn check_lambda(script: &str) -> Result<String> {
    let s = script.trim();
    if !s.is_empty() {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| ControlError::Invalid("lambdaScript must be base64-encoded".into()))?;
    }
    Ok(s.to_string())
}

/// Extracts the host (first label = subdomain) from a URL or host reference.
fn host_of(reference: &str) -> &str {
    let r = reference.trim();
    let r = r.split_once("://").map(|(_, rest)| rest).unwrap_or(r);
    let r = r.split(['/', '?', '#']).next().unwrap_or("");
    r.rsplit_once('@').map(|(_, h)| h).unwrap_or(r)
}

impl ControlPlane {
    /// The URL (`<subdomain>.<base-domain>[:port]`) of a subdomain.
    pub fn url_for(&self, subdomain: &str) -> String {
        if self.inner.backend_port == 443 {
            format!("{subdomain}.{}", self.inner.base_domain)
        } else {
            format!(
                "{subdomain}.{}:{}",
                self.inner.base_domain, self.inner.backend_port
            )
        }
    }

    pub(crate) fn to_deployment(&self, r: &DeploymentRow) -> Result<Deployment> {
        let uid = format_uid(r.id);
        let jwt_token = self
            .inner
            .keys
            .sign_deployment(&uid, r.token_gen, r.created_at / 1000)?;
        Ok(Deployment {
            id: r.id,
            url: self.url_for(&r.subdomain),
            uid,
            name: r.name.clone(),
            zone: r.zone.clone(),
            subdomain: r.subdomain.clone(),
            owner: r.owner_id.clone(),
            jwt_token,
            deployment_mode: r.deployment_mode.clone(),
            deployment_type: r.deployment_type.clone(),
            anonymous_access: AnonymousAccess::parse(&r.anonymous_access).unwrap_or_default(),
            lambda_script: r.lambda_script.clone(),
            tenant_id: 0,
            organization_uid: r.org_id.map(format_uid),
            size: r.size.clone(),
            created_at: ms_to_time(r.created_at),
        })
    }

    /// Whether `actor` may see and manage the deployment (owner or member of its organization).
    async fn can_access(&self, actor: &Actor, r: &DeploymentRow) -> Result<bool> {
        if r.owner_id == actor.user_id {
            return Ok(true);
        }
        match r.org_id {
            Some(org) => self.inner.store.is_org_member(org, &actor.user_id).await,
            None => Ok(false),
        }
    }

    /// Resolves a deployment reference — a uid (`0x…`), or a URL / host (`https://sub.domain:port/graphql`)
    /// as some clients send — to a deployment the actor may access.
    pub(crate) async fn find_deployment(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<DeploymentRow> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ControlError::Invalid("a deployment uid is required".into()));
        }
        let not_found = || ControlError::NotFound(format!("deployment {reference} not found"));
        let row = if let Some(id) = parse_uid(reference) {
            self.inner.store.deployment_by_id(id).await?
        } else {
            let host = host_of(reference).to_ascii_lowercase();
            let host = host.split(':').next().unwrap_or("");
            let sub = host.split('.').next().unwrap_or("");
            if sub.is_empty() {
                return Err(not_found());
            }
            self.inner.store.deployment_by_subdomain(sub).await?
        };
        let row = row.ok_or_else(not_found)?;
        if !self.can_access(actor, &row).await? {
            return Err(not_found());
        }
        Ok(row)
    }

    async fn org_for(&self, actor: &Actor, org_uid: Option<&str>) -> Result<Option<i64>> {
        let Some(uid) = org_uid.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let not_found = || ControlError::NotFound(format!("organization {uid} not found"));
        let id = parse_uid(uid).ok_or_else(not_found)?;
        if self.inner.store.org_by_id(id).await?.is_none()
            || !self.inner.store.is_org_member(id, &actor.user_id).await?
        {
            return Err(not_found());
        }
        Ok(Some(id))
    }

    /// Creates a deployment. The backend answers at once (this is one metadata insert).
    pub async fn create_deployment(
        &self,
        actor: &Actor,
        input: NewDeployment,
    ) -> Result<Deployment> {
        let name = check_name(&input.name)?;
        let zone = match input
            .zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
        {
            Some(z) => {
                let z = z.to_ascii_lowercase();
                if !ZONES.contains(&z.as_str()) {
                    return Err(ControlError::Invalid(format!(
                        "unknown zone {z:?}: must be one of {}",
                        ZONES.join(", ")
                    )));
                }
                z
            }
            None => DEFAULT_ZONE.to_string(),
        };
        let enterprise = parse_flag("enterprise", input.enterprise.as_deref())?;
        let deployment_type = match input
            .deployment_type
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(t) => one_of("deploymentType", t, DEPLOYMENT_TYPES)?,
            None if enterprise => "dedicated".to_string(),
            None => "free".to_string(),
        };
        let deployment_mode = match input
            .deployment_mode
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(m) => one_of("deploymentMode", m, DEPLOYMENT_MODES)?,
            None => "graphql".to_string(),
        };
        let size = match input
            .size
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => one_of("size", s, SIZES)?,
            None => "small".to_string(),
        };
        let storage_gb = input.storage.unwrap_or(10);
        if !(1..=65_536).contains(&storage_gb) {
            return Err(ControlError::Invalid(format!(
                "invalid storage {storage_gb}: must be between 1 and 65536 (GB)"
            )));
        }
        let acl_enabled = parse_flag("aclEnabled", input.acl_enabled.as_deref())?;
        let jaeger_enabled = parse_flag("jaegerEnabled", input.jaeger_enabled.as_deref())?;
        let dgraph_ha = parse_flag("dgraphHA", input.dgraph_ha.as_deref())?;
        let anonymous_access = match input.anonymous_access.as_deref() {
            Some(a) if !a.trim().is_empty() => AnonymousAccess::parse(a)?,
            _ => AnonymousAccess::None,
        };
        let lambda_script = check_lambda(input.lambda_script.as_deref().unwrap_or(""))?;
        let requested = match input
            .subdomain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(validate_subdomain(s)?),
            None => None,
        };
        let org_id = self
            .org_for(actor, input.organization_uid.as_deref())
            .await?;

        let id = self.inner.store.next_id("deployment").await?;
        let now = now_ms();
        let mut row = DeploymentRow {
            id,
            subdomain: String::new(),
            name,
            zone,
            owner_id: actor.user_id.clone(),
            org_id,
            deployment_type,
            deployment_mode,
            anonymous_access: anonymous_access.as_str().to_string(),
            lambda_script,
            size,
            storage_gb,
            acl_enabled,
            jaeger_enabled,
            dgraph_ha,
            token_gen: 0,
            created_at: now,
            updated_at: now,
        };
        // Candidates: the requested subdomain (exactly), else the name's slug, then random ones.
        let mut candidates: Vec<String> = Vec::new();
        match &requested {
            Some(r) => candidates.push(r.clone()),
            None => {
                if let Some(slug) = slugify(&row.name) {
                    candidates.push(slug.clone());
                    for _ in 0..3 {
                        let suffix = letters(&rand::random::<[u8; 4]>());
                        candidates.push(format!("{}-{suffix}", &slug[..slug.len().min(58)]));
                    }
                }
                candidates.push(random_subdomain(false));
                for _ in 0..5 {
                    candidates.push(random_subdomain(true));
                }
            }
        }
        for candidate in candidates {
            row.subdomain = candidate;
            match self.inner.store.insert_deployment(&row).await {
                Ok(()) => {
                    self.invalidate_backend(&row.subdomain);
                    tracing::info!(uid = %format_uid(id), subdomain = %row.subdomain, "deployment created");
                    return self.to_deployment(&row);
                }
                Err(ControlError::Storage(e)) if is_unique_violation(&e) => {
                    if requested.is_some() {
                        return Err(ControlError::Conflict(format!(
                            "subdomain {:?} is already taken",
                            row.subdomain
                        )));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(ControlError::Conflict(
            "could not find a free subdomain; please request one".into(),
        ))
    }

    /// Deployments owned by the actor or shared with them through an organization.
    pub async fn list_deployments(&self, actor: &Actor) -> Result<Vec<Deployment>> {
        self.inner
            .store
            .deployments_visible_to(&actor.user_id)
            .await?
            .iter()
            .map(|r| self.to_deployment(r))
            .collect()
    }

    /// Largest page of [`ControlPlane::list_deployments_page`].
    pub const MAX_PAGE: i64 = 1000;

    /// One page of the deployments owned by the actor or shared with them: at most `first`
    /// (1 to [`Self::MAX_PAGE`]) in uid order, starting after the uid `after` (the last uid
    /// of the previous page). Without `first`, everything after `after`.
    pub async fn list_deployments_page(
        &self,
        actor: &Actor,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<Vec<Deployment>> {
        let after = match after.map(str::trim).filter(|s| !s.is_empty()) {
            None => 0,
            Some(a) => parse_uid(a).ok_or_else(|| {
                ControlError::Invalid(format!("after must be a deployment uid (0x…), not {a:?}"))
            })?,
        };
        let rows = match first {
            None if after == 0 => return self.list_deployments(actor).await,
            None => {
                let mut rows = self
                    .inner
                    .store
                    .deployments_visible_to(&actor.user_id)
                    .await?;
                rows.retain(|r| r.id > after);
                rows
            }
            Some(n) if (1..=Self::MAX_PAGE).contains(&n) => {
                self.inner
                    .store
                    .deployments_visible_to_page(&actor.user_id, after, n)
                    .await?
            }
            Some(n) => {
                return Err(ControlError::Invalid(format!(
                    "first must be between 1 and {}, not {n}",
                    Self::MAX_PAGE
                )));
            }
        };
        rows.iter().map(|r| self.to_deployment(r)).collect()
    }

    /// Whether backups of deployment `source` (a uid) may be restored into the deployment
    /// with numeric id `target`: the same deployment, one with the same owner, or one of the
    /// same organization. Returns the source's uid; any other source is "not found" (its
    /// existence is not revealed).
    pub async fn restore_source(&self, target: i64, source: &str) -> Result<String> {
        let source = source.trim();
        let not_found = || ControlError::NotFound(format!("deployment {source} not found"));
        let target = self
            .inner
            .store
            .deployment_by_id(target)
            .await?
            .ok_or_else(not_found)?;
        let src = match parse_uid(source) {
            Some(id) => self
                .inner
                .store
                .deployment_by_id(id)
                .await?
                .ok_or_else(not_found)?,
            None => return Err(not_found()),
        };
        let allowed = src.id == target.id
            || src.owner_id == target.owner_id
            || (src.org_id.is_some() && src.org_id == target.org_id);
        if !allowed {
            return Err(not_found());
        }
        Ok(format_uid(src.id))
    }

    /// One deployment by uid or URL.
    pub async fn get_deployment(&self, actor: &Actor, reference: &str) -> Result<Deployment> {
        let row = self.find_deployment(actor, reference).await?;
        self.to_deployment(&row)
    }

    /// Updates a deployment; returns the updated deployment.
    pub async fn update_deployment(
        &self,
        actor: &Actor,
        reference: &str,
        update: DeploymentUpdate,
    ) -> Result<Deployment> {
        let mut row = self.find_deployment(actor, reference).await?;
        if let Some(n) = &update.name {
            row.name = check_name(n)?;
        }
        if let Some(m) = update
            .deployment_mode
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            row.deployment_mode = one_of("deploymentMode", m, DEPLOYMENT_MODES)?;
        }
        if let Some(t) = update
            .deployment_type
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            row.deployment_type = one_of("deploymentType", t, DEPLOYMENT_TYPES)?;
        }
        if let Some(a) = update
            .anonymous_access
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            row.anonymous_access = AnonymousAccess::parse(a)?.as_str().to_string();
        }
        if let Some(script) = &update.lambda_script {
            row.lambda_script = check_lambda(script)?;
        }
        if let Some(org) = self
            .org_for(actor, update.organization_uid.as_deref())
            .await?
        {
            row.org_id = Some(org);
        }
        row.updated_at = now_ms();
        if !self.inner.store.update_deployment(&row).await? {
            return Err(ControlError::NotFound(format!(
                "deployment {} not found",
                format_uid(row.id)
            )));
        }
        self.invalidate_backend(&row.subdomain);
        self.to_deployment(&row)
    }

    /// Issues a new `jwtToken` for a deployment; the previous one stops working.
    pub async fn regenerate_deployment_token(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<Deployment> {
        let mut row = self.find_deployment(actor, reference).await?;
        row.token_gen += 1;
        row.updated_at = now_ms();
        self.inner.store.update_deployment(&row).await?;
        self.invalidate_backend(&row.subdomain);
        self.to_deployment(&row)
    }

    /// Deletes a deployment and its API keys. Returns the numeric id so the caller can drop
    /// the backend's graph data.
    pub async fn delete_deployment(&self, actor: &Actor, reference: &str) -> Result<i64> {
        let row = self.find_deployment(actor, reference).await?;
        if !self.inner.store.delete_deployment(row.id).await? {
            return Err(ControlError::NotFound(format!(
                "deployment {} not found",
                format_uid(row.id)
            )));
        }
        self.invalidate_backend(&row.subdomain);
        self.inner.api_keys.lock().clear();
        tracing::info!(uid = %format_uid(row.id), "deployment deleted");
        Ok(row.id)
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn hosts() {
        assert_eq!(host_of("https://a.b.c:8080/graphql"), "a.b.c:8080");
        assert_eq!(host_of("a.b.c"), "a.b.c");
        assert_eq!(host_of("http://u:p@a.b/x?y"), "a.b");
    }
}
