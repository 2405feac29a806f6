//! The launch cache (`-launch-cache`, only with `-daemon`): the uncompressed tar of every layer
//! of the last app image exported to the daemon, named by diffID, in the Go lifecycle's
//! layout: `committed/sha256:<hex>.tar`, a new generation filled in `staging/` (wiped when
//! the cache is opened) and promoted through `committed-backup/` once the image is saved. A
//! layer found here is sent to the daemon from this file instead of being exported from the
//! daemon (`docker save`) first.
//!
//! Layer files are not flushed to disk before they are named: the cache only saves work, and
//! the daemon checks every layer it loads against its diffID.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_image::Digest;

use crate::Error;
use crate::volume::{
    BACKUP, COMMITTED, STAGING, StagedLayer, link_committed, promote_staging, remove_dir,
};

/// An open launch cache.
#[derive(Debug)]
pub struct LaunchCache {
    dir: PathBuf,
}

impl LaunchCache {
    /// Opens the cache in `dir`, which must exist (Go stats it): puts back a
    /// `committed-backup/` that a build killed mid-commit left in place of `committed/` (else
    /// it goes), empties `staging/` and creates `committed/`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        fs::metadata(dir).map_err(Error::io(dir))?;
        let committed = dir.join(COMMITTED);
        let backup = dir.join(BACKUP);
        if !committed.exists() && backup.is_dir() {
            fs::rename(&backup, &committed).map_err(Error::io(&backup))?;
        }
        remove_dir(&backup)?;
        let staging = dir.join(STAGING);
        remove_dir(&staging)?;
        fs::create_dir_all(&staging).map_err(Error::io(&staging))?;
        fs::create_dir_all(&committed).map_err(Error::io(&committed))?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tar of layer `diff_id`: staged in this generation, else committed by the last.
    pub fn layer(&self, diff_id: &Digest) -> Option<PathBuf> {
        let name = format!("{diff_id}.tar");
        [STAGING, COMMITTED]
            .iter()
            .map(|generation| self.dir.join(generation).join(&name))
            .find(|path| path.is_file())
    }

    /// Keeps the committed layer `diff_id` in the new generation (a hard link). Returns
    /// whether the last generation had it.
    pub fn keep(&self, diff_id: &Digest) -> Result<bool, Error> {
        link_committed(&self.dir, &diff_id.to_string())
    }

    /// Starts writing a layer into the new generation; the writer names it by the diffID its
    /// caller computed.
    pub fn stage(&self) -> Result<StagedLayer, Error> {
        StagedLayer::new(&self.dir.join(STAGING))
    }

    /// Makes the new generation the committed one; the last one's layers that were not kept
    /// are gone.
    pub fn commit(&self) -> Result<(), Error> {
        promote_staging(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_directory_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("launch-cache");
        let error = LaunchCache::open(&missing).unwrap_err();
        assert!(error.to_string().contains("launch-cache"), "{error}");
        assert!(!missing.exists());
    }

    #[test]
    fn a_generation_keeps_what_it_staged_or_kept_and_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (old, kept, new) = (Digest::of(b"old"), Digest::of(b"kept"), Digest::of(b"new"));
        let cache = LaunchCache::open(dir.path()).unwrap();
        for (digest, bytes) in [(old, b"old"), (kept, b"kpt")] {
            let mut staged = cache.stage().unwrap();
            staged.write_all(bytes).unwrap();
            staged.finish(&digest, false).unwrap();
        }
        assert!(
            cache.layer(&old).is_some(),
            "staged layers read back at once"
        );
        cache.commit().unwrap();

        let cache = LaunchCache::open(dir.path()).unwrap();
        let committed = cache.layer(&kept).unwrap();
        assert!(
            committed.ends_with(format!("committed/{kept}.tar")),
            "{}",
            committed.display()
        );
        assert!(cache.keep(&kept).unwrap());
        assert!(!cache.keep(&new).unwrap());
        let mut staged = cache.stage().unwrap();
        staged.write_all(b"new").unwrap();
        staged.finish(&new, false).unwrap();
        drop(cache.stage().unwrap());
        cache.commit().unwrap();

        let names: Vec<String> = fs::read_dir(dir.path().join("committed"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut names = names;
        names.sort();
        let mut expected = vec![format!("{kept}.tar"), format!("{new}.tar")];
        expected.sort();
        assert_eq!(names, expected, "old dropped, no partial file left");
        assert!(!dir.path().join("committed-backup").exists());
        assert_eq!(fs::read(cache.layer(&kept).unwrap()).unwrap(), b"kpt");
    }

    #[test]
    fn opening_wipes_an_unfinished_generation() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("staging")).unwrap();
        fs::write(dir.path().join("staging/sha256:x.tar"), b"half").unwrap();
        fs::create_dir_all(dir.path().join("committed-backup")).unwrap();
        let cache = LaunchCache::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("staging")).unwrap().count(), 0);
        assert!(!dir.path().join("committed-backup").exists());
        assert!(cache.dir().join("committed").is_dir());
    }

    #[test]
    fn a_generation_left_mid_commit_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let diff_id = Digest::of(b"layer");
        fs::create_dir_all(dir.path().join("committed-backup")).unwrap();
        fs::write(
            dir.path().join(format!("committed-backup/{diff_id}.tar")),
            b"layer",
        )
        .unwrap();
        let cache = LaunchCache::open(dir.path()).unwrap();
        assert!(!dir.path().join("committed-backup").exists());
        assert_eq!(fs::read(cache.layer(&diff_id).unwrap()).unwrap(), b"layer");
    }
}
