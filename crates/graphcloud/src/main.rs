//! `graphcloud`: a self-hostable GraphQL backend platform compatible with Dgraph Cloud
//! clients. One binary: `serve` runs the server; the other subcommands manage it.

mod client;
mod serve;
mod user;

use clap::{Parser, Subcommand};

/// graphcloud — run and manage a self-hosted, Dgraph Cloud–compatible GraphQL backend platform.
///
/// Start a server with `graphcloud serve`, create the first account with
/// `graphcloud user create --email you@example.com`, then log in from any Dgraph Cloud client
/// (or the `slash-graphql` CLI with `--environment dev`) against the control address.
#[derive(Debug, Parser)]
#[command(name = "graphcloud", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The global allocator: mimalloc (per-thread free lists, no arena lock contention between
/// the executor's blocking threads; see README "Allocator" for the measurements).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: the control plane and every backend, on embedded defaults.
    Serve(Box<serve::ServeArgs>),
    /// Manage user accounts directly in the data directory (works with or without a
    /// running server).
    #[command(subcommand)]
    User(user::UserCommand),
    #[command(flatten)]
    Client(client::ClientCommand),
}

/// glibc's malloc keeps up to 8 arenas per core, and memory freed in one arena is not reused
/// by threads of another; under many concurrent requests that fragmentation measured about
/// 60–70 MiB of extra resident memory (`graphcloud-bench soak`, README). One arena per core
/// keeps it bounded. An explicit `MALLOC_ARENA_MAX` in the environment wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: called first thing in `main`, before any other thread exists; mallopt only
    // changes a tuning parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}

fn main() -> std::process::ExitCode {
    bound_malloc_arenas();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::User(cmd) => user::run(cmd).await,
            Command::Client(cmd) => client::run(cmd).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
