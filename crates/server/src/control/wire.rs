//! JSON shapes shared by the control-plane GraphQL API and the REST paths: input structs with
//! every attested spelling (spec §2.3/§2.4/§3.6/§3.8/§7) and the output objects.

use graphcloud_control::{
    ApiKeyInfo, ControlError, CreatedApiKey, Deployment, DeploymentUpdate, NewDeployment,
    Organization,
};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A boolean as a JSON boolean, a string (`"true"`), or a number (`1`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FlagIn {
    Bool(bool),
    Str(String),
    Num(i64),
}

impl FlagIn {
    fn into_string(self) -> String {
        match self {
            FlagIn::Bool(b) => b.to_string(),
            FlagIn::Str(s) => s,
            FlagIn::Num(n) => (n != 0).to_string(),
        }
    }
}

/// `NewDeployment` (GraphQL) and the body of `POST /deployments/create` (REST).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDeploymentIn {
    #[serde(default)]
    pub name: Option<String>,
    pub zone: Option<String>,
    pub deployment_type: Option<String>,
    pub subdomain: Option<String>,
    pub deployment_mode: Option<String>,
    #[serde(rename = "organizationUID")]
    pub organization_uid: Option<String>,
    pub organization_id: Option<String>,
    pub enterprise: Option<FlagIn>,
    pub size: Option<String>,
    pub storage: Option<i64>,
    pub acl_enabled: Option<FlagIn>,
    pub jaeger_enabled: Option<FlagIn>,
    #[serde(rename = "dgraphHA")]
    pub dgraph_ha: Option<FlagIn>,
    pub bulk_load_schema_file_path: Option<String>,
    #[serde(rename = "bulkLoadGQLSchemaFilePath")]
    pub bulk_load_gql_schema_file_path: Option<String>,
    pub bulk_load_data_file_path: Option<String>,
    pub anonymous_access: Option<String>,
    pub lambda_script: Option<String>,
}

impl NewDeploymentIn {
    pub fn into_model(self) -> Result<NewDeployment, ControlError> {
        let name = self
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ControlError::Invalid("the deployment name is required".into()))?;
        for (field, v) in [
            ("bulkLoadSchemaFilePath", &self.bulk_load_schema_file_path),
            (
                "bulkLoadGQLSchemaFilePath",
                &self.bulk_load_gql_schema_file_path,
            ),
            ("bulkLoadDataFilePath", &self.bulk_load_data_file_path),
        ] {
            if v.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                return Err(ControlError::Invalid(format!(
                    "{field} is not supported: load data through the backend's API instead"
                )));
            }
        }
        Ok(NewDeployment {
            name,
            zone: self.zone,
            deployment_type: self.deployment_type,
            subdomain: self.subdomain,
            deployment_mode: self.deployment_mode,
            organization_uid: self.organization_uid.or(self.organization_id),
            enterprise: self.enterprise.map(FlagIn::into_string),
            size: self.size,
            storage: self.storage,
            acl_enabled: self.acl_enabled.map(FlagIn::into_string),
            jaeger_enabled: self.jaeger_enabled.map(FlagIn::into_string),
            dgraph_ha: self.dgraph_ha.map(FlagIn::into_string),
            anonymous_access: self.anonymous_access,
            lambda_script: self.lambda_script,
        })
    }
}

/// `UpdateDeploymentInput` (GraphQL, with `uid`) and the body of `PATCH /deployment/{uid}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateDeploymentIn {
    pub uid: Option<String>,
    pub name: Option<String>,
    pub deployment_mode: Option<String>,
    pub deployment_type: Option<String>,
    #[serde(rename = "organizationUID")]
    pub organization_uid: Option<String>,
    pub organization_id: Option<String>,
    pub lambda_script: Option<String>,
    pub anonymous_access: Option<String>,
    /// `{fullEveryHours, incrementalEveryHours, retention}`; all zero removes the schedule.
    pub backup_schedule: Option<BackupScheduleIn>,
}

/// `BackupScheduleInput`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupScheduleIn {
    pub full_every_hours: i64,
    pub incremental_every_hours: Option<i64>,
    pub retention: Option<i64>,
}

impl BackupScheduleIn {
    pub fn into_model(self) -> graphcloud_control::schedules::BackupSchedule {
        graphcloud_control::schedules::BackupSchedule {
            full_every_hours: self.full_every_hours,
            incremental_every_hours: self.incremental_every_hours.unwrap_or(0),
            retention: self.retention.unwrap_or(0),
        }
    }
}

/// JSON of a schedule (`deployments { backupSchedule { … } }`).
pub fn schedule_json(s: &graphcloud_control::schedules::BackupSchedule) -> Value {
    serde_json::json!({
        "fullEveryHours": s.full_every_hours,
        "incrementalEveryHours": s.incremental_every_hours,
        "retention": s.retention,
    })
}

impl UpdateDeploymentIn {
    pub fn into_model(self) -> DeploymentUpdate {
        DeploymentUpdate {
            name: self.name,
            deployment_mode: self.deployment_mode,
            deployment_type: self.deployment_type,
            organization_uid: self.organization_uid.or(self.organization_id),
            lambda_script: self.lambda_script,
            anonymous_access: self.anonymous_access,
        }
    }
}

/// RFC 3339 text of a time.
pub fn rfc3339(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

fn opt_time(t: Option<OffsetDateTime>) -> Value {
    t.map(rfc3339).unwrap_or(Value::Null)
}

/// Parses an optional RFC 3339 `expiresAt`.
pub fn parse_expiry(v: Option<&Value>) -> Result<Option<OffsetDateTime>, ControlError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => OffsetDateTime::parse(s.trim(), &Rfc3339).map(Some).map_err(|_| {
            ControlError::Invalid(format!(
                "invalid expiresAt {s:?}: use an RFC 3339 date-time such as 2030-01-31T12:00:00Z"
            ))
        }),
        Some(_) => Err(ControlError::Invalid(
            "expiresAt must be an RFC 3339 date-time string".into(),
        )),
    }
}

/// The Deployment object (spec §5.1).
pub fn deployment_json(d: &Deployment) -> Value {
    json!({
        "uid": d.uid,
        "name": d.name,
        "zone": d.zone,
        "url": d.url,
        "subdomain": d.subdomain,
        "owner": d.owner,
        "jwtToken": d.jwt_token,
        "deploymentMode": d.deployment_mode,
        "deploymentType": d.deployment_type,
        "lambdaScript": d.lambda_script,
        "tenantID": d.tenant_id,
        "anonymousAccess": d.anonymous_access.as_str(),
        "organizationUID": d.organization_uid,
        "size": d.size,
        "createdAt": rfc3339(d.created_at),
    })
}

/// The Organization object (spec §2.8).
pub fn organization_json(o: &Organization) -> Value {
    let user = |m: &graphcloud_control::Member| json!({ "id": m.user_id, "name": m.name, "email": m.email });
    json!({
        "uid": o.uid,
        "name": o.name,
        "createdBy": { "auth0User": user(&o.created_by) },
        "members": o.members.iter().map(|m| json!({ "uid": m.user_id, "auth0User": user(m) })).collect::<Vec<_>>(),
    })
}

/// An API key as listed.
pub fn api_key_json(k: &ApiKeyInfo) -> Value {
    json!({
        "uid": k.uid,
        "name": k.name,
        "role": k.role.as_str(),
        "prefix": k.prefix,
        "createdAt": rfc3339(k.created_at),
        "expiresAt": opt_time(k.expires_at),
        "lastUsedAt": opt_time(k.last_used_at),
    })
}

/// An API key right after creation (with the secret).
pub fn created_api_key_json(k: &CreatedApiKey) -> Value {
    json!({
        "uid": k.uid,
        "name": k.name,
        "role": k.role.as_str(),
        "key": k.key,
        "createdAt": rfc3339(k.created_at),
        "expiresAt": opt_time(k.expires_at),
    })
}
