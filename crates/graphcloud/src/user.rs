//! `graphcloud user …`: account management straight on the metadata store.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use graphcloud_control::{ControlConfig, ControlPlane};
use time::format_description::well_known::Rfc3339;

/// Where the accounts live.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory of the server.
    #[arg(long, env = "GRAPHCLOUD_DATA_DIR", default_value = "./graphcloud-data")]
    data_dir: PathBuf,
    /// PostgreSQL URL if the server uses one (--database-url of `serve`).
    #[arg(long, env = "GRAPHCLOUD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password comes from GRAPHCLOUD_PASSWORD, else it is prompted
    /// for (twice, without echo).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Email address (the login name).
        #[arg(long, env = "GRAPHCLOUD_EMAIL")]
        email: String,
        /// Display name (default: the part of the email before '@').
        #[arg(long, env = "GRAPHCLOUD_NAME")]
        name: Option<String>,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a new password (from GRAPHCLOUD_PASSWORD, else prompted). Signs the user out
    /// everywhere.
    Passwd {
        #[command(flatten)]
        store: StoreArgs,
        /// Email address of the account.
        #[arg(long, env = "GRAPHCLOUD_EMAIL")]
        email: String,
    },
    /// Delete an account (refused while it owns backends or created organizations).
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        /// Email address of the account.
        #[arg(long, env = "GRAPHCLOUD_EMAIL")]
        email: String,
    },
}

async fn open(store: &StoreArgs) -> anyhow::Result<ControlPlane> {
    ControlPlane::open(ControlConfig {
        data_dir: store.data_dir.clone(),
        database_url: store.database_url.clone().filter(|u| !u.trim().is_empty()),
        base_domain: "localhost".into(),
        backend_port: 8080,
        jwt_secret: std::env::var("GRAPHCLOUD_JWT_SECRET")
            .ok()
            .filter(|s| !s.is_empty()),
    })
    .await
    .with_context(|| {
        format!(
            "cannot open the data directory {}",
            store.data_dir.display()
        )
    })
}

fn password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("GRAPHCLOUD_PASSWORD") {
        return Ok(p);
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let second =
        rpassword::prompt_password("Repeat password: ").context("cannot read the password")?;
    if first != second {
        bail!("the passwords do not match");
    }
    Ok(first)
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create { store, email, name } => {
            let pw = password()?;
            let cp = open(&store).await?;
            let u = cp.create_user(&email, &pw, name.as_deref()).await;
            cp.shutdown().await;
            let u = u?;
            println!("created user {} (id {})", u.email, u.id);
        }
        UserCommand::List { store } => {
            let cp = open(&store).await?;
            let users = cp.list_users().await;
            cp.shutdown().await;
            let users = users?;
            let w = users
                .iter()
                .map(|u| u.email.len())
                .max()
                .unwrap_or(5)
                .max(5);
            let n = users.iter().map(|u| u.name.len()).max().unwrap_or(4).max(4);
            println!("{:<w$}  {:<n$}  {:<36}  CREATED", "EMAIL", "NAME", "ID");
            for u in &users {
                let created = u.created_at.format(&Rfc3339).unwrap_or_default();
                println!("{:<w$}  {:<n$}  {:<36}  {created}", u.email, u.name, u.id);
            }
        }
        UserCommand::Passwd { store, email } => {
            let pw = password()?;
            let cp = open(&store).await?;
            let r = cp.set_password(&email, &pw).await;
            cp.shutdown().await;
            r?;
            println!("password changed for {}", email.trim().to_lowercase());
        }
        UserCommand::Delete { store, email } => {
            let cp = open(&store).await?;
            let r = cp.delete_user(&email).await;
            cp.shutdown().await;
            r?;
            println!("deleted user {}", email.trim().to_lowercase());
        }
    }
    Ok(())
}
