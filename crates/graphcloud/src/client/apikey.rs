//! `graphcloud apikey create|list|revoke`.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::ClientOpts;
use super::backend::resolve;
use super::output::{OutputFormat, Table, cell, print_json, render_fields, text};
use super::session::authenticated;

#[derive(Debug, Args)]
pub struct ApikeyArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    #[command(subcommand)]
    pub command: ApikeyCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    /// `/graphql` (and DQL queries and mutations).
    Client,
    /// Everything a client key may do, plus `/admin` and `/admin/slash`.
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create an API key for a backend. The secret is shown only once.
    Create {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// A name that tells the key apart in listings.
        #[arg(long, default_value = "graphcloud-cli")]
        name: String,
        /// What the key may reach.
        #[arg(long, value_enum, default_value = "client")]
        role: Role,
        /// Expiry as an RFC 3339 timestamp, e.g. 2027-01-01T00:00:00Z.
        #[arg(long, conflicts_with = "expires_in")]
        expires_at: Option<String>,
        /// Expiry relative to now: a number followed by s, m, h or d (e.g. 30d).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List a backend's API keys (never their secrets).
    List {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
    },
    /// Revoke an API key; requests using it are refused from now on.
    Revoke {
        /// The backend: uid (0x…), subdomain or URL.
        backend: String,
        /// The key's uid, as shown by `graphcloud apikey list`.
        key_id: String,
    },
}

const CREATE: &str = "mutation CreateKey($id: String!, $name: String!, $role: String!, $exp: DateTime) { \
    createDeploymentAPIKey(deploymentID: $id, name: $name, role: $role, expiresAt: $exp) { \
    uid name role key createdAt expiresAt } }";
const LIST: &str = "query Keys($id: String!) { getDeploymentAPIKeys(deploymentID: $id) { \
    uid name role prefix createdAt expiresAt lastUsedAt } }";
const REVOKE: &str = "mutation RevokeKey($id: String!, $key: String!) { \
    deleteDeploymentAPIKey(deploymentID: $id, keyID: $key) }";

pub async fn run(args: ApikeyArgs) -> Result<()> {
    let out = args.opts.output;
    // Validate local input before any network round trip.
    let expires_at = match &args.command {
        ApikeyCommand::Create {
            expires_at,
            expires_in,
            ..
        } => expiry(
            expires_at.as_deref(),
            expires_in.as_deref(),
            OffsetDateTime::now_utc(),
        )?,
        _ => None,
    };
    let api = authenticated(&args.opts)?;
    match args.command {
        ApikeyCommand::Create {
            backend,
            name,
            role,
            ..
        } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let role = match role {
                Role::Client => "client",
                Role::Admin => "admin",
            };
            let key = api
                .field(
                    CREATE,
                    json!({ "id": uid, "name": name, "role": role, "exp": expires_at }),
                    "createDeploymentAPIKey",
                )
                .await
                .map_err(|e| e.context(format!("cannot create an API key for backend {uid}")))?;
            match out {
                OutputFormat::Json => print_json(&key),
                OutputFormat::Table => {
                    print!(
                        "{}",
                        render_fields(&[
                            ("uid", text(&key, "uid")),
                            ("name", text(&key, "name")),
                            ("role", text(&key, "role")),
                            ("created", text(&key, "createdAt")),
                            ("expires", or_never(text(&key, "expiresAt"))),
                            ("key", text(&key, "key")),
                        ])
                    );
                    eprintln!("Keep the key now: it cannot be shown again.");
                    Ok(())
                }
            }
        }
        ApikeyCommand::List { backend } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let keys = api
                .field(LIST, json!({ "id": uid }), "getDeploymentAPIKeys")
                .await
                .map_err(|e| e.context(format!("cannot list the API keys of backend {uid}")))?;
            let Value::Array(keys) = keys else {
                bail!("the server returned a malformed key list: {keys}");
            };
            match out {
                OutputFormat::Json => print_json(&Value::Array(keys)),
                OutputFormat::Table => {
                    if keys.is_empty() {
                        println!("Backend {uid} has no API keys.");
                        return Ok(());
                    }
                    let mut table = Table::new(&[
                        "UID",
                        "NAME",
                        "ROLE",
                        "PREFIX",
                        "CREATED",
                        "EXPIRES",
                        "LAST USED",
                    ]);
                    for k in &keys {
                        table.row(vec![
                            cell(k, "uid"),
                            cell(k, "name"),
                            cell(k, "role"),
                            cell(k, "prefix"),
                            cell(k, "createdAt"),
                            or_never(text(k, "expiresAt")),
                            cell(k, "lastUsedAt"),
                        ]);
                    }
                    print!("{}", table.render());
                    Ok(())
                }
            }
        }
        ApikeyCommand::Revoke { backend, key_id } => {
            let uid = text(&resolve(&api, &backend).await?, "uid");
            let result = api
                .graphql(REVOKE, json!({ "id": uid, "key": key_id }))
                .await
                .map_err(|e| e.context(format!("cannot revoke key {key_id} of backend {uid}")))?;
            let answer = result
                .get("deleteDeploymentAPIKey")
                .cloned()
                .unwrap_or(Value::Null);
            if answer.is_null() || answer == Value::Bool(false) {
                bail!("cannot revoke key {key_id} of backend {uid}: the server did not confirm it");
            }
            match out {
                OutputFormat::Json => print_json(&json!({
                    "uid": uid,
                    "keyID": key_id,
                    "result": answer,
                })),
                OutputFormat::Table => {
                    println!("Revoked API key {key_id} of backend {uid}.");
                    Ok(())
                }
            }
        }
    }
}

fn or_never(s: String) -> String {
    if s.is_empty() { "never".to_string() } else { s }
}

/// The `expiresAt` value to send, from `--expires-at` or `--expires-in`.
fn expiry(at: Option<&str>, within: Option<&str>, now: OffsetDateTime) -> Result<Option<String>> {
    if let Some(at) = at {
        let parsed = OffsetDateTime::parse(at.trim(), &Rfc3339)
            .with_context(|| format!("--expires-at {at:?} is not an RFC 3339 timestamp"))?;
        if parsed <= now {
            bail!("--expires-at {at:?} is in the past");
        }
        return Ok(Some(parsed.format(&Rfc3339)?));
    }
    if let Some(within) = within {
        let duration = parse_duration(within)?;
        return Ok(Some((now + duration).format(&Rfc3339)?));
    }
    Ok(None)
}

fn parse_duration(raw: &str) -> Result<Duration> {
    let raw = raw.trim();
    let bad = || {
        anyhow::anyhow!(
            "--expires-in {raw:?}: expected a number followed by s, m, h or d (e.g. 30d)"
        )
    };
    let unit = raw.chars().last().ok_or_else(bad)?;
    let number: i64 = raw[..raw.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    if number <= 0 {
        return Err(bad());
    }
    let d = match unit {
        's' => Duration::seconds(number),
        'm' => Duration::minutes(number),
        'h' => Duration::hours(number),
        'd' => Duration::days(number),
        _ => return Err(bad()),
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_duration("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_duration("90m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("5s").unwrap(), Duration::seconds(5));
        for bad in ["", "d", "10", "-1d", "0h", "3w", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expiry_is_absolute_or_relative() {
        let now = datetime!(2026-11-27 12:00 UTC);
        assert_eq!(expiry(None, None, now).unwrap(), None);
        assert_eq!(
            expiry(None, Some("1d"), now).unwrap().as_deref(),
            Some("2026-11-28T12:00:00Z")
        );
        assert_eq!(
            expiry(Some("2027-01-01T00:00:00+01:00"), None, now)
                .unwrap()
                .as_deref(),
            Some("2027-01-01T00:00:00+01:00")
        );
        assert!(expiry(Some("2020-01-01T00:00:00Z"), None, now).is_err());
        assert!(expiry(Some("tomorrow"), None, now).is_err());
    }
}
