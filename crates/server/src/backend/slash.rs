//! `/admin/slash`: the cloud admin API of one backend (spec §4.4) — `listBackups`,
//! `restore`/`restoreStatus`, `dropData`, `export`/`exportStatus`, `freeze`. The front door has already checked that the caller
//! holds an admin credential of the deployment.
//!
//! Shapes follow the spec's traps exactly: `restore.errors` is `null` on success,
//! `restoreStatus.response.errors` is always a list, and `restoreId` arrives as a numeric
//! string from CLI 1.16.7 (numeric strings are accepted for every `Int` variable).

use apollo_compiler::collections::HashMap;
use apollo_compiler::resolvers::{
    AsyncObjectValue, AsyncResolvedValue, Execution, FieldError, ResolveInfo,
};
use apollo_compiler::response::serde_json_bytes;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use futures::future::BoxFuture;
use graphcloud_backup::{BackupInfo, RestoreState, RestoreTarget};
use graphcloud_engine::DropData;
use graphcloud_engine::export::ExportFormat;

use super::export::ExportState;
use serde_json::{Map, Value, json};

use super::{BackendContext, BackendState, GraphQLRequest, backend_id};
use crate::control::graphql::resolved;

/// The SDL of `/admin/slash`.
pub const SLASH_SDL: &str = r#"
type Query {
  listBackups: ListBackupsPayload
  restoreStatus(restoreId: Int!): RestoreStatusPayload
  exportStatus(exportId: String!, taskId: String!): ExportStatus
}

type Mutation {
  restore(uid: String!, backupFolder: String, backupNum: Int): RestorePayload
  dropData(allData: Boolean, allDataAndSchema: Boolean, types: [String!], fields: [String!]): DropDataPayload
  export(format: String, namespace: Int): ExportPayload
  freeze(deepFreeze: Boolean, backup: Boolean): String
}

type SlashError { message: String }
type Backup { type: String, backupNum: Int, folder: String, timestamp: String, path: String }
type ListBackupsPayload { response: [[Backup]], errors: [SlashError] }
type RestoreResponse { code: String, message: String, restoreId: Int }
type RestorePayload { response: RestoreResponse, errors: [SlashError] }
type RestoreStatus { status: String, errors: [String] }
type RestoreStatusPayload { response: RestoreStatus }
type Response { code: String, message: String }
type DropDataPayload { response: Response }
type ExportPayload { response: Response, signedUrls: [String], exportId: String, taskId: String }
type ExportStatus { kind: String, lastUpdated: String, signedUrls: [String], status: String }
"#;

/// The compiled `/admin/slash` schema.
pub struct SlashApi {
    schema: Valid<Schema>,
    implementers: HashMap<Name, Implementers>,
}

impl SlashApi {
    pub fn new() -> SlashApi {
        let schema = Schema::parse_and_validate(SLASH_SDL, "slash.graphql")
            .unwrap_or_else(|e| panic!("the built-in /admin/slash SDL is invalid: {}", e.errors));
        let implementers = schema.implementers_map();
        SlashApi {
            schema,
            implementers,
        }
    }
}

impl Default for SlashApi {
    fn default() -> Self {
        Self::new()
    }
}

/// JSON of one backup as `listBackups` and `createBackup` show it.
pub fn backup_json(b: &BackupInfo) -> Value {
    json!({
        "type": b.kind,
        "backupNum": b.backup_num,
        "folder": b.folder,
        "timestamp": b.timestamp,
        "path": b.path,
    })
}

/// Executes one `/admin/slash` request; the body always has an object `data`.
pub async fn execute(state: &BackendState, ctx: &BackendContext, req: GraphQLRequest) -> Value {
    let api = &state.slash;
    let (doc, operation) = match crate::control::graphql::bounded_operation(
        &api.schema,
        &req.query,
        req.operation_name.as_deref(),
    ) {
        Ok(d) => d,
        Err(body) => return body,
    };
    let operation = &operation;
    let mut variables = req.variables;
    // CLI 1.16.7 sends `restoreId` as a string: accept numeric strings for Int variables.
    for def in &operation.variables {
        if def.ty.inner_named_type().as_str() == "Int"
            && let Some(Value::String(s)) = variables.get(def.name.as_str())
            && let Ok(n) = s.trim().parse::<i32>()
        {
            variables.insert(def.name.to_string(), json!(n));
        }
    }
    let vars: apollo_compiler::response::JsonMap = variables
        .into_iter()
        .map(|(k, v)| (k.into(), serde_json_bytes::Value::from(v)))
        .collect();
    let root = Root {
        type_name: if operation.operation_type.is_mutation() {
            "Mutation"
        } else {
            "Query"
        },
        state,
        ctx,
    };
    let exec = Execution::new(&api.schema, &doc)
        .implementers_map(&api.implementers)
        .operation(operation)
        .raw_variable_values(&vars)
        .enable_schema_introspection(true);
    match exec.execute_async(&root).await {
        Ok(resp) => crate::control::graphql::response_body(resp),
        Err(e) => crate::control::graphql::request_error_body(&doc, e),
    }
}

struct Root<'r> {
    type_name: &'static str,
    state: &'r BackendState,
    ctx: &'r BackendContext,
}

fn string_list(args: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    args.get(name).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

impl Root<'_> {
    async fn resolve(&self, field: &str, args: Map<String, Value>) -> Result<Value, String> {
        let st = self.state;
        let d = &self.ctx.deployment;
        match field {
            "listBackups" => Ok(match st.backups.list(&d.uid).await {
                Ok(series) => json!({
                    "response": series
                        .iter()
                        .map(|s| s.iter().map(backup_json).collect::<Vec<_>>())
                        .collect::<Vec<_>>(),
                    "errors": [],
                }),
                Err(e) => {
                    tracing::error!(deployment = %d.uid, error = %e, "listing backups failed");
                    json!({ "response": [], "errors": [{ "message": e.to_string() }] })
                }
            }),
            "restore" => {
                // Held by the restore until it ends: a deep freeze waits for it.
                let active = st.enter(d.id, &d.uid).await?;
                let source = args.get("uid").and_then(Value::as_str).unwrap_or("");
                let source = st
                    .control
                    .restore_source(d.id, source)
                    .await
                    .map_err(|e| e.public_message())?;
                let target = RestoreTarget {
                    folder: args
                        .get("backupFolder")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    num: args
                        .get("backupNum")
                        .and_then(Value::as_i64)
                        .and_then(|n| u32::try_from(n).ok()),
                };
                let id = st.start_restore(source, target, d.id, active);
                Ok(json!({
                    "response": {
                        "code": "Success",
                        "message": "Restore operation started.",
                        "restoreId": id,
                    },
                    "errors": null,
                }))
            }
            "restoreStatus" => {
                let id = args
                    .get("restoreId")
                    .and_then(Value::as_i64)
                    .and_then(|n| i32::try_from(n).ok())
                    .unwrap_or(0);
                match st.restores.get(id, d.id) {
                    Some(state) => {
                        let errors = match &state {
                            RestoreState::Err(m) => vec![m.clone()],
                            _ => Vec::new(),
                        };
                        Ok(json!({ "response": { "status": state.status(), "errors": errors } }))
                    }
                    None => Err(format!("no restore with id {id} on this backend")),
                }
            }
            "dropData" => {
                let flag = |n: &str| args.get(n).and_then(Value::as_bool).unwrap_or(false);
                let mut ops = Vec::new();
                if flag("allDataAndSchema") {
                    ops.push(DropData::AllDataAndSchema);
                } else if flag("allData") {
                    ops.push(DropData::AllData);
                }
                if let Some(t) = string_list(&args, "types").filter(|t| !t.is_empty()) {
                    ops.push(DropData::Types(t));
                }
                if let Some(f) = string_list(&args, "fields").filter(|f| !f.is_empty()) {
                    ops.push(DropData::Fields(f));
                }
                let empty_list = |n: &str| args.get(n).is_some_and(Value::is_array);
                if ops.is_empty() && (empty_list("types") || empty_list("fields")) {
                    // `drop -u` sends both lists, one of them often empty: nothing to do.
                    return Ok(json!({ "response": { "code": "Success", "message": "Done" } }));
                }
                if ops.is_empty() {
                    return Err(
                        "dropData needs one of allData, allDataAndSchema, types or fields".into(),
                    );
                }
                // Counted as running until done: a deep freeze waits for the drop.
                let _active = st.enter(d.id, &d.uid).await?;
                for op in ops {
                    st.engine
                        .drop_data(backend_id(d), op)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(json!({ "response": { "code": "Success", "message": "Done" } }))
            }
            "freeze" => {
                let deep = args
                    .get("deepFreeze")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let backup = args.get("backup").and_then(Value::as_bool).unwrap_or(true);
                st.freeze(d, deep, backup).await.map(Value::String)
            }
            "export" => {
                let format = ExportFormat::parse(args.get("format").and_then(Value::as_str))?;
                match args.get("namespace").and_then(Value::as_i64) {
                    None | Some(0) | Some(-1) => {}
                    Some(n) => return Err(format!("namespace {n} does not exist")),
                }
                let (id, task_id, state) = st.start_export(d, format).await;
                let base = st.public_base(self.ctx);
                Ok(match state {
                    ExportState::Done(files) => json!({
                        "response": { "code": "Success", "message": "Export completed." },
                        "signedUrls": st.signed_urls(&base, &d.uid, &id, &files),
                        "exportId": id,
                        "taskId": task_id,
                    }),
                    ExportState::InProgress => json!({
                        "response": { "code": "Success", "message": format!("Export queued with ID {id}") },
                        "signedUrls": [],
                        "exportId": id,
                        "taskId": task_id,
                    }),
                    ExportState::Failed(e) => return Err(format!("export failed: {e}")),
                })
            }
            "exportStatus" => {
                let arg = |n: &str| args.get(n).and_then(Value::as_str).unwrap_or("").trim();
                let (id, task_id) = (arg("exportId"), arg("taskId"));
                let Some((state, updated, uid)) = st.exports.get(d.id, id, task_id) else {
                    return Err(format!(
                        "no export with id {id:?} and task id {task_id:?} on this backend"
                    ));
                };
                let urls = match &state {
                    ExportState::Done(files) => {
                        st.signed_urls(&st.public_base(self.ctx), &uid, id, files)
                    }
                    _ => Vec::new(),
                };
                Ok(json!({
                    "kind": "Export",
                    "lastUpdated": updated
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    "signedUrls": urls,
                    "status": state.status(),
                }))
            }
            other => Err(format!("unknown field {other}")),
        }
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
