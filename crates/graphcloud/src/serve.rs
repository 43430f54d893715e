//! `graphcloud serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use graphcloud_server::{ServeConfig, TlsFiles, Tuning};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Run the server.
///
/// Serves the control plane (GraphQL API at /graphql, the slash-graphql CLI's REST paths,
/// /metrics) on --control-addr and every backend on --backend-addr, reachable as
/// http(s)://<subdomain>.<base-domain>:<port>/graphql or, without DNS, as
/// http(s)://<backend-addr>/backends/<subdomain>/graphql. Everything is stored under
/// --data-dir (SQLite by default; PostgreSQL with --database-url). Stops gracefully on
/// SIGINT/SIGTERM. Every flag can also be set as an environment variable GRAPHCLOUD_<FLAG>.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory for all data (created if missing).
    #[arg(long, env = "GRAPHCLOUD_DATA_DIR", default_value = "./graphcloud-data")]
    data_dir: PathBuf,
    /// Address of the control-plane listener.
    #[arg(
        long,
        env = "GRAPHCLOUD_CONTROL_ADDR",
        default_value = "127.0.0.1:8070"
    )]
    control_addr: SocketAddr,
    /// Address of the backend listener.
    #[arg(
        long,
        env = "GRAPHCLOUD_BACKEND_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    backend_addr: SocketAddr,
    /// Domain of backend URLs: each backend is <subdomain>.<base-domain>.
    #[arg(long, env = "GRAPHCLOUD_BASE_DOMAIN", default_value = "localhost")]
    base_domain: String,
    /// PostgreSQL URL (postgres://…) for control-plane metadata instead of SQLite in the
    /// data directory.
    #[arg(long, env = "GRAPHCLOUD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// PEM certificate chain for TLS on the backend listener (with --tls-key).
    #[arg(long, env = "GRAPHCLOUD_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS on the backend listener (with --tls-cert).
    #[arg(long, env = "GRAPHCLOUD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM certificate chain for TLS on the control listener (with --control-tls-key).
    #[arg(
        long,
        env = "GRAPHCLOUD_CONTROL_TLS_CERT",
        requires = "control_tls_key"
    )]
    control_tls_cert: Option<PathBuf>,
    /// PEM private key for TLS on the control listener (with --control-tls-cert).
    #[arg(
        long,
        env = "GRAPHCLOUD_CONTROL_TLS_KEY",
        requires = "control_tls_cert"
    )]
    control_tls_key: Option<PathBuf>,
    /// Page cache of the graph store in MiB, shared by every backend. Resident memory under
    /// sustained load levels off at about this plus a constant.
    #[arg(
        long,
        env = "GRAPHCLOUD_CACHE_SIZE_MB",
        default_value_t = graphcloud_server::DEFAULT_GRAPH_CACHE_MB as u32,
        value_parser = clap::value_parser!(u32).range(1..=1_048_576)
    )]
    cache_size_mb: u32,
    /// Cache of decoded nodes in MiB, shared by every backend: repeated reads of the same
    /// nodes skip the graph store's pages. Writes invalidate exactly what they change, so it
    /// never serves stale data. 0 turns it off.
    #[arg(
        long,
        env = "GRAPHCLOUD_NODE_CACHE_MB",
        default_value_t = graphcloud_server::DEFAULT_NODE_CACHE_MB as u32,
        value_parser = clap::value_parser!(u32).range(0..=1_048_576)
    )]
    node_cache_mb: u32,
    /// Which executor answers queries: `compiled` (plans cached per query text, response
    /// written directly; anything a plan does not cover falls back to the generic executor)
    /// or `generic` (every query on the generic executor). Both give identical responses;
    /// `generic` exists for comparisons and diagnosis.
    #[arg(long, env = "GRAPHCLOUD_QUERY_PATH", default_value = "compiled", value_parser = ["compiled", "generic"])]
    query_path: String,
    /// Log format.
    #[arg(long, env = "GRAPHCLOUD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Secret (≥ 32 bytes) that signs session and deployment tokens. Default: a key generated
    /// into <data-dir>/jwt.key at first start. Needed when several servers share one
    /// PostgreSQL database.
    #[arg(long, env = "GRAPHCLOUD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Seconds one backend GraphQL request may run; past it the request's work is stopped
    /// and it is answered with a JSON error. Work also stops when the client disconnects.
    #[arg(
        long,
        env = "GRAPHCLOUD_REQUEST_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 30.0,
        value_parser = parse_timeout
    )]
    request_timeout: f64,
    /// Where backups live: s3://bucket/prefix (endpoint and credentials from AWS_ENDPOINT_URL,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP), file:///dir or
    /// a directory. Default: <data-dir>/backups.
    #[arg(long, env = "GRAPHCLOUD_BACKUP_URL")]
    backup_url: Option<String>,
    /// Hours an export's signed download URLs stay valid.
    #[arg(
        long,
        env = "GRAPHCLOUD_EXPORT_URL_TTL_HOURS",
        value_name = "HOURS",
        default_value_t = 48
    )]
    export_url_ttl_hours: u64,
    /// Seconds `export` waits for its files before answering with an export id to poll
    /// with `exportStatus` instead of the download URLs (0 = always poll).
    #[arg(
        long,
        env = "GRAPHCLOUD_EXPORT_SYNC_WAIT",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    export_sync_wait: u64,
    /// Seconds between two looks of the backup scheduler for due scheduled backups.
    #[arg(
        long,
        env = "GRAPHCLOUD_BACKUP_SCHEDULE_TICK",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    backup_schedule_tick: u64,
    /// Let lambda `fetch` (and `@custom` HTTP fields) reach private, loopback and link-local
    /// addresses. For local development only.
    #[arg(long, env = "GRAPHCLOUD_ALLOW_PRIVATE_NETWORK")]
    allow_private_network: bool,
    /// Hosts lambda `fetch` may reach, comma-separated (`api.example.com,*.example.org`).
    /// Default: any public host.
    #[arg(long, env = "GRAPHCLOUD_LAMBDA_FETCH_ALLOW", value_delimiter = ',')]
    lambda_fetch_allow: Vec<String>,
    /// Wall-time limit of one lambda call, in milliseconds.
    #[arg(long, env = "GRAPHCLOUD_LAMBDA_TIMEOUT_MS", default_value_t = 1000)]
    lambda_timeout_ms: u64,
    /// Heap limit of one lambda sandbox, in MiB.
    #[arg(long, env = "GRAPHCLOUD_LAMBDA_MEMORY_MB", default_value_t = 64)]
    lambda_memory_mb: usize,
    /// Stack limit of one lambda sandbox, in KiB.
    #[arg(long, env = "GRAPHCLOUD_LAMBDA_STACK_KB", default_value_t = 512)]
    lambda_stack_kb: usize,
    /// Lambda calls of one deployment running at once.
    #[arg(long, env = "GRAPHCLOUD_LAMBDA_CONCURRENCY", default_value_t = 2)]
    lambda_concurrency: usize,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400"
        )),
    }
}

/// Whether text logs get terminal colour codes: only when they go to a terminal and
/// `NO_COLOR` is unset or empty (<https://no-color.org>).
pub(crate) fn use_colour(is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GRAPHCLOUD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let ansi = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR"),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let pair = |c: Option<PathBuf>, k: Option<PathBuf>| match (c, k) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (None, None) => Ok(None),
        _ => bail!("a TLS certificate needs its key and vice versa"),
    };
    let cfg = ServeConfig {
        data_dir: args.data_dir,
        database_url: args.database_url.filter(|u| !u.trim().is_empty()),
        control_addr: args.control_addr,
        backend_addr: args.backend_addr,
        base_domain: args.base_domain,
        tls: pair(args.tls_cert, args.tls_key)?,
        control_tls: pair(args.control_tls_cert, args.control_tls_key)?,
        jwt_secret: args.jwt_secret.filter(|s| !s.is_empty()),
        request_timeout: std::time::Duration::from_secs_f64(args.request_timeout),
        backup_url: args.backup_url.filter(|u| !u.trim().is_empty()),
    };
    let lambda = graphcloud_server::LambdaConfig {
        timeout: std::time::Duration::from_millis(args.lambda_timeout_ms.max(1)),
        memory_limit: args.lambda_memory_mb.max(1) * 1024 * 1024,
        // The sandbox runs on 2 MiB blocking threads; keep headroom for the host's frames.
        max_stack: (args.lambda_stack_kb.max(64) * 1024).min(1536 * 1024),
        max_concurrency: args.lambda_concurrency.max(1),
        fetch_allow: args
            .lambda_fetch_allow
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        allow_private_network: args.allow_private_network,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let tuning = Tuning {
        graph_cache_bytes: args.cache_size_mb as usize * 1024 * 1024,
        node_cache_bytes: args.node_cache_mb as usize * 1024 * 1024,
        lambda,
        compiled_queries: args.query_path == "compiled",
        export_url_ttl: std::time::Duration::from_secs(args.export_url_ttl_hours.max(1) * 3600),
        export_sync_wait: std::time::Duration::from_secs(args.export_sync_wait),
        backup_schedule_tick: std::time::Duration::from_secs(args.backup_schedule_tick.max(1)),
    };
    let server = graphcloud_server::Server::bind_tuned(cfg, tuning)
        .await
        .context("cannot start the server")?;
    tracing::info!(
        startup_ms = started.elapsed().as_millis() as u64,
        graph_cache_mb = args.cache_size_mb,
        node_cache_mb = args.node_cache_mb,
        "listening: control on {}, backends on {}",
        server.control_addr(),
        server.backend_addr()
    );
    server.run(shutdown_signal()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{parse_timeout, use_colour};

    #[test]
    fn request_timeout_is_a_positive_number_of_seconds() {
        assert_eq!(parse_timeout("30"), Ok(30.0));
        assert_eq!(parse_timeout("0.5"), Ok(0.5));
        for bad in ["0", "-1", "abc", "inf", "NaN", "100000"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".into())));
        assert!(!use_colour(true, Some("1".into())));
        assert!(!use_colour(false, None));
        assert!(!use_colour(false, Some("".into())));
    }
}
