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
pub mod persisted;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
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
pub use graphcloud_lambda::Config as LambdaConfig;

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
    /// Wall-clock budget of one backend GraphQL request ([`DEFAULT_REQUEST_TIMEOUT`]); a
    /// request still running then is stopped and answered with a JSON error.
    pub request_timeout: Duration,
    /// Where backups live: `s3://bucket/prefix`, `file:///dir` or a directory; `None` for
    /// `<data_dir>/backups`.
    pub backup_url: Option<String>,
}

/// Default of [`ServeConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings with defaults, kept apart from [`ServeConfig`] so that adding one does not
/// change every configuration literal.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Page cache of the graph store in bytes, shared by every backend (the largest part of
    /// the server's resident memory under load).
    pub graph_cache_bytes: usize,
    /// Cache of decoded nodes shared by every reader, in approximate bytes (0 turns it off;
    /// see `graphcloud_store`'s node cache). Exact: a change is never served stale.
    pub node_cache_bytes: usize,
    /// The lambda runtime's limits and network policy.
    pub lambda: LambdaConfig,
    /// Whether queries a compiled plan covers run on the compiled path (default); false
    /// answers every query with the generic executor (same responses; for comparisons).
    pub compiled_queries: bool,
    /// Lifetime of an export's signed download URLs (default 48 h).
    pub export_url_ttl: Duration,
    /// How long `export` waits for its files before answering with an export id to poll
    /// with `exportStatus` (default 10 s; zero = always asynchronous).
    pub export_sync_wait: Duration,
    /// How often the backup scheduler looks for due backups (default 60 s).
    pub backup_schedule_tick: Duration,
}

/// Default page cache of the graph store: 256 MiB.
pub const DEFAULT_GRAPH_CACHE_MB: usize = 256;

/// Default cache of decoded nodes: 64 MiB.
pub const DEFAULT_NODE_CACHE_MB: usize = 64;

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            graph_cache_bytes: DEFAULT_GRAPH_CACHE_MB * 1024 * 1024,
            node_cache_bytes: DEFAULT_NODE_CACHE_MB * 1024 * 1024,
            lambda: LambdaConfig::default(),
            compiled_queries: true,
            export_url_ttl: backend::export::DEFAULT_URL_TTL,
            export_sync_wait: backend::export::DEFAULT_SYNC_WAIT,
            backup_schedule_tick: Duration::from_secs(60),
        }
    }
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
    backup_schedule_tick: Duration,
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

/// How often the exporter folds buffered histogram samples into their summaries. It keeps
/// every sample recorded through `metrics::histogram!` until then (or until `/metrics` is
/// scraped), so a server nobody scrapes would otherwise keep them all.
pub const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Upper bounds (seconds) of the request-latency histogram buckets.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Request latency of one listener as a Prometheus histogram with fixed buckets: a few
/// atomic counters, so recording a request allocates and keeps nothing. (The exporter's own
/// histograms buffer every sample and free them only later, which shows up as memory that
/// grows with the request count.)
struct LatencyHistogram {
    listener: &'static str,
    /// Per bucket (not cumulative); the last one is `+Inf`.
    counts: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl LatencyHistogram {
    const fn new(listener: &'static str) -> Self {
        LatencyHistogram {
            listener,
            counts: [const { AtomicU64::new(0) }; LATENCY_BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn record(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let name = "graphcloud_http_request_duration_seconds";
        let l = self.listener;
        let mut cumulative = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            cumulative += c.load(Ordering::Relaxed);
            match LATENCY_BUCKETS.get(i) {
                Some(le) => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{listener=\"{l}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{listener=\"{l}\",le=\"+Inf\"}} {cumulative}"
                    );
                }
            }
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{listener=\"{l}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{listener=\"{l}\"}} {cumulative}");
    }
}

static LATENCY: [LatencyHistogram; 2] = [
    LatencyHistogram::new("control"),
    LatencyHistogram::new("backend"),
];

/// The request-latency histograms in the Prometheus text format (appended to `/metrics`).
pub(crate) fn render_latency() -> String {
    let mut out = String::from(
        "# HELP graphcloud_http_request_duration_seconds Time to answer a request.\n\
         # TYPE graphcloud_http_request_duration_seconds histogram\n",
    );
    for h in &LATENCY {
        h.render(&mut out);
    }
    out
}

/// Runs the exporter's upkeep every [`METRICS_UPKEEP`] until aborted.
fn spawn_metrics_upkeep() -> Option<tokio::task::JoinHandle<()>> {
    let handle = metrics_handle()?;
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(METRICS_UPKEEP);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    }))
}

async fn track(listener: &'static str, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("graphcloud_http_requests_total", "listener" => listener, "status" => status)
        .increment(1);
    if let Some(h) = LATENCY.iter().find(|h| h.listener == listener) {
        h.record(start.elapsed());
    }
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
        Self::bind_tuned(cfg, Tuning::default()).await
    }

    /// [`Server::bind`] with the lambda runtime's limits and network policy.
    pub async fn bind_with(cfg: ServeConfig, lambda: LambdaConfig) -> Result<Server, ServeError> {
        Self::bind_tuned(
            cfg,
            Tuning {
                lambda,
                ..Tuning::default()
            },
        )
        .await
    }

    /// [`Server::bind`] with explicit [`Tuning`].
    pub async fn bind_tuned(cfg: ServeConfig, tuning: Tuning) -> Result<Server, ServeError> {
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
        let mut backends = BackendState::open_with(
            &cfg.data_dir,
            cfg.request_timeout,
            &tuning,
            cfg.backup_url.as_deref(),
            cp.clone(),
        )
        .await?;
        backends.tls = backend_tls.is_some();
        Ok(Server {
            control_listener,
            backend_listener,
            control_addr,
            backend_addr,
            control_tls,
            backend_tls,
            cp,
            backends,
            backup_schedule_tick: tuning.backup_schedule_tick.max(Duration::from_millis(10)),
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

    /// The backend side (GraphQL engine) this server uses.
    pub fn backends(&self) -> &BackendState {
        &self.backends
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
        let upkeep = spawn_metrics_upkeep();
        // One task takes every backend's scheduled backups (no per-backend thread or timer).
        let scheduler = {
            let backends = self.backends.clone();
            let tick = self.backup_schedule_tick;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(tick).await;
                    backends.run_backup_schedules().await;
                }
            })
        };
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
        if let Some(u) = upkeep {
            u.abort();
        }
        scheduler.abort();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_histogram_is_cumulative_prometheus_text() {
        let h = LatencyHistogram::new("t");
        h.record(Duration::from_micros(300));
        h.record(Duration::from_millis(2));
        h.record(Duration::from_secs(20));
        let mut out = String::new();
        h.render(&mut out);
        let line = |le: &str| {
            format!(
                "graphcloud_http_request_duration_seconds_bucket{{listener=\"t\",le=\"{le}\"}} "
            )
        };
        for (le, n) in [
            ("0.0005", 1),
            ("0.001", 1),
            ("0.0025", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            assert!(out.contains(&format!("{}{n}\n", line(le))), "{le}: {out}");
        }
        assert!(out.contains("graphcloud_http_request_duration_seconds_count{listener=\"t\"} 3\n"));
        assert!(
            out.contains("graphcloud_http_request_duration_seconds_sum{listener=\"t\"} 20.0023\n"),
            "{out}"
        );
        assert_eq!(out.lines().count(), LATENCY_BUCKETS.len() + 3);
    }
}
