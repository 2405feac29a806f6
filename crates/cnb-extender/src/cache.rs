//! The layer cache under `<kaniko-dir>/cache/layers` (kaniko kept its own there; the layout
//! is ours): one directory per cache key, named by its hex, holding the layer blob (when the
//! instruction changed anything) and `entry.json` (when it was made, and the layer's digests).
//! An entry older than the cache TTL is not used, and is removed when the cache is opened.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cnb_archive::LayerDigests;
use cnb_image::{Digest, MediaType};
use serde::{Deserialize, Serialize};

use crate::error::StepError;

const ENTRY_FILE: &str = "entry.json";
const BLOB_FILE: &str = "blob";

/// The layer an instruction made, as kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CachedLayer {
    pub diff_id: Digest,
    pub digest: Digest,
    pub size: u64,
    pub media_type: MediaType,
}

impl From<&LayerDigests> for CachedLayer {
    fn from(digests: &LayerDigests) -> Self {
        Self {
            diff_id: digests.diff_id,
            digest: digests.digest,
            size: digests.size,
            media_type: digests.media_type.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Seconds since the epoch when it was made.
    created: u64,
    /// The layer, or none when the instruction changed nothing.
    layer: Option<CachedLayer>,
}

/// A cache hit: the layer (if any) and where its blob is.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub layer: Option<CachedLayer>,
    pub blob: PathBuf,
}

/// The layer cache.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: PathBuf,
    ttl: Duration,
}

impl Cache {
    /// The cache under `kaniko_dir`, its expired entries removed.
    pub(crate) fn open(kaniko_dir: &Path, ttl: Duration) -> Result<Self, StepError> {
        let dir = kaniko_dir.join("cache").join("layers");
        std::fs::create_dir_all(&dir).map_err(StepError::io("creating", &dir))?;
        let cache = Self { dir, ttl };
        cache.prune();
        Ok(cache)
    }

    fn entry_dir(&self, key: &Digest) -> PathBuf {
        self.dir.join(key.hex())
    }

    /// The entry for `key`, if there is a fresh one.
    pub(crate) fn lookup(&self, key: &Digest) -> Option<Hit> {
        let dir = self.entry_dir(key);
        let entry: Entry =
            serde_json::from_slice(&std::fs::read(dir.join(ENTRY_FILE)).ok()?).ok()?;
        if self.expired(entry.created) {
            return None;
        }
        let blob = dir.join(BLOB_FILE);
        if entry.layer.is_some() && !blob.is_file() {
            return None;
        }
        Some(Hit {
            layer: entry.layer,
            blob,
        })
    }

    /// A fresh directory for a new entry's blob, inside the cache (so that it can be renamed
    /// into place).
    pub(crate) fn stage(&self) -> Result<tempfile::TempDir, StepError> {
        tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.dir)
            .map_err(StepError::io("creating a directory in", &self.dir))
    }

    /// The path of the blob inside a staging directory.
    pub(crate) fn staged_blob(staging: &Path) -> PathBuf {
        staging.join(BLOB_FILE)
    }

    /// Records the staged entry under `key`, replacing an older one; returns where its blob
    /// now is.
    pub(crate) fn store(
        &self,
        key: &Digest,
        staging: tempfile::TempDir,
        layer: Option<CachedLayer>,
    ) -> Result<PathBuf, StepError> {
        let entry = Entry {
            created: now(),
            layer,
        };
        let entry_path = staging.path().join(ENTRY_FILE);
        let json = serde_json::to_vec(&entry).unwrap_or_default();
        std::fs::write(&entry_path, json).map_err(StepError::io("writing", &entry_path))?;
        let target = self.entry_dir(key);
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(StepError::io("replacing", &target))?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, &target).map_err(StepError::io("storing", &target))?;
        Ok(target.join(BLOB_FILE))
    }

    fn expired(&self, created: u64) -> bool {
        now().saturating_sub(created) > self.ttl.as_secs()
    }

    /// Removes expired entries and leftovers of interrupted runs (best effort).
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let stale = entry.file_name().to_string_lossy().starts_with(".staging-")
                || std::fs::read(path.join(ENTRY_FILE))
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok())
                    .is_none_or(|e| self.expired(e.created));
            if stale && let Err(error) = std::fs::remove_dir_all(&path) {
                tracing::debug!(
                    "Could not remove the stale cache entry {}: {error}",
                    path.display()
                );
            }
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> CachedLayer {
        CachedLayer {
            diff_id: Digest::of(b"tar"),
            digest: Digest::of(b"blob"),
            size: 4,
            media_type: MediaType::OciLayerGzip,
        }
    }

    #[test]
    fn a_stored_entry_is_found_until_it_expires() {
        let kaniko = tempfile::tempdir().unwrap();
        let cache = Cache::open(kaniko.path(), Duration::from_hours(1)).unwrap();
        let key = Digest::of(b"key");
        assert!(cache.lookup(&key).is_none());
        let staging = cache.stage().unwrap();
        std::fs::write(Cache::staged_blob(staging.path()), b"blob").unwrap();
        let blob = cache.store(&key, staging, Some(layer())).unwrap();
        assert_eq!(std::fs::read(&blob).unwrap(), b"blob");
        let hit = cache.lookup(&key).unwrap();
        assert_eq!(hit.layer, Some(layer()));
        assert_eq!(hit.blob, blob);

        let expired = Cache::open(kaniko.path(), Duration::ZERO);
        // created this second: a TTL of zero has not run out yet within the same second
        assert!(expired.is_ok());
        let dir = kaniko.path().join("cache/layers").join(key.hex());
        std::fs::write(dir.join(ENTRY_FILE), br#"{"created":1,"layer":null}"#).unwrap();
        assert!(cache.lookup(&key).is_none());
        Cache::open(kaniko.path(), Duration::from_hours(1)).unwrap();
        assert!(!dir.exists(), "expired entries are pruned");
    }

    #[test]
    fn an_entry_without_a_layer_records_that_nothing_changed() {
        let kaniko = tempfile::tempdir().unwrap();
        let cache = Cache::open(kaniko.path(), Duration::from_mins(1)).unwrap();
        let key = Digest::of(b"noop");
        let staging = cache.stage().unwrap();
        cache.store(&key, staging, None).unwrap();
        assert_eq!(cache.lookup(&key).unwrap().layer, None);
    }
}
