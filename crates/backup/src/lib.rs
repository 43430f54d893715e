//! Backups of one backend's key range in the graph store: taking them (full or incremental,
//! from one consistent snapshot while writes continue), listing them, and restoring a backup
//! into any backend atomically after verifying its checksums.
//!
//! Backups live in object storage ([`BackupStorage`]): a directory (the default is
//! `<data-dir>/backups`) or an S3-compatible bucket (`s3://bucket/prefix`, configured by the
//! standard `AWS_*` variables). The format is versioned and documented in `FORMAT.md` next
//! to this crate's manifest.
//!
//! What it is not: it knows nothing of GraphQL, HTTP or deployments' owners; the server
//! decides who may back up or restore what. It sees the store's key range as opaque bytes.

pub mod format;
mod storage;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use graphcloud_store::{Store, StoreError};
use time::OffsetDateTime;

pub use format::Manifest;
use format::{DATA_FILE, FORMAT_NAME, FORMAT_VERSION, FileEntry, MANIFEST_FILE, Merge, RecordIter};
pub use storage::BackupStorage;

/// Why a backup operation failed. Messages are safe to show to clients.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup storage failed (I/O, network, credentials).
    #[error("backup storage error: {0}")]
    Storage(String),
    /// A backup is damaged: checksum mismatch, truncated or unreadable data.
    #[error("the backup is corrupt: {0}")]
    Corrupt(String),
    /// No such backup.
    #[error("{0}")]
    NotFound(String),
    /// Bad arguments or configuration.
    #[error("{0}")]
    Invalid(String),
    /// The graph store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<object_store::Error> for BackupError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => {
                BackupError::NotFound(format!("backup object {path} not found"))
            }
            other => BackupError::Storage(other.to_string()),
        }
    }
}

/// Full or incremental.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    Full,
    Incremental,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Full => "full",
            BackupKind::Incremental => "incremental",
        }
    }
}

/// One backup as `listBackups` and `createBackup` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub deployment: String,
    pub folder: String,
    pub backup_num: u32,
    /// `full` or `incremental`.
    pub kind: String,
    /// `YYYY-MM-DDTHH:MM:SS+0000`.
    pub timestamp: String,
    /// Legacy `path` field: `/<uid>/<folder>/<num>/manifest.json`.
    pub path: String,
    /// Records in the data object.
    pub records: u64,
    /// Size of the data object.
    pub bytes: u64,
}

impl BackupInfo {
    fn from_manifest(m: &Manifest) -> BackupInfo {
        BackupInfo {
            deployment: m.deployment.clone(),
            folder: m.folder.clone(),
            backup_num: m.backup_num,
            kind: m.kind.clone(),
            timestamp: m.timestamp.clone(),
            path: format!(
                "/{}",
                storage::manifest_rel(&m.deployment, &m.folder, m.backup_num)
            ),
            records: m.records,
            bytes: m.data.bytes,
        }
    }
}

/// What to restore: `folder` `None`/`""` = the newest folder, `num` `None`/`0` = the newest
/// backup of the folder.
#[derive(Debug, Clone, Default)]
pub struct RestoreTarget {
    pub folder: Option<String>,
    pub num: Option<u32>,
}

/// Counts of a finished restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreReport {
    pub records: u64,
    pub backups_applied: usize,
}

/// Backups of every backend, in one storage.
#[derive(Clone)]
pub struct Backups {
    storage: BackupStorage,
    store: Store,
    /// One backup at a time per deployment (backup numbers are assigned in order).
    locks: Arc<parking_lot::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// `<ISO year>-<ISO week>` of `t`.
pub fn folder_of(t: OffsetDateTime) -> String {
    let (year, week, _) = t.to_iso_week_date();
    format!("{year}-{week:02}")
}

/// `YYYY-MM-DDTHH:MM:SS+0000` of `t` (UTC).
pub fn timestamp_of(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Backups {
    pub fn new(storage: BackupStorage, store: Store) -> Backups {
        Backups {
            storage,
            store,
            locks: Arc::default(),
        }
    }

    pub fn storage(&self) -> &BackupStorage {
        &self.storage
    }

    fn lock_for(&self, deployment: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .entry(deployment.to_string())
            .or_default()
            .clone()
    }

    /// Every verified manifest of `deployment`, sorted by folder then number. Unreadable or
    /// tampered manifests are skipped with a warning (they cannot be restored anyway).
    async fn manifests(&self, deployment: &str) -> Result<Vec<Manifest>, BackupError> {
        let mut out = Vec::new();
        for rel in self.storage.manifest_paths(deployment).await? {
            let bytes = self.storage.get(&rel).await?;
            match Manifest::parse(&bytes, &rel) {
                Ok(m) if m.deployment == deployment => out.push(m),
                Ok(_) => tracing::warn!(path = %rel, "manifest of another deployment skipped"),
                Err(e) => tracing::warn!(path = %rel, error = %e, "unreadable backup manifest"),
            }
        }
        out.sort_by(|a, b| (&a.folder, a.backup_num).cmp(&(&b.folder, b.backup_num)));
        Ok(out)
    }

    /// Backups of `deployment`: one list per folder (oldest folder first), each ordered by
    /// backup number (its full backup first, then incrementals).
    pub async fn list(&self, deployment: &str) -> Result<Vec<Vec<BackupInfo>>, BackupError> {
        let mut out: Vec<Vec<BackupInfo>> = Vec::new();
        for m in self.manifests(deployment).await? {
            let info = BackupInfo::from_manifest(&m);
            match out.last_mut() {
                Some(series) if series[0].folder == info.folder => series.push(info),
                _ => out.push(vec![info]),
            }
        }
        Ok(out)
    }

    /// Takes a backup of `backend` (store key prefix) for deployment `deployment` (its uid).
    /// The first backup of a week's folder is full; later ones are incremental (only the keys
    /// changed since the previous backup of the folder) unless `force_full`.
    pub async fn create(
        &self,
        backend: u64,
        deployment: &str,
        force_full: bool,
    ) -> Result<BackupInfo, BackupError> {
        let lock = self.lock_for(deployment);
        let _guard = lock.lock().await;
        let now = OffsetDateTime::now_utc();
        let folder = folder_of(now);
        let existing: Vec<Manifest> = self
            .manifests(deployment)
            .await?
            .into_iter()
            .filter(|m| m.folder == folder)
            .collect();
        let num = existing.last().map_or(1, |m| m.backup_num + 1);
        // The base state for an incremental backup: the chain ending at the previous backup.
        let base = if force_full || existing.is_empty() {
            None
        } else {
            match self.load_chain(&existing, num - 1).await {
                Ok(chain) => Some(chain),
                Err(e) => {
                    tracing::warn!(deployment, error = %e, "previous backup unusable; taking a full backup");
                    None
                }
            }
        };
        let kind = if base.is_some() {
            BackupKind::Incremental
        } else {
            BackupKind::Full
        };
        let store = self.store.clone();
        let encoded = tokio::task::spawn_blocking(move || -> Result<_, BackupError> {
            store.scan_backend(backend, |current| encode_scan(current, base.as_deref()))?
        })
        .await
        .map_err(|e| BackupError::Internal(e.to_string()))??;
        let mut manifest = Manifest {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            deployment: deployment.to_string(),
            folder: folder.clone(),
            backup_num: num,
            kind: kind.as_str().into(),
            timestamp: timestamp_of(now),
            base: (kind == BackupKind::Incremental).then(|| num - 1),
            records: encoded.records,
            data: FileEntry {
                name: DATA_FILE.into(),
                bytes: encoded.bytes.len() as u64,
                sha256: encoded.sha256.clone(),
            },
            checksum: String::new(),
        };
        let dir = storage::backup_dir(deployment, &folder, num);
        // Data first, the manifest last: a backup without a manifest does not exist.
        self.storage
            .put(&format!("{dir}/{DATA_FILE}"), encoded.bytes)
            .await?;
        self.storage
            .put(&format!("{dir}/{MANIFEST_FILE}"), manifest.to_bytes())
            .await?;
        tracing::info!(deployment, folder = %folder, num, kind = kind.as_str(), records = manifest.records, "backup taken");
        Ok(BackupInfo::from_manifest(&manifest))
    }

    /// Retention: keeps the newest `keep` backup chains of `deployment` (a chain is a full
    /// backup and the incrementals taken on it) and deletes the older chains whole, so an
    /// incremental that stays always keeps its base. Within a chain the newest backup goes
    /// first and each backup's manifest before its data: an interrupted prune leaves a
    /// shorter, still restorable chain. Returns how many backups were deleted.
    pub async fn prune(&self, deployment: &str, keep: usize) -> Result<usize, BackupError> {
        let lock = self.lock_for(deployment);
        let _guard = lock.lock().await;
        let all = self.manifests(deployment).await?;
        let mut chains: Vec<Vec<&Manifest>> = Vec::new();
        for m in &all {
            if m.kind == "full" {
                chains.push(vec![m]);
            } else if let Some(c) = chains.last_mut()
                && c[0].folder == m.folder
            {
                c.push(m);
            }
        }
        let old = chains.len().saturating_sub(keep);
        let mut deleted = 0;
        for chain in &chains[..old] {
            for m in chain.iter().rev() {
                let dir = storage::backup_dir(&m.deployment, &m.folder, m.backup_num);
                self.storage
                    .delete(&format!("{dir}/{MANIFEST_FILE}"))
                    .await?;
                self.storage
                    .delete(&format!("{dir}/{}", m.data.name))
                    .await?;
                deleted += 1;
            }
        }
        if deleted > 0 {
            tracing::info!(
                deployment,
                deleted,
                kept_chains = keep,
                "old backups pruned"
            );
        }
        Ok(deleted)
    }

    /// Deletes every backup of `deployment` (manifests first, so no half-deleted backup is
    /// ever listed as restorable).
    pub async fn delete_all(&self, deployment: &str) -> Result<(), BackupError> {
        let lock = self.lock_for(deployment);
        let _guard = lock.lock().await;
        let mut all = self.storage.list(deployment).await?;
        all.sort_by_key(|p| !p.ends_with(&format!("/{MANIFEST_FILE}")));
        for p in all {
            self.storage.delete(&p).await?;
        }
        Ok(())
    }

    /// Downloads and verifies the data objects of the chain ending at backup `num` of a
    /// folder (its latest full backup at or before `num`, then every incremental up to it).
    async fn load_chain(
        &self,
        folder: &[Manifest],
        num: u32,
    ) -> Result<Vec<(Manifest, Vec<u8>)>, BackupError> {
        let target = folder
            .iter()
            .position(|m| m.backup_num == num)
            .ok_or_else(|| BackupError::NotFound(format!("backup number {num} not found")))?;
        let start = folder[..=target]
            .iter()
            .rposition(|m| m.kind == "full")
            .ok_or_else(|| {
                BackupError::Corrupt(format!("backup {num} has no full backup before it"))
            })?;
        let mut chain = Vec::new();
        for (i, m) in folder[start..=target].iter().enumerate() {
            if i > 0 && m.base != Some(folder[start + i - 1].backup_num) {
                return Err(BackupError::Corrupt(format!(
                    "backup {} of folder {} is incremental on a backup that is missing",
                    m.backup_num, m.folder
                )));
            }
            let rel = format!(
                "{}/{}",
                storage::backup_dir(&m.deployment, &m.folder, m.backup_num),
                m.data.name
            );
            let data = self.storage.get(&rel).await?;
            m.verify_data(&data, &rel)?;
            chain.push((m.clone(), data.to_vec()));
        }
        Ok(chain)
    }

    /// Finds the chain for `target` among `deployment`'s backups and verifies it.
    async fn resolve(
        &self,
        deployment: &str,
        target: &RestoreTarget,
    ) -> Result<Vec<(Manifest, Vec<u8>)>, BackupError> {
        let all = self.manifests(deployment).await?;
        let folder = match target.folder.as_deref().map(str::trim) {
            Some(f) if !f.is_empty() => f.to_string(),
            _ => all.last().map(|m| m.folder.clone()).ok_or_else(|| {
                BackupError::NotFound(format!("deployment {deployment} has no backups"))
            })?,
        };
        let in_folder: Vec<Manifest> = all.into_iter().filter(|m| m.folder == folder).collect();
        let num = match target.num {
            Some(n) if n > 0 => n,
            _ => in_folder.last().map(|m| m.backup_num).ok_or_else(|| {
                BackupError::NotFound(format!(
                    "deployment {deployment} has no backups in folder {folder:?}"
                ))
            })?,
        };
        self.load_chain(&in_folder, num).await.map_err(|e| match e {
            BackupError::NotFound(_) => BackupError::NotFound(format!(
                "deployment {deployment} has no backup number {num} in folder {folder:?}"
            )),
            other => other,
        })
    }

    /// Restores `source`'s backup `target` into `backend`: every key of `backend` is replaced
    /// in one atomic write. The chain's checksums are verified before anything changes; on
    /// any error the backend is untouched.
    pub async fn restore(
        &self,
        source: &str,
        target: &RestoreTarget,
        backend: u64,
    ) -> Result<RestoreReport, BackupError> {
        let chain = self.resolve(source, target).await?;
        let applied = chain.len();
        let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let c2 = counted.clone();
        self.store
            .replace_backend(backend, move |sink| {
                let layers: Vec<RecordIter<'_>> = chain
                    .iter()
                    .map(|(m, data)| {
                        format::RecordReader::new(&data[..], &m.folder)
                            .map(|r| Box::new(r) as RecordIter<'_>)
                    })
                    .collect::<Result<_, _>>()
                    .map_err(abort)?;
                let mut n = 0u64;
                for item in Merge::new(layers).map_err(abort)? {
                    let (k, v) = item.map_err(abort)?;
                    sink(&k, &v)?;
                    n += 1;
                }
                c2.store(n, Ordering::Relaxed);
                Ok(())
            })
            .await?;
        Ok(RestoreReport {
            records: counted.load(Ordering::Relaxed),
            backups_applied: applied,
        })
    }
}

fn abort(e: BackupError) -> StoreError {
    StoreError::Aborted(e.to_string())
}

/// Encodes the current scan: everything (full) or its difference from `base` (incremental).
fn encode_scan(
    current: &mut dyn Iterator<Item = Result<graphcloud_store::KvPair, StoreError>>,
    base: Option<&[(Manifest, Vec<u8>)]>,
) -> Result<format::Encoded, BackupError> {
    let mut w = format::RecordWriter::new();
    let Some(chain) = base else {
        for item in current {
            let (k, v) = item?;
            w.push(&k, Some(&v))?;
        }
        return w.finish();
    };
    let layers: Vec<RecordIter<'_>> = chain
        .iter()
        .map(|(m, data)| {
            format::RecordReader::new(&data[..], &m.folder).map(|r| Box::new(r) as RecordIter<'_>)
        })
        .collect::<Result<_, _>>()?;
    let mut prev = Merge::new(layers)?.peekable();
    let mut cur = current.peekable();
    loop {
        let order = match (prev.peek(), cur.peek()) {
            (None, None) => break,
            (Some(Err(_)), _) => return Err(prev.next().expect("peeked").unwrap_err()),
            (_, Some(Err(_))) => {
                return Err(cur.next().expect("peeked").unwrap_err().into());
            }
            (Some(Ok(_)), None) => std::cmp::Ordering::Less,
            (None, Some(Ok(_))) => std::cmp::Ordering::Greater,
            (Some(Ok((pk, _))), Some(Ok((ck, _)))) => pk.cmp(ck),
        };
        match order {
            // Gone since the previous backup.
            std::cmp::Ordering::Less => {
                let (k, _) = prev.next().expect("peeked")?;
                w.push(&k, None)?;
            }
            // New since the previous backup.
            std::cmp::Ordering::Greater => {
                let (k, v) = cur.next().expect("peeked")?;
                w.push(&k, Some(&v))?;
            }
            std::cmp::Ordering::Equal => {
                let (_, pv) = prev.next().expect("peeked")?;
                let (k, v) = cur.next().expect("peeked")?;
                if pv != v {
                    w.push(&k, Some(&v))?;
                }
            }
        }
    }
    w.finish()
}

/// The state of one restore, as `restoreStatus` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreState {
    InProgress,
    Ok,
    Err(String),
}

impl RestoreState {
    /// `IN_PROGRESS`, `OK` or `ERR`.
    pub fn status(&self) -> &'static str {
        match self {
            RestoreState::InProgress => "IN_PROGRESS",
            RestoreState::Ok => "OK",
            RestoreState::Err(_) => "ERR",
        }
    }
}

/// Restore operations of this server process, by numeric id (1, 2, …). Each is bound to the
/// deployment it restores into; other deployments do not see it.
#[derive(Clone, Default)]
pub struct RestoreTracker {
    next: Arc<AtomicI32>,
    states: Arc<parking_lot::Mutex<HashMap<i32, (i64, RestoreState)>>>,
}

impl RestoreTracker {
    /// Registers a new restore into deployment `target` (its numeric id).
    pub fn start(&self, target: i64) -> i32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.states
            .lock()
            .insert(id, (target, RestoreState::InProgress));
        id
    }

    pub fn finish(&self, id: i32, state: RestoreState) {
        if let Some(entry) = self.states.lock().get_mut(&id) {
            entry.1 = state;
        }
    }

    /// The state of restore `id` if it targets deployment `target`.
    pub fn get(&self, id: i32, target: i64) -> Option<RestoreState> {
        self.states
            .lock()
            .get(&id)
            .filter(|(t, _)| *t == target)
            .map(|(_, s)| s.clone())
    }
}
