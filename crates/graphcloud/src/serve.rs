//! `graphcloud serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use graphcloud_server::{ServeConfig, TlsFiles};

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
    /// Log format.
    #[arg(long, env = "GRAPHCLOUD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Secret (≥ 32 bytes) that signs session and deployment tokens. Default: a key generated
    /// into <data-dir>/jwt.key at first start. Needed when several servers share one
    /// PostgreSQL database.
    #[arg(long, env = "GRAPHCLOUD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Where backups live: s3://bucket/prefix (endpoint and credentials from AWS_ENDPOINT_URL,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP), file:///dir or
    /// a directory. Default: <data-dir>/backups.
    #[arg(long, env = "GRAPHCLOUD_BACKUP_URL")]
    backup_url: Option<String>,
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GRAPHCLOUD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
        backup_url: args.backup_url.filter(|u| !u.trim().is_empty()),
    };
    let started = std::time::Instant::now();
    let server = graphcloud_server::Server::bind(cfg)
        .await
        .context("cannot start the server")?;
    tracing::info!(
        startup_ms = started.elapsed().as_millis() as u64,
        "listening: control on {}, backends on {}",
        server.control_addr(),
        server.backend_addr()
    );
    server.run(shutdown_signal()).await;
    Ok(())
}
