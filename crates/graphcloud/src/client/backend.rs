//! `graphcloud backend list|create|update|destroy`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use super::ClientOpts;
use super::api::ControlApi;
use super::output::{OutputFormat, Table, cell, print_json, render_fields, text};
use super::session::authenticated;

/// Fields requested for every deployment.
const DEPLOYMENT_FIELDS: &str = "uid name zone url subdomain owner jwtToken deploymentMode deploymentType anonymousAccess backupSchedule { fullEveryHours incrementalEveryHours retention }";

#[derive(Debug, Args)]
pub struct BackendArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    #[command(subcommand)]
    pub command: BackendCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    Readonly,
    Graphql,
    Flexible,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Tier {
    Free,
    Shared,
    Dedicated,
}

/// What requests without a key may do on a backend's `/graphql`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Anonymous {
    /// Nothing: every request needs a key.
    None,
    /// Queries only.
    Read,
    /// Queries and mutations.
    Readwrite,
}

fn anonymous_name(a: Anonymous) -> &'static str {
    match a {
        Anonymous::None => "none",
        Anonymous::Read => "read",
        Anonymous::Readwrite => "readwrite",
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Readonly => "readonly",
        Mode::Graphql => "graphql",
        Mode::Flexible => "flexible",
    }
}

fn tier_name(t: Tier) -> &'static str {
    match t {
        Tier::Free => "free",
        Tier::Shared => "shared",
        Tier::Dedicated => "dedicated",
    }
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// List the backends you own or share through an organization.
    List,
    /// Launch a new backend; it answers at once.
    Create {
        /// Display name of the backend.
        name: String,
        /// Requested subdomain (a DNS label); derived from the name when absent.
        #[arg(long)]
        subdomain: Option<String>,
        /// Zone (region) label, e.g. us-east-1.
        #[arg(long)]
        zone: Option<String>,
        /// Schema mode.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Tier.
        #[arg(long = "type", value_enum)]
        tier: Option<Tier>,
        /// Uid of the organization that owns the backend.
        #[arg(long)]
        org: Option<String>,
        /// What requests without a key may do on /graphql (default: none).
        #[arg(long, value_enum)]
        anonymous_access: Option<Anonymous>,
    },
    /// Change a backend's name, schema mode or organization.
    Update {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New schema mode.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Uid of the organization to move the backend to.
        #[arg(long)]
        org: Option<String>,
        /// What requests without a key may do on /graphql.
        #[arg(long, value_enum)]
        anonymous_access: Option<Anonymous>,
        /// Scheduled backups: a full backup every this many hours (0 removes the schedule).
        #[arg(long, value_name = "HOURS")]
        full_backup_every: Option<i64>,
        /// Scheduled backups: an incremental backup every this many hours (0 = none).
        #[arg(long, value_name = "HOURS", requires = "full_backup_every")]
        incremental_backup_every: Option<i64>,
        /// Scheduled backups: how many backup chains (a full backup and its incrementals)
        /// to keep; older chains are deleted (0 = keep all).
        #[arg(long, value_name = "CHAINS", requires = "full_backup_every")]
        backup_retention: Option<i64>,
    },
    /// Destroy a backend and all of its data. This cannot be undone.
    Destroy {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// Do not ask for confirmation (required when no terminal is attached).
        #[arg(short = 'y', long)]
        yes: bool,
    },
}

pub async fn run(args: BackendArgs) -> Result<()> {
    let api = authenticated(&args.opts)?;
    let out = args.opts.output;
    match args.command {
        BackendCommand::List => list(&api, out).await,
        BackendCommand::Create {
            name,
            subdomain,
            zone,
            mode,
            tier,
            org,
            anonymous_access,
        } => {
            let mut input = Map::new();
            input.insert("name".into(), json!(name));
            if let Some(s) = subdomain {
                input.insert("subdomain".into(), json!(s));
            }
            if let Some(z) = zone {
                input.insert("zone".into(), json!(z));
            }
            if let Some(m) = mode {
                input.insert("deploymentMode".into(), json!(mode_name(m)));
            }
            if let Some(t) = tier {
                input.insert("deploymentType".into(), json!(tier_name(t)));
            }
            if let Some(o) = org {
                input.insert("organizationUID".into(), json!(o));
            }
            if let Some(a) = anonymous_access {
                input.insert("anonymousAccess".into(), json!(anonymous_name(a)));
            }
            let query = format!(
                "mutation Create($input: NewDeployment!) {{ createDeployment(input: $input) {{ {DEPLOYMENT_FIELDS} }} }}"
            );
            let created = api
                .field(&query, json!({ "input": input }), "createDeployment")
                .await
                .map_err(|e| e.context("cannot create the backend"))?;
            match out {
                OutputFormat::Json => print_json(&created),
                OutputFormat::Table => {
                    print!("Backend created.\n{}", deployment_fields(&created, true));
                    Ok(())
                }
            }
        }
        BackendCommand::Update {
            backend,
            name,
            mode,
            org,
            anonymous_access,
            full_backup_every,
            incremental_backup_every,
            backup_retention,
        } => {
            if name.is_none()
                && mode.is_none()
                && org.is_none()
                && anonymous_access.is_none()
                && full_backup_every.is_none()
            {
                bail!(
                    "nothing to update: pass --name, --mode, --org, --anonymous-access or --full-backup-every"
                );
            }
            let found = resolve(&api, &backend).await?;
            let uid = text(&found, "uid");
            let mut input = Map::new();
            input.insert("uid".into(), json!(uid));
            if let Some(n) = name {
                input.insert("name".into(), json!(n));
            }
            if let Some(m) = mode {
                input.insert("deploymentMode".into(), json!(mode_name(m)));
            }
            if let Some(o) = org {
                input.insert("organizationUID".into(), json!(o));
            }
            if let Some(a) = anonymous_access {
                input.insert("anonymousAccess".into(), json!(anonymous_name(a)));
            }
            if let Some(full) = full_backup_every {
                input.insert(
                    "backupSchedule".into(),
                    json!({
                        "fullEveryHours": full,
                        "incrementalEveryHours": incremental_backup_every.unwrap_or(0),
                        "retention": backup_retention.unwrap_or(0),
                    }),
                );
            }
            let message = api
                .field(
                    "mutation Update($input: UpdateDeploymentInput!) { updateDeployment(input: $input) }",
                    json!({ "input": input }),
                    "updateDeployment",
                )
                .await
                .map_err(|e| e.context(format!("cannot update backend {uid}")))?;
            let after = find(&list_all(&api).await?, &uid);
            match out {
                OutputFormat::Json => print_json(&json!({
                    "uid": uid,
                    "message": message,
                    "backend": after,
                })),
                OutputFormat::Table => {
                    println!("{}", message.as_str().unwrap_or("Updated."));
                    if let Some(after) = after {
                        print!("{}", deployment_fields(&after, false));
                    }
                    Ok(())
                }
            }
        }
        BackendCommand::Destroy { backend, yes } => {
            let found = resolve(&api, &backend).await?;
            let uid = text(&found, "uid");
            let name = text(&found, "name");
            if !yes {
                confirm_destroy(&uid, &name)?;
            }
            let message = api
                .field(
                    "mutation Delete($id: String!) { deleteDeployment(deploymentID: $id) }",
                    json!({ "id": uid }),
                    "deleteDeployment",
                )
                .await
                .map_err(|e| e.context(format!("cannot destroy backend {uid}")))?;
            match out {
                OutputFormat::Json => print_json(&json!({
                    "uid": uid,
                    "name": name,
                    "message": message,
                })),
                OutputFormat::Table => {
                    println!("Destroyed backend {uid} ({name}).");
                    Ok(())
                }
            }
        }
    }
}

async fn list(api: &ControlApi, out: OutputFormat) -> Result<()> {
    let all = list_all(api).await?;
    match out {
        OutputFormat::Json => print_json(&Value::Array(all)),
        OutputFormat::Table => {
            if all.is_empty() {
                println!("No backends. Create one with `graphcloud backend create NAME`.");
                return Ok(());
            }
            let mut table = Table::new(&["UID", "NAME", "URL", "ZONE", "MODE", "TYPE"]);
            for d in &all {
                table.row(vec![
                    cell(d, "uid"),
                    cell(d, "name"),
                    cell(d, "url"),
                    cell(d, "zone"),
                    cell(d, "deploymentMode"),
                    cell(d, "deploymentType"),
                ]);
            }
            print!("{}", table.render());
            Ok(())
        }
    }
}

/// Every deployment visible to the caller.
pub async fn list_all(api: &ControlApi) -> Result<Vec<Value>> {
    let query = format!("query Deployments {{ deployments {{ {DEPLOYMENT_FIELDS} }} }}");
    let list = api
        .field(&query, json!({}), "deployments")
        .await
        .map_err(|e| e.context("cannot list backends"))?;
    match list {
        Value::Array(items) => Ok(items.into_iter().filter(|v| v.is_object()).collect()),
        other => bail!("the server returned a malformed deployment list: {other}"),
    }
}

fn find(all: &[Value], uid: &str) -> Option<Value> {
    all.iter().find(|d| text(d, "uid") == uid).cloned()
}

/// Finds a backend by uid, subdomain or URL (with or without scheme, port and path).
pub async fn resolve(api: &ControlApi, spec: &str) -> Result<Value> {
    let all = list_all(api).await?;
    match match_backend(&all, spec) {
        Some(found) => Ok(found.clone()),
        None => bail!(
            "no backend {spec:?} among your backends (address one by uid, subdomain or URL; \
             `graphcloud backend list` shows them)"
        ),
    }
}

fn match_backend<'a>(all: &'a [Value], spec: &str) -> Option<&'a Value> {
    let spec = spec.trim();
    if spec.is_empty() {
        return None;
    }
    if let Some(d) = all.iter().find(|d| text(d, "uid") == spec) {
        return Some(d);
    }
    // URL forms: strip scheme and path, then compare host[:port].
    let without_scheme = spec.split_once("://").map_or(spec, |(_, rest)| rest);
    let host_port = without_scheme.split('/').next().unwrap_or_default();
    let host_port = host_port.to_ascii_lowercase();
    if let Some(d) = all.iter().find(|d| text(d, "url") == host_port) {
        return Some(d);
    }
    let host = host_port.split(':').next().unwrap_or_default();
    if let Some(d) = all
        .iter()
        .find(|d| text(d, "url").split(':').next() == Some(host))
    {
        return Some(d);
    }
    all.iter().find(|d| {
        let sub = text(d, "subdomain");
        let first_label = text(d, "url")
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        (!sub.is_empty() && sub == host) || (!first_label.is_empty() && first_label == host)
    })
}

fn deployment_fields(d: &Value, with_token: bool) -> String {
    let mut fields = vec![
        ("uid", text(d, "uid")),
        ("name", text(d, "name")),
        ("url", text(d, "url")),
        ("subdomain", text(d, "subdomain")),
        ("zone", text(d, "zone")),
        ("mode", text(d, "deploymentMode")),
        ("type", text(d, "deploymentType")),
        ("anonymous", text(d, "anonymousAccess")),
    ];
    let s = &d["backupSchedule"];
    if s.is_object() {
        fields.push((
            "backups",
            format!(
                "full every {} h, incremental every {} h, keep {}",
                s["fullEveryHours"],
                s["incrementalEveryHours"],
                if s["retention"] == 0 {
                    "all".to_string()
                } else {
                    format!("{} chains", s["retention"])
                }
            ),
        ));
    }
    if with_token {
        fields.push(("jwtToken", text(d, "jwtToken")));
    }
    render_fields(&fields)
}

fn confirm_destroy(uid: &str, name: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing to destroy backend {uid} without confirmation: pass --yes");
    }
    eprint!("This destroys backend {uid} ({name}) and all of its data. Type its uid to confirm: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if line.trim() != uid {
        bail!("aborted: the confirmation did not match {uid}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Value> {
        vec![
            json!({"uid": "0x1", "name": "One", "url": "one.localhost:8080", "subdomain": "one"}),
            json!({"uid": "0x2", "name": "Two", "url": "two.localhost:8080", "subdomain": "two"}),
        ]
    }

    #[test]
    fn backends_match_by_uid_subdomain_and_url() {
        let all = sample();
        let uid_of = |spec: &str| match_backend(&all, spec).map(|d| text(d, "uid"));
        assert_eq!(uid_of("0x2").as_deref(), Some("0x2"));
        assert_eq!(uid_of("one").as_deref(), Some("0x1"));
        assert_eq!(uid_of("two.localhost:8080").as_deref(), Some("0x2"));
        assert_eq!(
            uid_of("https://two.localhost:8080/graphql").as_deref(),
            Some("0x2")
        );
        assert_eq!(uid_of("two.localhost").as_deref(), Some("0x2"));
        assert_eq!(uid_of("0x3"), None);
        assert_eq!(uid_of("three"), None);
        assert_eq!(uid_of(""), None);
    }
}
