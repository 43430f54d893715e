//! The local credentials file of the CLI: one session token per control-plane URL.
//!
//! Location: `$GRAPHCLOUD_CONFIG_DIR/credentials.json`, else
//! `$XDG_CONFIG_HOME/graphcloud/credentials.json`, else `$HOME/.config/graphcloud/…`.
//! The file holds secrets, so it is written atomically (temporary file + rename) with mode
//! 0600 and its directory is created with mode 0700.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// One stored session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The e-mail the session was opened with.
    pub email: String,
    /// The control-plane session token (sent as `Authorization: Bearer`).
    pub token: String,
    /// When the session was stored (RFC 3339).
    pub logged_in_at: String,
}

impl Session {
    /// The `exp` claim of the token, when the token is a JWT that carries one.
    pub fn expires_at_unix(&self) -> Option<i64> {
        let payload = self.token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        claims.get("exp")?.as_i64()
    }
}

/// The whole file: sessions keyed by normalised server URL.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub servers: BTreeMap<String, Session>,
}

/// Directory holding the CLI's configuration.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = non_empty_env("GRAPHCLOUD_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = non_empty_env("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(dir).join("graphcloud"));
    }
    if let Some(home) = non_empty_env("HOME") {
        return Ok(PathBuf::from(home).join(".config").join("graphcloud"));
    }
    Err(anyhow!(
        "cannot locate a configuration directory: set HOME, XDG_CONFIG_HOME or GRAPHCLOUD_CONFIG_DIR"
    ))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Path of the credentials file.
pub fn credentials_path() -> Result<PathBuf> {
    Ok(config_dir()?.join("credentials.json"))
}

impl Credentials {
    /// Reads the file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "credentials file {} is not valid JSON; delete it and log in again",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the file atomically with mode 0600.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .ok_or_else(|| anyhow!("invalid credentials path {}", path.display()))?;
        create_private_dir(dir)?;
        let tmp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
        let body = serde_json::to_vec_pretty(self)?;
        {
            let mut file =
                open_private(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
            file.write_all(&body)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
        }
        fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // The mode above applies only on creation; force it for a left-over file too.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("credentials.json");
        let mut creds = Credentials::load(&path).unwrap();
        assert!(creds.servers.is_empty());
        creds.servers.insert(
            "http://127.0.0.1:8070".into(),
            Session {
                email: "a@example.com".into(),
                token: "t".into(),
                logged_in_at: "2026-01-01T00:00:00Z".into(),
            },
        );
        creds.save(&path).unwrap();
        let back = Credentials::load(&path).unwrap();
        assert_eq!(back.servers["http://127.0.0.1:8070"].email, "a@example.com");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        fs::write(&path, "not json").unwrap();
        let err = Credentials::load(&path).unwrap_err().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
    }

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        // header {"alg":"HS256"} . payload {"exp":1700000000} . signature
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1700000000}"#);
        let session = Session {
            email: "a@example.com".into(),
            token: format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig"),
            logged_in_at: String::new(),
        };
        assert_eq!(session.expires_at_unix(), Some(1_700_000_000));
        let opaque = Session {
            token: "opaque".into(),
            ..session
        };
        assert_eq!(opaque.expires_at_unix(), None);
    }
}
