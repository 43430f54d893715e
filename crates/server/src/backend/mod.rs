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

pub mod slash;

use std::sync::Arc;

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
    pub body: Value,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
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
    backups: Backups,
    restores: RestoreTracker,
    control: ControlPlane,
    slash: Arc<slash::SlashApi>,
}

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
    /// Opens (or creates) the graph store `<data_dir>/graph.redb`, the engine over it, and
    /// the backup storage (`backup_url`, or `<data_dir>/backups` when `None`).
    pub async fn open(
        data_dir: &std::path::Path,
        backup_url: Option<&str>,
        control: ControlPlane,
    ) -> Result<Self, BackendInitError> {
        let dir = data_dir.to_path_buf();
        let store = tokio::task::spawn_blocking(move || graphcloud_store::Store::open(&dir))
            .await
            .map_err(|e| BackendInitError(e.to_string()))?
            .map_err(|e| BackendInitError(format!("cannot open the graph store: {e}")))?;
        let storage = match backup_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => BackupStorage::from_url(url),
            None => BackupStorage::local(&data_dir.join("backups")),
        }
        .map_err(|e| BackendInitError(format!("backup storage: {e}")))?;
        tracing::info!(url = storage.url(), "backup storage");
        Ok(BackendState {
            engine: Engine::new(store.clone()),
            backups: Backups::new(storage, store),
            restores: RestoreTracker::default(),
            control,
            slash: Arc::new(slash::SlashApi::new()),
        })
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
                headers: Vec::new(),
            };
        }
        let engine = &self.engine;
        let who = caller(&ctx);
        let id = backend_id(&ctx.deployment);
        let request = graphcloud_engine::Request {
            query: req.query,
            operation_name: req.operation_name,
            variables: req.variables,
        };
        let resp = match ctx.endpoint {
            Endpoint::GraphQL => engine.graphql(id, who, request).await,
            Endpoint::Admin => engine.admin(id, who, request).await,
            Endpoint::AdminSlash => {
                graphcloud_engine::Response::error("internal error: misrouted request")
            }
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
        GraphQLResponse {
            body: resp.to_json(),
            headers,
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
        if let Err(err) = self.engine.drop_backend(deployment_id as u64).await {
            tracing::error!(deployment_id, error = %err, "dropping the backend's graph failed");
        }
    }
}
