//! What a backend answers once the front door has routed a request to one deployment and
//! checked its credential: the seam between HTTP (this crate) and the GraphQL engine.
//!
//! Everything here is transport-free: the front door (`crate::frontdoor`) parses
//! GraphQL-over-HTTP (GET parameters, JSON, `application/graphql`, gzip) into a
//! [`GraphQLRequest`], decides the caller's [`Access`], and calls [`BackendState::handle`];
//! the returned [`GraphQLResponse`] is written as JSON with HTTP 200.
//!
//! The answers come from `graphcloud-engine` over the shared graph store
//! (`<data-dir>/graph.redb`, every key prefixed with the deployment's numeric id): `/graphql`
//! runs the deployment's generated API, `/admin` its schema API, `POST /admin/schema` uploads
//! raw SDL, and `/probe/graphql` reports the schema update counter. Nothing is kept per
//! deployment here; the engine caches compiled APIs in one bounded cache.

mod lambda;
pub mod slash;

use std::sync::Arc;
use std::time::Duration;

use axum::http;
use graphcloud_backup::{
    BackupError, BackupInfo, BackupStorage, Backups, RestoreReport, RestoreState, RestoreTarget,
    RestoreTracker,
};
use graphcloud_control::{AnonymousAccess, BackendInfo, ControlPlane};
use graphcloud_engine::{Caller, Engine};
use serde_json::{Map, Value};

/// Which GraphQL endpoint of a backend was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/graphql`: the deployment's generated API.
    GraphQL,
    /// `/admin`: the Dgraph admin API.
    Admin,
    /// `/admin/slash`: the cloud admin API.
    AdminSlash,
}

/// What the caller may do, decided by the front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An admin API key or the deployment's `jwtToken`.
    Admin,
    /// A client API key (`/graphql` only; bypasses anonymous-access restrictions).
    Client,
    /// No credential; `/graphql` only, limited to the deployment's anonymous access level
    /// (never [`AnonymousAccess::None`] here: such requests are refused before). The engine
    /// enforces read-vs-write.
    Anonymous(AnonymousAccess),
}

/// The request context handed to the backend.
#[derive(Debug, Clone)]
pub struct BackendContext {
    /// The deployment the request was routed to.
    pub deployment: Arc<BackendInfo>,
    /// What the caller may do.
    pub access: Access,
    /// Which endpoint was called.
    pub endpoint: Endpoint,
    /// Request headers the engine may need (`X-Dgraph-AccessToken`, the schema's
    /// `Dgraph.Authorization` header, …).
    pub headers: http::HeaderMap,
}

/// A parsed GraphQL-over-HTTP request.
#[derive(Debug, Clone, Default)]
pub struct GraphQLRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    pub extensions: Map<String, Value>,
}

/// A GraphQL response body (`{"data":…, "errors":[…], "extensions":{…}}`) plus extra
/// response headers (e.g. `Cache-Control`).
#[derive(Debug, Clone)]
pub struct GraphQLResponse {
    /// The JSON body (`Null` when `raw` holds it).
    pub body: Value,
    /// The JSON body already written by the engine's compiled path.
    pub raw: Option<String>,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl GraphQLResponse {
    /// A request refused before execution: `{"errors":[{"message":…}]}` (no `data`).
    pub fn error(message: &str) -> GraphQLResponse {
        GraphQLResponse {
            body: serde_json::json!({ "errors": [{ "message": message }] }),
            raw: None,
            headers: Vec::new(),
        }
    }
}

/// Why the backend side could not be opened (e.g. the graph database file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendInitError(pub String);

/// Shared state of the backend side (one per server, cheap to clone): the GraphQL engine over
/// the shared graph store.
#[derive(Clone)]
pub struct BackendState {
    engine: Engine,
    /// Budget of one GraphQL request (the engine stops its work at that deadline).
    request_timeout: Duration,
    persisted: Arc<crate::persisted::PersistedQueries>,
    lambdas: graphcloud_lambda::Lambdas,
    backups: Backups,
    restores: RestoreTracker,
    control: ControlPlane,
    slash: Arc<slash::SlashApi>,
}

/// Time past the engine's own deadline after which the server stops waiting and answers.
const TIMEOUT_GRACE: Duration = Duration::from_secs(1);

fn caller(ctx: &BackendContext) -> Caller {
    Caller {
        access: match ctx.access {
            Access::Admin => graphcloud_engine::Access::Admin,
            Access::Client => graphcloud_engine::Access::Client,
            Access::Anonymous(AnonymousAccess::ReadWrite) => {
                graphcloud_engine::Access::AnonymousReadWrite
            }
            Access::Anonymous(_) => graphcloud_engine::Access::AnonymousRead,
        },
        read_only: is_read_only(&ctx.deployment),
    }
}

fn is_read_only(d: &BackendInfo) -> bool {
    d.deployment_mode.eq_ignore_ascii_case("readonly")
}

/// The deployment's key prefix in the graph store.
fn backend_id(d: &BackendInfo) -> u64 {
    d.id as u64
}

impl BackendState {
    /// Opens (or creates) the graph store `<data_dir>/graph.redb`, the engine over it, the
    /// lambda sandboxes and the backup storage (`backup_url`, or `<data_dir>/backups` when
    /// `None`), with explicit [`crate::Tuning`]: the graph store's page cache, the lambda
    /// runtime's limits and network policy.
    pub async fn open_with(
        data_dir: &std::path::Path,
        request_timeout: Duration,
        tuning: &crate::Tuning,
        backup_url: Option<&str>,
        control: ControlPlane,
    ) -> Result<Self, BackendInitError> {
        let dir = data_dir.to_path_buf();
        let redb = graphcloud_store::RedbOptions {
            cache_bytes: tuning.graph_cache_bytes,
            ..Default::default()
        };
        let store = tokio::task::spawn_blocking(move || {
            graphcloud_store::Store::open_with(&dir, &redb, Default::default())
        })
        .await
        .map_err(|e| BackendInitError(e.to_string()))?
        .map_err(|e| BackendInitError(format!("cannot open the graph store: {e}")))?;
        let storage = match backup_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => BackupStorage::from_url(url),
            None => BackupStorage::local(&data_dir.join("backups")),
        }
        .map_err(|e| BackendInitError(format!("backup storage: {e}")))?;
        tracing::info!(url = storage.url(), "backup storage");
        let limits = graphcloud_engine::Limits {
            request_timeout,
            ..Default::default()
        };
        let engine = Engine::with_limits(store.clone(), limits);
        engine.set_compiled(tuning.compiled_queries);
        let lambdas = graphcloud_lambda::Lambdas::new(tuning.lambda.clone());
        lambda::connect(&engine, &lambdas);
        lambdas.spawn_reaper();
        Ok(BackendState {
            engine,
            request_timeout,
            persisted: Arc::default(),
            lambdas,
            backups: Backups::new(storage, store),
            restores: RestoreTracker::default(),
            control,
            slash: Arc::new(slash::SlashApi::new()),
        })
    }

    /// GraphQL requests executing right now.
    pub fn in_flight(&self) -> usize {
        self.engine.in_flight()
    }

    /// Takes a backup of a deployment (full when `full`, else full or incremental as the
    /// backup series needs).
    pub async fn create_backup(
        &self,
        deployment_id: i64,
        uid: &str,
        full: bool,
    ) -> Result<BackupInfo, BackupError> {
        self.backups.create(deployment_id as u64, uid, full).await
    }

    /// Backups of a deployment, one list per folder.
    pub async fn list_backups(&self, uid: &str) -> Result<Vec<Vec<BackupInfo>>, BackupError> {
        self.backups.list(uid).await
    }

    /// Restores `source`'s backup into deployment `target_id` and waits for the result.
    /// The caller has checked that `source` may be restored there.
    pub async fn restore_now(
        &self,
        source: &str,
        target: &RestoreTarget,
        target_id: i64,
    ) -> Result<RestoreReport, BackupError> {
        let res = self.backups.restore(source, target, target_id as u64).await;
        self.engine.forget(target_id as u64);
        // The restored key range may hold another lambda script: its sandboxes start anew.
        self.lambdas.forget(target_id as u64, false);
        match &res {
            Ok(r) => tracing::info!(source, target_id, records = r.records, "restore finished"),
            Err(e) => tracing::warn!(source, target_id, error = %e, "restore failed"),
        }
        res
    }

    /// Starts a restore in the background; returns its id for `restoreStatus`.
    fn start_restore(&self, source: String, target: RestoreTarget, target_id: i64) -> i32 {
        let id = self.restores.start(target_id);
        let this = self.clone();
        tokio::spawn(async move {
            let state = match this.restore_now(&source, &target, target_id).await {
                Ok(_) => RestoreState::Ok,
                Err(e) => RestoreState::Err(e.to_string()),
            };
            this.restores.finish(id, state);
        });
        id
    }

    /// Answers one GraphQL request of an authenticated (or permitted anonymous) caller.
    pub async fn handle(&self, ctx: BackendContext, req: GraphQLRequest) -> GraphQLResponse {
        if ctx.endpoint == Endpoint::AdminSlash {
            // The GraphQL executor's future is not `Send` (it holds `&dyn` resolver objects),
            // so it runs on a blocking thread that drives it with the runtime's handle.
            let handle = tokio::runtime::Handle::current();
            let this = self.clone();
            let run =
                move || handle.block_on(async move { slash::execute(&this, &ctx, req).await });
            let body = tokio::task::spawn_blocking(run).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "/admin/slash execution failed");
                serde_json::json!({"data": {}, "errors": [{"message": "internal server error"}]})
            });
            return GraphQLResponse {
                body,
                raw: None,
                headers: Vec::new(),
            };
        }
        let engine = &self.engine;
        let who = caller(&ctx);
        let id = backend_id(&ctx.deployment);
        let query = match crate::http_util::persisted_query_hash(&req.extensions) {
            Ok(Some(hash)) => match self.persisted.resolve(id, hash, req.query) {
                Ok(q) => q,
                Err(e) => return GraphQLResponse::error(e.0),
            },
            Ok(None) => req.query,
            Err(e) => return GraphQLResponse::error(&e.1),
        };
        let request = graphcloud_engine::Request {
            query,
            operation_name: req.operation_name,
            variables: req.variables,
        };
        let work = async {
            match ctx.endpoint {
                Endpoint::GraphQL => {
                    let headers = ctx
                        .headers
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                        })
                        .collect();
                    engine.graphql_with_headers(id, who, request, headers).await
                }
                Endpoint::Admin => engine.admin(id, who, request).await,
                Endpoint::AdminSlash => {
                    graphcloud_engine::Response::error("internal error: misrouted request")
                }
            }
        };
        // The engine stops at its own deadline; this bounds what it cannot interrupt. A
        // dropped `work` future (timeout here, or the client disconnecting, which drops this
        // whole handler) cancels the engine's work.
        let resp = match tokio::time::timeout(self.request_timeout + TIMEOUT_GRACE, work).await {
            Ok(r) => r,
            Err(_) => graphcloud_engine::Response::error(format!(
                "the request exceeded the time limit of {} ms",
                self.request_timeout.as_millis()
            )),
        };
        let mut headers = Vec::new();
        if let Some(age) = resp.cache_max_age
            && let Ok(v) = http::HeaderValue::from_str(&format!("public,max-age={age}"))
        {
            headers.push((http::header::CACHE_CONTROL, v));
            headers.push((
                http::header::VARY,
                http::HeaderValue::from_static("Accept-Encoding"),
            ));
        }
        match resp.raw {
            Some(raw) => GraphQLResponse {
                body: Value::Null,
                raw: Some(raw),
                headers,
            },
            None => GraphQLResponse {
                body: resp.to_json(),
                raw: None,
                headers,
            },
        }
    }

    /// `POST /admin/schema` (admin credential already checked): raw SDL body, answered with
    /// the shapes of graphql-backend.md §0.
    pub async fn admin_schema(
        &self,
        deployment: &BackendInfo,
        sdl: String,
    ) -> (http::StatusCode, Value) {
        let who = Caller {
            access: graphcloud_engine::Access::Admin,
            read_only: is_read_only(deployment),
        };
        let r = self
            .engine
            .admin_schema(backend_id(deployment), who, sdl)
            .await;
        (
            http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::OK),
            r.body,
        )
    }

    /// `/probe/graphql`: health of the deployment's GraphQL layer (HTTP status, body).
    pub async fn probe(&self, deployment: &BackendInfo) -> (http::StatusCode, Value) {
        (
            http::StatusCode::OK,
            self.engine.probe(backend_id(deployment)).await,
        )
    }

    /// Called after a deployment was deleted, with its numeric id: drops its graph data and
    /// schema.
    pub async fn deployment_deleted(&self, deployment_id: i64) {
        self.persisted.forget_backend(deployment_id as u64);
        self.lambdas.forget(deployment_id as u64, true);
        if let Err(err) = self.engine.drop_backend(deployment_id as u64).await {
            tracing::error!(deployment_id, error = %err, "dropping the backend's graph failed");
        }
    }
}

/// Lambda script management for the control plane (the script lives in the backend's own
/// key range in the graph store; clients see it base64-encoded).
impl BackendState {
    /// The deployment's script, base64 (`""` when none).
    pub async fn lambda_script(&self, deployment_id: i64) -> Result<String, String> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.lambda_script(deployment_id as u64))
            .await
            .map_err(|e| format!("internal error: {e}"))?
            .map(|s| {
                s.map(|s| graphcloud_lambda::encode_script(&s.source))
                    .unwrap_or_default()
            })
            .map_err(|e| e.to_string())
    }

    /// Checks and stores a base64 script (`""` deletes it). On error nothing changed and the
    /// previous script stays active.
    pub async fn set_lambda_script(&self, deployment_id: i64, b64: &str) -> Result<(), String> {
        let source = graphcloud_lambda::decode_script(b64)?;
        let engine = self.engine.clone();
        let lambdas = self.lambdas.clone();
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            if !source.trim().is_empty() {
                lambdas.check(&source).map_err(|e| e.to_string())?;
            }
            let source = if source.trim().is_empty() {
                String::new()
            } else {
                source
            };
            let version = engine
                .set_lambda_script(deployment_id as u64, &source)
                .map_err(|e| e.to_string())?;
            lambdas.forget(deployment_id as u64, false);
            tracing::info!(
                deployment_id,
                version,
                deleted = source.is_empty(),
                "lambda script updated"
            );
            Ok(())
        })
        .await
        .map_err(|e| format!("internal error: {e}"))?
    }

    /// Checks a base64 script without storing it (`""` is always fine).
    pub async fn check_lambda_script(&self, b64: &str) -> Result<(), String> {
        let source = graphcloud_lambda::decode_script(b64)?;
        if source.trim().is_empty() {
            return Ok(());
        }
        let lambdas = self.lambdas.clone();
        tokio::task::spawn_blocking(move || lambdas.check(&source).map_err(|e| e.to_string()))
            .await
            .map_err(|e| format!("internal error: {e}"))?
    }

    /// Rendered log lines of the deployment's lambda within the window, oldest first.
    pub fn lambda_logs(
        &self,
        deployment_id: i64,
        start: Option<time::OffsetDateTime>,
        end: Option<time::OffsetDateTime>,
    ) -> Vec<String> {
        self.lambdas.log_lines(deployment_id as u64, start, end)
    }

    /// The lambda runtime (tests and metrics).
    pub fn lambdas(&self) -> &graphcloud_lambda::Lambdas {
        &self.lambdas
    }
}
