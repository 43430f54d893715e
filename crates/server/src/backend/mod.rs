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

pub mod dql;
pub mod export;
pub mod freeze;
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
    exports: Arc<export::Exports>,
    gate: Arc<freeze::Gate>,
    /// Whether the backend listener speaks TLS (the scheme of signed URLs).
    pub(crate) tls: bool,
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
        let options = graphcloud_store::StoreOptions {
            node_cache_bytes: tuning.node_cache_bytes,
            ..Default::default()
        };
        let store = tokio::task::spawn_blocking(move || {
            graphcloud_store::Store::open_with(&dir, &redb, options)
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
        let key = export::load_or_create_key(data_dir)
            .map_err(|e| BackendInitError(format!("export signing key: {e}")))?;
        // Frozen backends: those with a backup under `_frozen/<uid>`.
        let gate = Arc::new(freeze::Gate::default());
        let marks = storage
            .list("_frozen")
            .await
            .map_err(|e| BackendInitError(format!("backup storage: {e}")))?;
        gate.load(marks.iter().filter_map(|p| {
            let mut parts = p.split('/');
            (parts.next() == Some("_frozen")).then(|| parts.next().map(str::to_string))?
        }));
        Ok(BackendState {
            engine,
            request_timeout,
            persisted: Arc::default(),
            lambdas,
            backups: Backups::new(storage, store),
            restores: RestoreTracker::default(),
            control,
            slash: Arc::new(slash::SlashApi::new()),
            exports: Arc::new(export::Exports::new(
                key,
                tuning.export_url_ttl,
                tuning.export_sync_wait,
            )),
            gate,
            tls: false,
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
        // A deep-frozen backend's data is in its frozen copy: bring it back first. The
        // backup counts as running on the backend, so a deep freeze waits for it rather than
        // dropping the data it is reading.
        let _active = self
            .enter(deployment_id, uid)
            .await
            .map_err(BackupError::Invalid)?;
        self.backups.create(deployment_id as u64, uid, full).await
    }

    /// One pass of the backup scheduler: takes every backup that is due and applies the
    /// retention of its schedule. Deep-frozen backends are skipped (nothing changes there).
    pub async fn run_backup_schedules(&self) {
        let rows = match self.control.all_backup_schedules().await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "reading backup schedules failed");
                return;
            }
        };
        for row in rows {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let Some(full) = graphcloud_control::schedules::due(&row, now) else {
                continue;
            };
            let uid = graphcloud_control::model::format_uid(row.deployment_id);
            // Held while the backup reads: a deep freeze waits for it. A frozen backend
            // (nothing changes there) is skipped.
            let Some(_active) = self.gate.try_enter(&uid) else {
                continue;
            };
            match self
                .backups
                .create(row.deployment_id as u64, &uid, full)
                .await
            {
                Ok(b) => {
                    tracing::info!(deployment = %uid, kind = %b.kind, num = b.backup_num, "scheduled backup taken");
                    if let Err(e) = self
                        .control
                        .record_scheduled_backup(row.deployment_id, full, now)
                        .await
                    {
                        tracing::warn!(deployment = %uid, error = %e, "recording a scheduled backup failed");
                    }
                    if row.retention > 0
                        && let Err(e) = self.backups.prune(&uid, row.retention as usize).await
                    {
                        tracing::warn!(deployment = %uid, error = %e, "pruning old backups failed");
                    }
                }
                Err(e) => tracing::warn!(deployment = %uid, error = %e, "scheduled backup failed"),
            }
        }
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

    /// Starts an export of deployment `d` in the background and waits for it up to the
    /// configured time; returns (export id, task id, state at that moment).
    pub(crate) async fn start_export(
        &self,
        d: &BackendInfo,
        format: graphcloud_engine::export::ExportFormat,
    ) -> (String, String, export::ExportState) {
        let (id, task_id) = self.exports.start(d.id, &d.uid);
        let this = self.clone();
        let (uid, backend, eid) = (d.uid.clone(), backend_id(d), id.clone());
        tokio::spawn(async move {
            let state = match this.write_export(&uid, backend, &eid, format).await {
                Ok(files) => export::ExportState::Done(files),
                Err(e) => {
                    tracing::warn!(deployment = %uid, error = %e, "export failed");
                    export::ExportState::Failed(e)
                }
            };
            this.exports.finish(&eid, state);
        });
        let state = self.exports.wait(&id, self.exports.sync_wait).await;
        (id, task_id, state)
    }

    async fn write_export(
        &self,
        uid: &str,
        backend: u64,
        id: &str,
        format: graphcloud_engine::export::ExportFormat,
    ) -> Result<Vec<String>, String> {
        // Held while the export reads: a deep freeze waits for it.
        let _active = self.enter(backend as i64, uid).await?;
        let engine = self.engine.clone();
        let files =
            tokio::task::spawn_blocking(move || export::build_files(&engine, backend, format))
                .await
                .map_err(|e| format!("internal error: {e}"))??;
        let mut names = Vec::new();
        for (name, bytes) in files {
            self.backups
                .storage()
                .put(&export::object_path(uid, id, &name), bytes)
                .await
                .map_err(|e| e.to_string())?;
            names.push(name);
        }
        Ok(names)
    }

    /// `<scheme>://<host>/backends/<subdomain>` as the caller reached this backend.
    pub(crate) fn public_base(&self, ctx: &BackendContext) -> String {
        let h = |n: &str| {
            ctx.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let scheme = h("x-forwarded-proto")
            .filter(|p| p == "http" || p == "https")
            .unwrap_or_else(|| if self.tls { "https" } else { "http" }.to_string());
        let host = h("x-forwarded-host")
            .or_else(|| h("host"))
            .unwrap_or_else(|| "localhost".to_string());
        format!("{scheme}://{host}/backends/{}", ctx.deployment.subdomain)
    }

    /// Signed download URLs of an export's files.
    pub(crate) fn signed_urls(
        &self,
        base: &str,
        uid: &str,
        id: &str,
        files: &[String],
    ) -> Vec<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        files
            .iter()
            .map(|f| {
                format!(
                    "{base}/export/{id}/{f}?{}",
                    self.exports.sign(uid, id, f, now)
                )
            })
            .collect()
    }

    /// One export file for `GET /export/<id>/<file>`: the signature in `query` must be valid
    /// and unexpired; no credential is needed.
    pub async fn export_download(
        &self,
        d: &BackendInfo,
        id: &str,
        file: &str,
        query: Option<&str>,
    ) -> Result<bytes::Bytes, export::DownloadError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.exports.verify(&d.uid, id, file, query, now)?;
        if id.contains(['/', '.']) || file.contains('/') || file.starts_with('.') {
            return Err(export::DownloadError::NotFound);
        }
        match self
            .backups
            .storage()
            .get(&export::object_path(&d.uid, id, file))
            .await
        {
            Ok(b) => Ok(b),
            Err(BackupError::NotFound(_)) => Err(export::DownloadError::NotFound),
            Err(e) => Err(export::DownloadError::Storage(e.to_string())),
        }
    }

    /// Counts a request as running on backend `id` (`uid`) until the guard is dropped,
    /// thawing the backend first when it is frozen.
    pub(crate) async fn enter(&self, id: i64, uid: &str) -> Result<freeze::Active, String> {
        loop {
            if let Some(active) = self.gate.try_enter(uid) {
                return Ok(active);
            }
            self.thaw(id, uid).await?;
        }
    }

    /// Thaws backend `id` if it is frozen.
    pub(crate) async fn ensure_thawed(&self, id: i64, uid: &str) -> Result<(), String> {
        self.enter(id, uid).await.map(drop)
    }

    async fn thaw(&self, id: i64, uid: &str) -> Result<(), String> {
        let lock = self.gate.op_lock(uid);
        let _op = lock.lock().await;
        if !self.gate.is_frozen(uid) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let name = freeze::frozen_name(uid);
        let report = self
            .restore_now(&name, &RestoreTarget::default(), id)
            .await
            .map_err(|e| format!("the backend is frozen and could not be thawed: {e}"))?;
        // The mark goes only with the backup: until then a thaw repeats the same restore.
        self.backups.delete_all(&name).await.map_err(|e| {
            format!("the backend was thawed but its frozen copy could not be removed: {e}")
        })?;
        self.gate.unmark(uid);
        tracing::info!(
            deployment = %uid,
            records = report.records,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "backend thawed"
        );
        Ok(())
    }

    /// `freeze(deepFreeze, backup)`: takes a backup when `backup`; with `deep` moves the
    /// backend's data into backup storage (the next request thaws it). Returns the message.
    pub(crate) async fn freeze(
        &self,
        d: &BackendInfo,
        deep: bool,
        backup: bool,
    ) -> Result<String, String> {
        let (id, uid) = (d.id, d.uid.as_str());
        self.ensure_thawed(id, uid).await?;
        let lock = self.gate.op_lock(uid);
        let _op = lock.lock().await;
        if deep {
            if !self.gate.mark(uid) {
                return Ok("Backend is already deep-frozen".to_string());
            }
            // From here no request, restore or drop runs on the backend: the backup taken
            // below holds exactly the data that is frozen.
            self.gate.drained(uid).await;
        }
        let mut taken = None;
        if backup {
            // Not `create_backup`: this freeze holds the backend (thawed, and drained when
            // deep) already.
            let b = match self.backups.create(id as u64, uid, false).await {
                Ok(b) => b,
                Err(e) => {
                    if deep {
                        self.gate.unmark(uid);
                    }
                    return Err(format!("freeze failed: the backup failed: {e}"));
                }
            };
            taken = Some(format!(
                "{} backup {} of folder {}",
                b.kind, b.backup_num, b.folder
            ));
        }
        if !deep {
            return Ok(match taken {
                Some(b) => format!("Backend frozen; {b} taken"),
                None => "Backend frozen".to_string(),
            });
        }
        let name = freeze::frozen_name(uid);
        if let Err(e) = self.backups.create(id as u64, &name, true).await {
            self.gate.unmark(uid);
            return Err(format!("freeze failed, the backend is unchanged: {e}"));
        }
        if let Err(e) = self.engine.drop_backend(id as u64).await {
            // Still marked: the next request restores the copy just written (same data).
            return Err(format!("freeze failed while removing live data: {e}"));
        }
        self.persisted.forget_backend(id as u64);
        self.lambdas.forget(id as u64, false);
        tracing::info!(deployment = %uid, "backend deep-frozen");
        Ok(match taken {
            Some(b) => format!(
                "Backend deep-frozen; {b} taken; its data is in backup storage until the next request"
            ),
            None => "Backend deep-frozen; its data is in backup storage until the next request"
                .to_string(),
        })
    }

    /// Starts a restore in the background; returns its id for `restoreStatus`.
    /// `active` counts the restore as running on the target until it ends, so a deep freeze
    /// waits for it instead of copying (and later thawing over) a half-restored backend.
    pub(crate) fn start_restore(
        &self,
        source: String,
        target: RestoreTarget,
        target_id: i64,
        active: freeze::Active,
    ) -> i32 {
        let id = self.restores.start(target_id);
        let this = self.clone();
        tokio::spawn(async move {
            let state = match this.restore_now(&source, &target, target_id).await {
                Ok(_) => RestoreState::Ok,
                Err(e) => RestoreState::Err(e.to_string()),
            };
            this.restores.finish(id, state);
            drop(active);
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
        let _active = match self.enter(ctx.deployment.id, &ctx.deployment.uid).await {
            Ok(a) => a,
            Err(e) => return GraphQLResponse::error(&e),
        };
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
        let _active = match self.enter(deployment.id, &deployment.uid).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    serde_json::json!({"errors": [{"message": e}]}),
                );
            }
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

    /// `POST /admin/import` (admin credential already checked): Dgraph JSON/RDF files, with
    /// an optional GraphQL schema, imported all or nothing.
    pub async fn import(
        &self,
        deployment: &BackendInfo,
        schema: Option<String>,
        files: Vec<graphcloud_engine::import::ImportFile>,
    ) -> Result<graphcloud_engine::import::ImportReport, String> {
        if is_read_only(deployment) {
            return Err("the backend is in readonly mode (deploymentMode: readonly): imports are not allowed".into());
        }
        let _active = self.enter(deployment.id, &deployment.uid).await?;
        let engine = self.engine.clone();
        let id = backend_id(deployment);
        tokio::task::spawn_blocking(move || engine.import(id, schema.as_deref(), &files))
            .await
            .map_err(|e| format!("internal error: {e}"))?
    }

    /// The `schema { … }` answer of `POST /query` (spec §4.5).
    pub async fn dql_schema(
        &self,
        deployment: &BackendInfo,
        preds: Option<Vec<String>>,
        fields: Option<Vec<String>>,
    ) -> Result<Value, String> {
        let _active = self.enter(deployment.id, &deployment.uid).await?;
        let engine = self.engine.clone();
        let id = backend_id(deployment);
        tokio::task::spawn_blocking(move || {
            engine.dql_schema_json(id, preds.as_deref(), fields.as_deref())
        })
        .await
        .map_err(|e| format!("internal error: {e}"))?
        .map_err(|e| e.to_string())
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
        let uid = &graphcloud_control::model::format_uid(deployment_id);
        if self.gate.is_frozen(uid) {
            if let Err(e) = self.backups.delete_all(&freeze::frozen_name(uid)).await {
                tracing::error!(deployment = %uid, error = %e, "removing the frozen copy failed");
            }
            self.gate.unmark(uid);
        }
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
        // A deep-frozen backend's script is in its frozen copy: thaw it to read it.
        let uid = graphcloud_control::model::format_uid(deployment_id);
        let _active = self.enter(deployment_id, &uid).await?;
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
        // Written into the live key range: a frozen backend is thawed first (a thaw would
        // otherwise replace the new script with the frozen copy's), and a deep freeze waits.
        let uid = graphcloud_control::model::format_uid(deployment_id);
        let _active = self.enter(deployment_id, &uid).await?;
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
