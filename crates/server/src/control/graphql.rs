//! The control-plane GraphQL API (spec §2 plus API keys and device approval): a static SDL
//! validated with apollo-compiler, whose executor projects our resolved values onto each
//! request's selection set (aliases, fragments, `__typename`, variables, `@skip`/`@include`)
//! and answers introspection. Every response is `{"data": {…}, "errors": […]}` with `data`
//! an object: a failing field is `null` with its error in `errors`.

use apollo_compiler::collections::HashMap;
use apollo_compiler::resolvers::{
    AsyncObjectValue, AsyncResolvedValue, Execution, FieldError, ResolveInfo,
};
use apollo_compiler::response::serde_json_bytes;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use futures::future::BoxFuture;
use graphcloud_control::deployments::{DELETED_TEXT, UPDATED_TEXT};
use graphcloud_control::{Actor, ControlError, ControlPlane};
use serde_json::{Map, Value, json};

use super::wire::*;
use crate::backend::{BackendState, GraphQLRequest};

/// The SDL of the control-plane API.
pub const CONTROL_SDL: &str = include_str!("schema.graphql");

/// The compiled control-plane schema.
pub struct ControlApi {
    schema: Valid<Schema>,
    implementers: HashMap<Name, Implementers>,
}

impl Default for ControlApi {
    fn default() -> Self {
        Self::new()
    }
}

impl ControlApi {
    /// Compiles the static SDL.
    pub fn new() -> Self {
        let schema = Schema::parse_and_validate(CONTROL_SDL, "control.graphql")
            .unwrap_or_else(|e| panic!("the built-in control-plane SDL is invalid: {}", e.errors));
        let implementers = schema.implementers_map();
        ControlApi {
            schema,
            implementers,
        }
    }

    /// Executes one request. `authorization` is the raw `Authorization` header (if any),
    /// `client` the caller's address (for login throttling).
    pub async fn execute(
        &self,
        cp: &ControlPlane,
        backends: &BackendState,
        authorization: Option<&str>,
        client: Option<&str>,
        req: GraphQLRequest,
    ) -> Value {
        let (doc, operation) =
            match bounded_operation(&self.schema, &req.query, req.operation_name.as_deref()) {
                Ok(d) => d,
                Err(body) => return body,
            };
        let operation = &operation;
        let vars: apollo_compiler::response::JsonMap = req
            .variables
            .into_iter()
            .map(|(k, v)| (k.into(), serde_json_bytes::Value::from(v)))
            .collect();
        let root = Root {
            type_name: if operation.operation_type.is_mutation() {
                "Mutation"
            } else {
                "Query"
            },
            cp,
            backends,
            authorization,
            client,
            actor: tokio::sync::OnceCell::new(),
        };
        let exec = Execution::new(&self.schema, &doc)
            .implementers_map(&self.implementers)
            .operation(operation)
            .raw_variable_values(&vars)
            .enable_schema_introspection(true);
        match exec.execute_async(&root).await {
            Ok(resp) => response_body(resp),
            Err(e) => request_error_body(&doc, e),
        }
    }
}

/// Parses and validates a request against `schema` within the backends' document bounds
/// (fields after fragment expansion, depth, introspection lists and their nesting) and picks
/// its operation; otherwise the error body to answer with (`data: {}`).
pub(crate) fn bounded_operation(
    schema: &Valid<Schema>,
    query: &str,
    operation_name: Option<&str>,
) -> Result<
    (
        Valid<apollo_compiler::ExecutableDocument>,
        apollo_compiler::Node<apollo_compiler::executable::Operation>,
    ),
    Value,
> {
    let limits = graphcloud_engine::Limits::default();
    let doc = apollo_compiler::parser::Parser::new()
        .recursion_limit(limits.max_parse_nesting)
        .token_limit(limits.max_query_tokens)
        .parse_executable(schema, query, "request.graphql")
        .and_then(|d| d.validate(schema))
        .map_err(|with_errors| {
            let errors: Vec<Value> = with_errors
                .errors
                .iter()
                .map(|d| serde_json::to_value(d.to_json()).unwrap_or(Value::Null))
                .collect();
            json!({ "data": {}, "errors": errors })
        })?;
    let operation = match doc.operations.get(operation_name) {
        Ok(op) => op.clone(),
        Err(e) => return Err(request_error_body(&doc, e)),
    };
    if let Err(m) = graphcloud_engine::limits::check_operation(&doc, &operation, &limits) {
        return Err(json!({ "data": {}, "errors": [{ "message": m }] }));
    }
    Ok((doc, operation))
}

/// The error body of a request-level error (`data: {}`, one error with its location).
pub(crate) fn request_error_body(
    doc: &Valid<apollo_compiler::ExecutableDocument>,
    e: apollo_compiler::request::RequestError,
) -> Value {
    let err = serde_json::to_value(e.to_graphql_error(&doc.sources)).unwrap_or(Value::Null);
    json!({ "data": {}, "errors": [err] })
}

/// The JSON body of an executed operation: `data` (`{}` when absent) and `errors` when there
/// are any. Field errors carry our message verbatim (clients print it as is).
pub(crate) fn response_body(mut resp: apollo_compiler::response::ExecutionResponse) -> Value {
    for e in &mut resp.errors {
        if let Some(rest) = e.message.strip_prefix("resolver error: ") {
            e.message = rest.to_string();
        }
    }
    let data = resp
        .data
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
        .unwrap_or_else(|| json!({}));
    let mut body = json!({ "data": data });
    if !resp.errors.is_empty() {
        body["errors"] = serde_json::to_value(resp.errors).unwrap_or(Value::Null);
    }
    body
}

struct Root<'r> {
    type_name: &'static str,
    cp: &'r ControlPlane,
    backends: &'r BackendState,
    authorization: Option<&'r str>,
    client: Option<&'r str>,
    actor: tokio::sync::OnceCell<Result<Actor, String>>,
}

fn field_error(e: ControlError) -> String {
    if matches!(e, ControlError::Storage(_) | ControlError::Internal(_)) {
        tracing::error!(error = %e, "control-plane operation failed");
    }
    e.public_message()
}

fn arg_str(args: &Map<String, Value>, name: &str) -> String {
    args.get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn input<T: serde::de::DeserializeOwned>(args: &Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(args.get("input").cloned().unwrap_or(Value::Null))
        .map_err(|e| format!("invalid input: {e}"))
}

fn backup_error(uid: &str, e: graphcloud_backup::BackupError) -> String {
    tracing::warn!(deployment = uid, error = %e, "backup operation failed");
    e.to_string()
}

impl Root<'_> {
    /// `createDeployment(input: {…, cloneFrom})`: the caller must be able to see the source
    /// deployment; the new deployment is created, then the backup is restored into it. If
    /// the restore fails the new deployment is deleted again and the error returned.
    async fn clone_deployment(
        &self,
        actor: &Actor,
        new: graphcloud_control::NewDeployment,
        from: Value,
    ) -> Result<Value, String> {
        let from = from
            .as_object()
            .ok_or("invalid input: cloneFrom must be an object")?;
        let source = self
            .cp
            .get_deployment(
                actor,
                from.get("deploymentID")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            )
            .await
            .map_err(field_error)?;
        let target = graphcloud_backup::RestoreTarget {
            folder: from
                .get("backupFolder")
                .and_then(Value::as_str)
                .map(str::to_string),
            num: from
                .get("backupNum")
                .and_then(Value::as_i64)
                .and_then(|n| u32::try_from(n).ok()),
        };
        let created = self
            .cp
            .create_deployment(actor, new)
            .await
            .map_err(field_error)?;
        if let Err(e) = self
            .backends
            .restore_now(&source.uid, &target, created.id)
            .await
        {
            match self.cp.delete_deployment(actor, &created.uid).await {
                Ok(id) => self.backends.deployment_deleted(id).await,
                Err(de) => {
                    tracing::error!(uid = %created.uid, error = %de, "removing a failed clone failed")
                }
            }
            return Err(format!("cannot clone deployment {}: {e}", source.uid));
        }
        Ok(deployment_json(&created))
    }

    async fn actor(&self) -> Result<Actor, String> {
        self.actor
            .get_or_init(|| async {
                match self.authorization {
                    None => Err(
                        "unauthenticated: log in first (Authorization: Bearer <token>)".to_string(),
                    ),
                    Some(h) => self.cp.authenticate_session(h).await.map_err(field_error),
                }
            })
            .await
            .clone()
    }

    async fn resolve(&self, field: &str, args: Map<String, Value>) -> Result<Value, String> {
        let cp = self.cp;
        if field == "login" {
            let token = cp
                .login(
                    &arg_str(&args, "email"),
                    &arg_str(&args, "password"),
                    self.client,
                )
                .await
                .map_err(field_error)?;
            return Ok(json!({ "token": token }));
        }
        let actor = self.actor().await?;
        let a = &actor;
        let v = match field {
            "deployments" => {
                let first = match args.get("first") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_i64()
                            .ok_or_else(|| "first must be an Int".to_string())?,
                    ),
                };
                let after = args.get("after").and_then(Value::as_str);
                let mut list = cp
                    .list_deployments_page(a, first, after)
                    .await
                    .map_err(field_error)?;
                super::lambda::fill_scripts(self.backends, &mut list)
                    .await
                    .map_err(field_error)?;
                let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
                let schedules = cp.backup_schedules_of(&ids).await.map_err(field_error)?;
                Value::Array(
                    list.iter()
                        .map(|d| {
                            let mut v = deployment_json(d);
                            v["backupSchedule"] = schedules
                                .get(&d.id)
                                .map_or(Value::Null, super::wire::schedule_json);
                            v
                        })
                        .collect(),
                )
            }
            "getLambdaLogs" => {
                let inp: Map<String, Value> = input(&args)?;
                let lines = super::lambda::logs(
                    cp,
                    self.backends,
                    a,
                    &arg_str(&inp, "deploymentID"),
                    inp.get("start").and_then(Value::as_str),
                    inp.get("end").and_then(Value::as_str),
                )
                .await
                .map_err(field_error)?;
                json!(lines)
            }
            "updateLambda" => {
                let inp: Map<String, Value> = input(&args)?;
                super::lambda::update_lambda(
                    cp,
                    self.backends,
                    a,
                    &arg_str(&inp, "deploymentID"),
                    &arg_str(&inp, "lambdaScript"),
                )
                .await
                .map_err(field_error)?;
                json!(super::lambda::LAMBDA_UPDATED_TEXT)
            }
            "organizations" => Value::Array(
                cp.list_organizations(a)
                    .await
                    .map_err(field_error)?
                    .iter()
                    .map(organization_json)
                    .collect(),
            ),
            "getOrganizationByID" => organization_json(
                &cp.get_organization(a, &arg_str(&args, "orgID"))
                    .await
                    .map_err(field_error)?,
            ),
            "getDeploymentAPIKeys" => Value::Array(
                cp.list_api_keys(a, &arg_str(&args, "deploymentID"))
                    .await
                    .map_err(field_error)?
                    .iter()
                    .map(api_key_json)
                    .collect(),
            ),
            "createDeployment" => {
                let mut args = args;
                let clone_from = args
                    .get_mut("input")
                    .and_then(Value::as_object_mut)
                    .and_then(|i| i.remove("cloneFrom"))
                    .filter(|c| !c.is_null());
                let inp: NewDeploymentIn = input(&args)?;
                let new = inp.into_model().map_err(field_error)?;
                match clone_from {
                    None => deployment_json(
                        &super::lambda::create(cp, self.backends, a, new)
                            .await
                            .map_err(field_error)?,
                    ),
                    Some(from) => self.clone_deployment(a, new, from).await?,
                }
            }
            "createBackup" => {
                let d = cp
                    .get_deployment(a, &arg_str(&args, "deploymentID"))
                    .await
                    .map_err(field_error)?;
                let full = args.get("full").and_then(Value::as_bool).unwrap_or(false);
                let b = self
                    .backends
                    .create_backup(d.id, &d.uid, full)
                    .await
                    .map_err(|e| backup_error(&d.uid, e))?;
                crate::backend::slash::backup_json(&b)
            }
            "listBackups" => {
                let d = cp
                    .get_deployment(a, &arg_str(&args, "deploymentID"))
                    .await
                    .map_err(field_error)?;
                let series = self
                    .backends
                    .list_backups(&d.uid)
                    .await
                    .map_err(|e| backup_error(&d.uid, e))?;
                Value::Array(
                    series
                        .iter()
                        .map(|s| s.iter().map(crate::backend::slash::backup_json).collect())
                        .collect(),
                )
            }
            "updateDeployment" => {
                let inp: UpdateDeploymentIn = input(&args)?;
                let uid = inp.uid.clone().unwrap_or_default();
                super::lambda::update(cp, self.backends, a, &uid, inp)
                    .await
                    .map_err(field_error)?;
                json!(UPDATED_TEXT)
            }
            "deleteDeployment" => {
                let id = cp
                    .delete_deployment(a, &arg_str(&args, "deploymentID"))
                    .await
                    .map_err(field_error)?;
                self.backends.deployment_deleted(id).await;
                json!(DELETED_TEXT)
            }
            "createOrganization" => {
                let inp: Map<String, Value> = input(&args)?;
                organization_json(
                    &cp.create_organization(a, &arg_str(&inp, "name"))
                        .await
                        .map_err(field_error)?,
                )
            }
            "addOrganizationMember" => {
                let inp: Map<String, Value> = input(&args)?;
                organization_json(
                    &cp.add_organization_member(
                        a,
                        &arg_str(&inp, "organizationUID"),
                        &arg_str(&inp, "email"),
                    )
                    .await
                    .map_err(field_error)?,
                )
            }
            "deleteOrganizationMember" => {
                let inp: Map<String, Value> = input(&args)?;
                organization_json(
                    &cp.remove_organization_member(
                        a,
                        &arg_str(&inp, "organizationUID"),
                        &arg_str(&inp, "memberEmail"),
                    )
                    .await
                    .map_err(field_error)?,
                )
            }
            "createDeploymentAPIKey" => {
                let expires = parse_expiry(args.get("expiresAt")).map_err(field_error)?;
                let key = cp
                    .create_api_key(
                        a,
                        &arg_str(&args, "deploymentID"),
                        &arg_str(&args, "name"),
                        &arg_str(&args, "role"),
                        expires,
                    )
                    .await
                    .map_err(field_error)?;
                created_api_key_json(&key)
            }
            "deleteDeploymentAPIKey" => {
                cp.delete_api_key(a, &arg_str(&args, "deploymentID"), &arg_str(&args, "keyID"))
                    .await
                    .map_err(field_error)?;
                json!("Successfully deleted the API key")
            }
            "regenerateDeploymentToken" => deployment_json(
                &cp.regenerate_deployment_token(a, &arg_str(&args, "deploymentID"))
                    .await
                    .map_err(field_error)?,
            ),
            "approveDeviceLogin" => {
                cp.approve_device_login(a, &arg_str(&args, "userCode"))
                    .await
                    .map_err(field_error)?;
                json!("Device login approved")
            }
            other => return Err(format!("unknown field {other}")),
        };
        Ok(v)
    }
}

impl AsyncObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> BoxFuture<'a, Result<AsyncResolvedValue<'a>, FieldError>> {
        Box::pin(async move {
            let args = match serde_json::to_value(info.arguments()) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            match self.resolve(info.field_name(), args).await {
                Ok(v) => Ok(resolved(v, info)),
                Err(message) => Err(FieldError { message }),
            }
        })
    }
}

/// A resolved JSON object of a known GraphQL object type; its fields are projected by key.
struct JsonObject {
    type_name: String,
    fields: Map<String, Value>,
}

impl AsyncObjectValue for JsonObject {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> BoxFuture<'a, Result<AsyncResolvedValue<'a>, FieldError>> {
        Box::pin(async move {
            let v = self
                .fields
                .get(info.field_name())
                .cloned()
                .unwrap_or(Value::Null);
            Ok(resolved(v, info))
        })
    }
}

pub(crate) fn resolved<'a>(v: Value, info: &ResolveInfo<'_>) -> AsyncResolvedValue<'a> {
    let ty = info.field_definition().ty.inner_named_type().to_string();
    let is_object = info.schema().get_object(ty.as_str()).is_some();
    to_resolved(v, &ty, is_object)
}

fn to_resolved<'a>(v: Value, ty: &str, is_object: bool) -> AsyncResolvedValue<'a> {
    match v {
        Value::Null => AsyncResolvedValue::null(),
        Value::Array(items) => {
            let ty = ty.to_string();
            let items: Vec<Result<AsyncResolvedValue<'a>, FieldError>> = items
                .into_iter()
                .map(|i| Ok(to_resolved(i, &ty, is_object)))
                .collect();
            AsyncResolvedValue::List(Box::pin(futures::stream::iter(items)))
        }
        Value::Object(fields) if is_object => AsyncResolvedValue::object(JsonObject {
            type_name: ty.to_string(),
            fields,
        }),
        other => AsyncResolvedValue::leaf(serde_json_bytes::Value::from(other)),
    }
}
