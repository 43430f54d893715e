//! HTTP side of graphcloud: the control listener (control-plane GraphQL, the CLI's REST
//! paths, device-login page, `/metrics`) and the backend listener (the front door of every
//! deployment: routing by `Host` or `/backends/<subdomain>/…`, credential check, CORS,
//! `/health`, `/probe/graphql`), plain or TLS, with request ids, access logs, body limits and
//! graceful shutdown.
//!
//! What it is not: it holds no business state (that is `graphcloud-control`) and does not
//! execute a deployment's GraphQL API — what a backend answers behind the credential check
//! lives in [`backend`], the seam where the GraphQL engine plugs in.
//!
//! Entry points: [`Server::bind`] then [`Server::run`], or [`serve`] for both.

pub mod backend;
pub mod control;
mod frontdoor;
pub mod http_util;
mod listen;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use graphcloud_control::{ControlConfig, ControlError, ControlPlane};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use backend::BackendState;

/// A certificate chain and private key in PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything [`serve`] needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Directory of `control.db`, `jwt.key` and graph data.
    pub data_dir: PathBuf,
    /// `postgres://…` for the control-plane metadata; `None` for SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Address of the control listener (port 0 = any free port).
    pub control_addr: SocketAddr,
    /// Address of the backend listener (port 0 = any free port).
    pub backend_addr: SocketAddr,
    /// Domain under which backends are served (`<subdomain>.<base_domain>`).
    pub base_domain: String,
    /// TLS for the backend listener.
    pub tls: Option<TlsFiles>,
    /// TLS for the control listener.
    pub control_tls: Option<TlsFiles>,
    /// HS256 secret for tokens; `None` to use/generate `<data_dir>/jwt.key`.
    pub jwt_secret: Option<String>,
    /// Where backups live: `s3://bucket/prefix`, `file:///dir` or a directory; `None` for
    /// `<data_dir>/backups`.
    pub backup_url: Option<String>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS configuration: {0}")]
    Tls(String),
    #[error("control plane: {0}")]
    Control(#[from] ControlError),
    #[error("backends: {0}")]
    Backend(#[from] backend::BackendInitError),
}

/// A server whose listeners are bound but not yet serving.
pub struct Server {
    control_listener: TcpListener,
    backend_listener: TcpListener,
    control_addr: SocketAddr,
    backend_addr: SocketAddr,
    control_tls: Option<tokio_rustls::TlsAcceptor>,
    backend_tls: Option<tokio_rustls::TlsAcceptor>,
    cp: ControlPlane,
    backends: BackendState,
}

fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        OnceLock::new();
    HANDLE
        .get_or_init(|| {
            match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

async fn track(listener: &'static str, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("graphcloud_http_requests_total", "listener" => listener, "status" => status)
        .increment(1);
    metrics::histogram!("graphcloud_http_request_duration_seconds", "listener" => listener)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// Request ids (`x-request-id`, generated when absent, echoed back), an access-log span per
/// request (method and path only: never headers or query strings, which may hold secrets),
/// and request metrics.
fn instrument(router: Router, listener: &'static str) -> Router {
    router
        .layer(axum::middleware::from_fn(move |req, next| track(listener, req, next)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", listener, request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_response(|mut resp: Response| async move {
            resp.headers_mut()
                .entry("server")
                .or_insert(HeaderValue::from_static("graphcloud"));
            resp
        }))
}

impl Server {
    /// Opens the control plane and binds both listeners (so ephemeral ports are known before
    /// serving).
    pub async fn bind(cfg: ServeConfig) -> Result<Server, ServeError> {
        let control_tls = match &cfg.control_tls {
            Some(t) => Some(listen::tls_acceptor(&t.cert, &t.key)?),
            None => None,
        };
        let backend_tls = match &cfg.tls {
            Some(t) => Some(listen::tls_acceptor(&t.cert, &t.key)?),
            None => None,
        };
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })
        };
        let backend_listener = bind(cfg.backend_addr).await?;
        let control_listener = bind(cfg.control_addr).await?;
        let backend_addr = backend_listener
            .local_addr()
            .map_err(|source| ServeError::Bind {
                addr: cfg.backend_addr,
                source,
            })?;
        let control_addr = control_listener
            .local_addr()
            .map_err(|source| ServeError::Bind {
                addr: cfg.control_addr,
                source,
            })?;
        let cp = ControlPlane::open(ControlConfig {
            data_dir: cfg.data_dir.clone(),
            database_url: cfg.database_url.clone(),
            base_domain: cfg.base_domain.clone(),
            backend_port: backend_addr.port(),
            jwt_secret: cfg.jwt_secret.clone(),
        })
        .await?;
        let backends =
            BackendState::open(&cfg.data_dir, cfg.backup_url.as_deref(), cp.clone()).await?;
        Ok(Server {
            control_listener,
            backend_listener,
            control_addr,
            backend_addr,
            control_tls,
            backend_tls,
            cp,
            backends,
        })
    }

    /// The bound control address.
    pub fn control_addr(&self) -> SocketAddr {
        self.control_addr
    }

    /// The bound backend address.
    pub fn backend_addr(&self) -> SocketAddr {
        self.backend_addr
    }

    /// The control plane this server uses.
    pub fn control_plane(&self) -> &ControlPlane {
        &self.cp
    }

    /// Serves until `shutdown` completes, then drains connections and closes the store.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let control_state = Arc::new(control::ControlState {
            cp: self.cp.clone(),
            api: control::graphql::ControlApi::new(),
            backends: self.backends.clone(),
            metrics: metrics_handle(),
            tls: self.control_tls.is_some(),
        });
        let front = Arc::new(frontdoor::FrontDoor {
            control: self.cp.clone(),
            backends: self.backends.clone(),
            started: Instant::now(),
        });
        let control_app = instrument(control::router(control_state), "control");
        let backend_app = instrument(frontdoor::router(front), "backend");
        let (tx, rx) = tokio::sync::watch::channel(false);
        tracing::info!(
            control = %self.control_addr,
            backend = %self.backend_addr,
            base_domain = %self.cp.base_domain(),
            control_tls = self.control_tls.is_some(),
            backend_tls = self.backend_tls.is_some(),
            "graphcloud is serving"
        );
        let c = tokio::spawn(listen::run(
            "control",
            self.control_listener,
            self.control_tls,
            control_app,
            rx.clone(),
        ));
        let b = tokio::spawn(listen::run(
            "backend",
            self.backend_listener,
            self.backend_tls,
            backend_app,
            rx,
        ));
        shutdown.await;
        tracing::info!("shutting down");
        let _ = tx.send(true);
        let _ = c.await;
        let _ = b.await;
        self.cp.shutdown().await;
        tracing::info!("stopped");
    }
}

/// Binds both listeners and serves until `shutdown` completes.
pub async fn serve(cfg: ServeConfig, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    let server = Server::bind(cfg).await?;
    server.run(shutdown).await;
    Ok(())
}

/// Default bound on the time graceful shutdown waits for in-flight requests.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_secs(10);
