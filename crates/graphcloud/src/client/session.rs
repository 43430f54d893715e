//! `graphcloud login` / `logout` and the authenticated connection every other command uses.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ClientOpts;
use super::api::{ControlApi, normalize_server};
use super::credentials::{Credentials, Session, credentials_path};
use super::output::{OutputFormat, print_json, render_fields};

const LOGIN_QUERY: &str = "query Login($email: String!, $password: String!) { \
    login(email: $email, password: $password) { token } }";

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    /// E-mail of the account (prompted for when absent).
    #[arg(long, env = "GRAPHCLOUD_EMAIL")]
    pub email: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    /// Forget the sessions of every server, not only --server.
    #[arg(long)]
    pub all: bool,
}

pub async fn login(args: LoginArgs) -> Result<()> {
    let server = normalize_server(&args.opts.server)?;
    let email = match args.email.filter(|e| !e.trim().is_empty()) {
        Some(e) => e.trim().to_string(),
        None => prompt_line("Email: ")?,
    };
    if email.is_empty() {
        bail!("an e-mail is required (--email or GRAPHCLOUD_EMAIL)");
    }
    let password = read_password()?;

    let api = ControlApi::new(&server, None, args.opts.ca_cert.as_deref())?;
    let login = api
        .field(
            LOGIN_QUERY,
            json!({ "email": email, "password": password }),
            "login",
        )
        .await
        .context("login failed")?;
    let token = login
        .get("token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .context("login failed: the server returned no token")?
        .to_string();

    let now = OffsetDateTime::now_utc().format(&Rfc3339)?;
    let session = Session {
        email: email.clone(),
        token,
        logged_in_at: now,
    };
    let expires_at = session.expires_at_unix().and_then(format_unix);
    let path = credentials_path()?;
    let mut creds = Credentials::load(&path)?;
    creds.servers.insert(server.clone(), session);
    creds.save(&path)?;

    match args.opts.output {
        OutputFormat::Json => print_json(&json!({
            "server": server,
            "email": email,
            "expiresAt": expires_at,
        })),
        OutputFormat::Table => {
            let mut fields = vec![("server", server), ("email", email)];
            if let Some(exp) = expires_at {
                fields.push(("expires", exp));
            }
            print!("Logged in.\n{}", render_fields(&fields));
            Ok(())
        }
    }
}

pub fn logout(args: LogoutArgs) -> Result<()> {
    let path = credentials_path()?;
    let mut creds = Credentials::load(&path)?;
    let removed: Vec<String> = if args.all {
        let all = creds.servers.keys().cloned().collect();
        creds.servers.clear();
        all
    } else {
        let server = normalize_server(&args.opts.server)?;
        match creds.servers.remove(&server) {
            Some(_) => vec![server],
            None => Vec::new(),
        }
    };
    if !removed.is_empty() {
        creds.save(&path)?;
    }
    match args.opts.output {
        OutputFormat::Json => print_json(&json!({ "loggedOut": removed })),
        OutputFormat::Table => {
            if removed.is_empty() {
                println!("Not logged in; nothing to do.");
            }
            for server in removed {
                println!("Logged out of {server}.");
            }
            Ok(())
        }
    }
}

/// A connection carrying the stored session token of `opts.server`.
pub fn authenticated(opts: &ClientOpts) -> Result<ControlApi> {
    let server = normalize_server(&opts.server)?;
    let path = credentials_path()?;
    let creds = Credentials::load(&path)?;
    let Some(session) = creds.servers.get(&server) else {
        bail!("not logged in to {server}: run `graphcloud login --server {server}` first");
    };
    if let Some(exp) = session.expires_at_unix()
        && exp <= OffsetDateTime::now_utc().unix_timestamp()
    {
        bail!(
            "the session for {server} expired at {}: run `graphcloud login --server {server}` again",
            format_unix(exp).unwrap_or_else(|| exp.to_string())
        );
    }
    ControlApi::new(
        &server,
        Some(session.token.clone()),
        opts.ca_cert.as_deref(),
    )
}

fn format_unix(secs: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("GRAPHCLOUD_PASSWORD")
        && !p.is_empty()
    {
        return Ok(p);
    }
    let password = rpassword::prompt_password("Password: ").context(
        "cannot read the password (set GRAPHCLOUD_PASSWORD when no terminal is attached)",
    )?;
    if password.is_empty() {
        bail!("an empty password was given");
    }
    Ok(password)
}

fn prompt_line(prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("an e-mail is required: pass --email (or GRAPHCLOUD_EMAIL)");
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}
