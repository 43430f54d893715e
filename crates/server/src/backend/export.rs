//! `export` / `exportStatus` of `/admin/slash` and the signed download URLs of the files.
//!
//! An export writes `g01.<json|rdf>.gz`, `g01.schema.gz` and `g01.gql_schema.gz` (Dgraph's
//! layout) into the backup storage under `exports/<deployment uid>/<export id>/`. The files
//! are served by the backend listener at
//! `/backends/<subdomain>/export/<export id>/<file>?expires=<unix seconds>&signature=<hex>`
//! to anyone holding the URL until it expires: the signature is an HMAC-SHA256, with the
//! server's secret `<data-dir>/export.key`, of the deployment uid, export id, file name and
//! expiry. Tasks live in memory (a restart forgets them; the files stay in storage).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use graphcloud_engine::export::ExportFormat;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;
use time::OffsetDateTime;

/// Default lifetime of a signed URL: 48 hours (as Dgraph Cloud's).
pub const DEFAULT_URL_TTL: Duration = Duration::from_secs(48 * 3600);
/// Default time `export` waits for the files before answering with an export id instead.
pub const DEFAULT_SYNC_WAIT: Duration = Duration::from_secs(10);

/// The state of one export task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportState {
    InProgress,
    /// Done: the file names.
    Done(Vec<String>),
    Failed(String),
}

impl ExportState {
    /// `InProgress`, `Success` or `Failed`.
    pub fn status(&self) -> &'static str {
        match self {
            ExportState::InProgress => "InProgress",
            ExportState::Done(_) => "Success",
            ExportState::Failed(_) => "Failed",
        }
    }
}

#[derive(Debug, Clone)]
struct Task {
    deployment: i64,
    uid: String,
    task_id: String,
    state: ExportState,
    updated: OffsetDateTime,
}

/// Why a download was refused (HTTP 403 or 404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadError {
    Expired,
    BadSignature,
    NotFound,
    Storage(String),
}

/// Export tasks of this server and the key that signs download URLs.
pub struct Exports {
    key: Vec<u8>,
    tasks: Mutex<HashMap<String, Task>>,
    pub url_ttl: Duration,
    pub sync_wait: Duration,
}

type HmacSha256 = Hmac<Sha256>;

/// Reads `<data_dir>/export.key` (32 random bytes, hex), creating it with mode 0600 first.
pub fn load_or_create_key(data_dir: &std::path::Path) -> Result<Vec<u8>, String> {
    let path = data_dir.join("export.key");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => {
            let secret = hex::encode(graphcloud_control::secrets::random_bytes::<32>());
            f.write_all(secret.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
    }
    for _ in 0..50 {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if let Ok(k) = hex::decode(text.trim())
            && k.len() >= 32
        {
            return Ok(k);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "{} does not hold a 32-byte hex key",
        path.display()
    ))
}

/// The object path of an export file inside the backup storage.
pub fn object_path(uid: &str, export_id: &str, file: &str) -> String {
    format!("exports/{uid}/{export_id}/{file}")
}

fn new_id() -> String {
    let b = graphcloud_control::secrets::random_bytes::<6>();
    format!("0x{}", hex::encode(b).trim_start_matches('0'))
}

impl Exports {
    pub fn new(key: Vec<u8>, url_ttl: Duration, sync_wait: Duration) -> Exports {
        Exports {
            key,
            tasks: Mutex::default(),
            url_ttl,
            sync_wait,
        }
    }

    fn mac(&self, uid: &str, export_id: &str, file: &str, expires: i64) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(format!("{uid}\n{export_id}\n{file}\n{expires}").as_bytes());
        m
    }

    /// `?expires=…&signature=…` for one file.
    pub fn sign(&self, uid: &str, export_id: &str, file: &str, now: i64) -> String {
        let expires = now + self.url_ttl.as_secs() as i64;
        let sig = hex::encode(
            self.mac(uid, export_id, file, expires)
                .finalize()
                .into_bytes(),
        );
        format!("expires={expires}&signature={sig}")
    }

    /// Checks a download's query string against the file it names.
    pub fn verify(
        &self,
        uid: &str,
        export_id: &str,
        file: &str,
        query: Option<&str>,
        now: i64,
    ) -> Result<(), DownloadError> {
        let mut expires = None;
        let mut sig = None;
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("expires", v)) => expires = v.parse::<i64>().ok(),
                Some(("signature", v)) => sig = hex::decode(v).ok(),
                _ => {}
            }
        }
        let (Some(expires), Some(sig)) = (expires, sig) else {
            return Err(DownloadError::BadSignature);
        };
        self.mac(uid, export_id, file, expires)
            .verify_slice(&sig)
            .map_err(|_| DownloadError::BadSignature)?;
        if now > expires {
            return Err(DownloadError::Expired);
        }
        Ok(())
    }

    /// Registers a new export of deployment `deployment` (`uid`); returns (export id, task id).
    pub fn start(&self, deployment: i64, uid: &str) -> (String, String) {
        let (id, task_id) = (new_id(), new_id());
        self.tasks.lock().insert(
            id.clone(),
            Task {
                deployment,
                uid: uid.to_string(),
                task_id: task_id.clone(),
                state: ExportState::InProgress,
                updated: OffsetDateTime::now_utc(),
            },
        );
        (id, task_id)
    }

    pub fn finish(&self, id: &str, state: ExportState) {
        if let Some(t) = self.tasks.lock().get_mut(id) {
            t.state = state;
            t.updated = OffsetDateTime::now_utc();
        }
    }

    /// The state and last update of export `id` with task `task_id` of `deployment`.
    pub fn get(
        &self,
        deployment: i64,
        id: &str,
        task_id: &str,
    ) -> Option<(ExportState, OffsetDateTime, String)> {
        self.tasks
            .lock()
            .get(id)
            .filter(|t| t.deployment == deployment && t.task_id == task_id)
            .map(|t| (t.state.clone(), t.updated, t.uid.clone()))
    }

    /// Waits up to `wait` for export `id` to leave `InProgress`.
    pub async fn wait(&self, id: &str, wait: Duration) -> ExportState {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let state = self
                .tasks
                .lock()
                .get(id)
                .map(|t| t.state.clone())
                .unwrap_or(ExportState::Failed("export vanished".into()));
            if state != ExportState::InProgress || tokio::time::Instant::now() >= deadline {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Writes the export's files for `backend` (blocking) and returns (file name, gzip bytes).
pub fn build_files(
    engine: &graphcloud_engine::Engine,
    backend: u64,
    format: ExportFormat,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    let gz = |text: &[u8]| -> Result<Vec<u8>, String> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(text).map_err(|e| e.to_string())?;
        e.finish().map_err(|e| e.to_string())
    };
    let mut data = GzEncoder::new(Vec::new(), Compression::fast());
    let counts = engine
        .export_data(backend, format, &mut data)
        .map_err(|e| e.to_string())?;
    let data = data.finish().map_err(|e| e.to_string())?;
    let schema = engine
        .export_dql_schema(backend)
        .map_err(|e| e.to_string())?;
    let gql = engine
        .export_graphql_schema(backend)
        .map_err(|e| e.to_string())?;
    tracing::info!(
        backend,
        nodes = counts.nodes,
        entries = counts.entries,
        "export written"
    );
    Ok(vec![
        (format!("g01.{}.gz", format.extension()), data),
        ("g01.schema.gz".to_string(), gz(schema.as_bytes())?),
        ("g01.gql_schema.gz".to_string(), gz(gql.as_bytes())?),
    ])
}

/// Shared handle.
pub type SharedExports = Arc<Exports>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_every_part_and_expire() {
        let x = Exports::new(vec![7; 32], Duration::from_secs(100), Duration::ZERO);
        let q = x.sign("0x1", "0xab", "g01.json.gz", 1000);
        assert!(q.starts_with("expires=1100&signature="), "{q}");
        assert_eq!(
            x.verify("0x1", "0xab", "g01.json.gz", Some(&q), 1100),
            Ok(())
        );
        assert_eq!(
            x.verify("0x1", "0xab", "g01.json.gz", Some(&q), 1101),
            Err(DownloadError::Expired)
        );
        for (uid, id, file) in [
            ("0x2", "0xab", "g01.json.gz"),
            ("0x1", "0xac", "g01.json.gz"),
            ("0x1", "0xab", "g01.schema.gz"),
        ] {
            assert_eq!(
                x.verify(uid, id, file, Some(&q), 1000),
                Err(DownloadError::BadSignature)
            );
        }
        let later = q.replace("expires=1100", "expires=9999");
        assert_eq!(
            x.verify("0x1", "0xab", "g01.json.gz", Some(&later), 1000),
            Err(DownloadError::BadSignature)
        );
        assert_eq!(
            x.verify("0x1", "0xab", "g01.json.gz", None, 1000),
            Err(DownloadError::BadSignature)
        );
        let other = Exports::new(vec![8; 32], Duration::from_secs(100), Duration::ZERO);
        assert_eq!(
            other.verify("0x1", "0xab", "g01.json.gz", Some(&q), 1000),
            Err(DownloadError::BadSignature)
        );
    }
}
