//! The client commands of the `graphcloud` binary: `login`, `logout`, `backend`, `apikey`,
//! `org`, `lambda` and `import`. They talk to a running server's control-plane GraphQL endpoint over HTTP and
//! keep the session token in a local credentials file (see [`credentials`]).
//!
//! This module only parses flags, calls the server and prints results: tables for people,
//! `-o json` for scripts, errors on stderr with a non-zero exit status (the caller's
//! `anyhow` error path). It holds no business rules of its own.

mod api;
mod apikey;
mod backend;
mod credentials;
mod import;
mod lambda;
mod org;
mod output;
mod session;

use clap::{Args, Subcommand};

pub use output::OutputFormat;

/// Default control-plane URL (the address `graphcloud serve` listens on by default).
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8070";

/// Options shared by every client command.
#[derive(Debug, Clone, Args)]
pub struct ClientOpts {
    /// URL of the graphcloud control plane.
    #[arg(long, global = true, env = "GRAPHCLOUD_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,
    /// Output format: `table` for people, `json` for scripts.
    #[arg(
        short = 'o',
        long = "output",
        global = true,
        value_enum,
        env = "GRAPHCLOUD_OUTPUT",
        default_value_t = OutputFormat::Table
    )]
    pub output: OutputFormat,
    /// PEM file with an extra CA certificate to trust for an https:// server (for a
    /// server whose certificate comes from a private CA).
    #[arg(long, global = true, env = "GRAPHCLOUD_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,
}

/// The client subcommands, flattened into the binary's top-level command list.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Sign in to a graphcloud server and keep the session token locally.
    ///
    /// The password is read from GRAPHCLOUD_PASSWORD, else prompted for without echo.
    /// The token is stored per server URL in $XDG_CONFIG_HOME/graphcloud/credentials.json
    /// (mode 0600).
    Login(session::LoginArgs),
    /// Forget the stored session token of a server (or of every server with --all).
    Logout(session::LogoutArgs),
    /// List, create, update and destroy backends.
    ///
    /// A backend is addressed by its uid (0x…), its subdomain or its URL.
    Backend(backend::BackendArgs),
    /// Create, list and revoke the API keys of a backend.
    Apikey(apikey::ApikeyArgs),
    /// List and create organizations and manage their members.
    Org(org::OrgArgs),
    /// Push, read and delete a backend's lambda script, and read its logs.
    Lambda(lambda::LambdaArgs),
    /// Load a Dgraph export (JSON or RDF, gzip or not, with its GraphQL schema) into a
    /// backend, all or nothing, showing progress.
    ///
    /// Nodes of the export become new nodes of the backend (existing data stays).
    Import(import::ImportArgs),
}

/// Runs one client command.
pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Login(args) => session::login(args).await,
        ClientCommand::Logout(args) => session::logout(args),
        ClientCommand::Backend(args) => backend::run(args).await,
        ClientCommand::Apikey(args) => apikey::run(args).await,
        ClientCommand::Org(args) => org::run(args).await,
        ClientCommand::Lambda(args) => lambda::run(args).await,
        ClientCommand::Import(args) => import::run(args).await,
    }
}
