//! `graphcloud lambda push|get|delete|logs`: a backend's lambda script.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::ClientOpts;
use super::backend::resolve;
use super::output::{OutputFormat, print_json, text};
use super::session::authenticated;

#[derive(Debug, Args)]
pub struct LambdaArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    #[command(subcommand)]
    pub command: LambdaCommand,
}

#[derive(Debug, Subcommand)]
pub enum LambdaCommand {
    /// Upload a JavaScript file as the backend's lambda script (replaces the previous one).
    ///
    /// The server loads the script before storing it: a syntax error is reported with its
    /// line and column, and the previous script stays active.
    Push {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// The script file (`-` for standard input).
        file: PathBuf,
    },
    /// Print the backend's lambda script.
    Get {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// Write the script to this file instead of standard output.
        #[arg(long = "out", value_name = "FILE")]
        out_file: Option<PathBuf>,
    },
    /// Delete the backend's lambda script; its @lambda fields fail until a new one is pushed.
    Delete {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
    },
    /// Print the lambda's log lines (console output, limit violations, webhook failures).
    Logs {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// How many hours back to read.
        #[arg(long, default_value_t = 1)]
        hours: u32,
    },
}

const UPDATE: &str =
    "mutation UpdateLambda($input: UpdateLambdaInput!) { updateLambda(input: $input) }";
const LOGS: &str = "query LambdaLogs($input: LambdaLogsInput!) { getLambdaLogs(input: $input) }";
const SCRIPTS: &str = "query Deployments { deployments { uid lambdaScript } }";

fn read_script(file: &PathBuf) -> Result<String> {
    let mut src = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut src)
            .context("cannot read the script from standard input")?;
    } else {
        src = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    if src.trim().is_empty() {
        bail!("the script is empty (use `graphcloud lambda delete` to remove a script)");
    }
    Ok(src)
}

pub async fn run(args: LambdaArgs) -> Result<()> {
    let out = args.opts.output;
    // Local input first, before any network round trip.
    let pushed = match &args.command {
        LambdaCommand::Push { file, .. } => Some(read_script(file)?),
        _ => None,
    };
    let api = authenticated(&args.opts)?;
    match args.command {
        LambdaCommand::Push { backend, .. } | LambdaCommand::Delete { backend } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let script = pushed.unwrap_or_default();
            let b64 = base64::engine::general_purpose::STANDARD.encode(script.as_bytes());
            let msg = api
                .field(
                    UPDATE,
                    json!({ "input": { "deploymentID": uid, "tenantID": 0, "lambdaScript": b64 } }),
                    "updateLambda",
                )
                .await
                .map_err(|e| e.context(format!("cannot update the lambda of backend {uid}")))?;
            match out {
                OutputFormat::Json => print_json(&json!({ "uid": uid, "message": msg })),
                OutputFormat::Table => {
                    if script.is_empty() {
                        println!("Deleted the lambda script of backend {uid}.");
                    } else {
                        println!("{} (backend {uid}).", msg.as_str().unwrap_or("done"));
                    }
                    Ok(())
                }
            }
        }
        LambdaCommand::Get { backend, out_file } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let list = api
                .field(SCRIPTS, json!({}), "deployments")
                .await
                .map_err(|e| e.context("cannot read the lambda script"))?;
            let b64 = list
                .as_array()
                .and_then(|l| l.iter().find(|d| text(d, "uid") == uid))
                .map(|d| text(d, "lambdaScript"))
                .unwrap_or_default();
            let script = base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .with_context(|| format!("the server returned a malformed script for {uid}"))?;
            if let Some(path) = out_file {
                std::fs::write(&path, &script)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(());
            }
            match out {
                OutputFormat::Json => print_json(&json!({ "uid": uid, "lambdaScript": script })),
                OutputFormat::Table => {
                    if script.is_empty() {
                        eprintln!("Backend {uid} has no lambda script.");
                    } else {
                        print!("{script}");
                        if !script.ends_with('\n') {
                            println!();
                        }
                    }
                    Ok(())
                }
            }
        }
        LambdaCommand::Logs { backend, hours } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let start = (OffsetDateTime::now_utc() - Duration::hours(i64::from(hours)))
                .format(&Rfc3339)
                .context("cannot format the start time")?;
            let lines = api
                .field(
                    LOGS,
                    json!({ "input": { "deploymentID": uid, "start": start } }),
                    "getLambdaLogs",
                )
                .await
                .map_err(|e| e.context(format!("cannot read the lambda logs of backend {uid}")))?;
            let Value::Array(lines) = lines else {
                bail!("the server returned malformed logs: {lines}");
            };
            match out {
                OutputFormat::Json => print_json(&Value::Array(lines)),
                OutputFormat::Table => {
                    for l in lines {
                        println!("{}", l.as_str().unwrap_or_default());
                    }
                    Ok(())
                }
            }
        }
    }
}
