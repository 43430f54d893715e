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

use std::sync::Arc;
use std::time::Duration;

use axum::http;
use graphcloud_control::{AnonymousAccess, BackendInfo};
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

impl GraphQLResponse {
    /// A request refused before execution: `{"errors":[{"message":…}]}` (no `data`).
    pub fn error(message: &str) -> GraphQLResponse {
        GraphQLResponse {
            body: serde_json::json!({ "errors": [{ "message": message }] }),
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
    /// Opens (or creates) the graph store `<data_dir>/graph.redb` and the engine over it.
    pub async fn open(
        data_dir: &std::path::Path,
        request_timeout: Duration,
    ) -> Result<Self, BackendInitError> {
        Self::open_with(data_dir, request_timeout, &crate::Tuning::default()).await
    }

    /// [`BackendState::open`] with explicit [`crate::Tuning`]: the graph store's page cache,
    /// the lambda runtime's limits and network policy.
    pub async fn open_with(
        data_dir: &std::path::Path,
        request_timeout: Duration,
        tuning: &crate::Tuning,
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
        let limits = graphcloud_engine::Limits {
            request_timeout,
            ..Default::default()
        };
        let engine = Engine::with_limits(store, limits);
        let lambdas = graphcloud_lambda::Lambdas::new(tuning.lambda.clone());
        lambda::connect(&engine, &lambdas);
        lambdas.spawn_reaper();
        Ok(BackendState {
            engine,
            request_timeout,
            persisted: Arc::default(),
            lambdas,
        })
    }

    /// GraphQL requests executing right now.
    pub fn in_flight(&self) -> usize {
        self.engine.in_flight()
    }

    /// Answers one GraphQL request of an authenticated (or permitted anonymous) caller.
    pub async fn handle(&self, ctx: BackendContext, req: GraphQLRequest) -> GraphQLResponse {
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
                Endpoint::AdminSlash => graphcloud_engine::Response::error(
                    "the /admin/slash API is not available on this backend yet",
                ),
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
