//! Where backups live: a local directory or an S3-compatible bucket, through `object_store`.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::BackupError;
use crate::format::MANIFEST_FILE;

/// `<deployment>/<folder>/<num, 6 digits>`: the directory of one backup.
pub(crate) fn backup_dir(deployment: &str, folder: &str, num: u32) -> String {
    format!("{deployment}/{folder}/{num:06}")
}

pub(crate) fn manifest_rel(deployment: &str, folder: &str, num: u32) -> String {
    format!("{}/{MANIFEST_FILE}", backup_dir(deployment, folder, num))
}

/// An object store plus a key prefix under which every backup is kept.
#[derive(Clone)]
pub struct BackupStorage {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    url: String,
}

impl std::fmt::Debug for BackupStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupStorage")
            .field("url", &self.url)
            .finish()
    }
}

impl BackupStorage {
    /// Backups in the local directory `dir` (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<BackupStorage, BackupError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| BackupError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(BackupError::from)?;
        Ok(BackupStorage {
            store: Arc::new(fs),
            prefix: String::new(),
            url: format!("file://{}", dir.display()),
        })
    }

    /// Storage named by `--backup-url`: `s3://bucket[/prefix]` (endpoint, credentials and
    /// region from `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`), `file:///dir` or a plain directory path.
    pub fn from_url(url: &str) -> Result<BackupStorage, BackupError> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(BackupError::Invalid(format!(
                    "invalid backup URL {url:?}: no bucket (expected s3://bucket/prefix)"
                )));
            }
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| BackupError::Invalid(format!("cannot use backup URL {url:?}: {e}")))?;
            return Ok(BackupStorage {
                store: Arc::new(s3),
                prefix: prefix.trim_matches('/').to_string(),
                url: url.to_string(),
            });
        }
        if let Some(path) = url.strip_prefix("file://") {
            return BackupStorage::local(std::path::Path::new(path));
        }
        if url.contains("://") {
            return Err(BackupError::Invalid(format!(
                "unsupported backup URL {url:?}: use s3://bucket/prefix or a directory"
            )));
        }
        BackupStorage::local(std::path::Path::new(url))
    }

    /// The URL this storage was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn full(&self, rel: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(rel)
        } else {
            ObjPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    fn rel_of(&self, p: &ObjPath) -> String {
        let s = p.as_ref();
        if self.prefix.is_empty() {
            s.to_string()
        } else {
            s.strip_prefix(&self.prefix)
                .map(|r| r.trim_start_matches('/'))
                .unwrap_or(s)
                .to_string()
        }
    }

    /// Reads one object (path relative to the prefix).
    pub async fn get(&self, rel: &str) -> Result<Bytes, BackupError> {
        Ok(self.store.get(&self.full(rel)).await?.bytes().await?)
    }

    /// Writes one object (path relative to the prefix).
    pub async fn put(&self, rel: &str, data: Vec<u8>) -> Result<(), BackupError> {
        self.store
            .put(&self.full(rel), PutPayload::from(data))
            .await?;
        Ok(())
    }

    /// Deletes one object (path relative to the prefix); a missing object is fine.
    pub async fn delete(&self, rel: &str) -> Result<(), BackupError> {
        match self.store.delete(&self.full(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Relative paths of every object under `dir` (recursively).
    pub async fn list(&self, dir: &str) -> Result<Vec<String>, BackupError> {
        let base = self.full(dir);
        let items: Vec<_> = self.store.list(Some(&base)).try_collect().await?;
        Ok(items.iter().map(|m| self.rel_of(&m.location)).collect())
    }

    /// Relative paths of the manifests of `deployment`'s backups.
    pub(crate) async fn manifest_paths(
        &self,
        deployment: &str,
    ) -> Result<Vec<String>, BackupError> {
        let mut out: Vec<String> = self
            .list(deployment)
            .await?
            .into_iter()
            .filter(|p| p.ends_with(&format!("/{MANIFEST_FILE}")))
            .collect();
        out.sort();
        Ok(out)
    }
}
