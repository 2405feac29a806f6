//! The volume cache (Go's format): `committed/<diffID>.tar` holds each cached layer
//! uncompressed and `committed/io.buildpacks.lifecycle.cache.metadata` the metadata JSON.
//! A writer fills `staging/` (reused layers are hard-linked from `committed/`), then commits
//! by renaming `committed` to `committed-backup` and `staging` to `committed`. A reader that
//! finds no `committed/` but a `committed-backup/` (a writer killed between the two renames)
//! reads the backup, so the previous cache stays usable; the next writer puts it back.
//!
//! Whenever a writer is killed, `committed/` (or, between the renames, the backup) is a whole
//! generation: every file in it was synced before the rename that published it, and a
//! generation is only deleted once another is in place. `staging/` is never read, and the next
//! writer removes it. Writers hold an exclusive lock on the cache directory, so two exporters
//! sharing a cache take turns instead of filling one `staging/`; readers take no lock (a
//! layer that vanishes under them is a cache miss, and a layer is only ever read checked
//! against its diffID).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cnb_files::JsonLabel;
use cnb_files::labels::CacheMetadata;
use cnb_image::Sha256Writer;
use cnb_sys::{DirLock, DirectFile, StagedFile};

use crate::{Cache, Error};

/// The metadata file's name inside `committed/`.
pub const METADATA_FILE: &str = "io.buildpacks.lifecycle.cache.metadata";
pub(crate) const COMMITTED: &str = "committed";
pub(crate) const STAGING: &str = "staging";
pub(crate) const BACKUP: &str = "committed-backup";

/// A volume cache opened for reading.
#[derive(Debug)]
pub struct VolumeCache {
    committed: PathBuf,
    exists: bool,
    metadata: CacheMetadata,
}

impl VolumeCache {
    /// Opens the cache in `dir`, which must be a directory (Go fails a phase whose
    /// `-cache-dir` does not exist). An empty cache reads as empty; unreadable metadata is
    /// warned about and reads as empty too (the cache is only an optimisation).
    pub fn open(dir: &Path) -> Result<Self, Error> {
        if !fs::metadata(dir).map_err(Error::io(dir))?.is_dir() {
            return Err(Error::NotADirectory(dir.to_owned()));
        }
        let committed = [COMMITTED, BACKUP]
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_dir())
            .unwrap_or_else(|| dir.join(COMMITTED));
        let path = committed.join(METADATA_FILE);
        let (exists, metadata) = match fs::read_to_string(&path) {
            Ok(text) => match CacheMetadata::from_label(&text) {
                Ok(metadata) => (true, metadata),
                Err(error) => {
                    tracing::warn!("ignoring cache metadata {}: {error}", path.display());
                    (true, CacheMetadata::default())
                }
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                (false, CacheMetadata::default())
            }
            Err(error) => {
                tracing::warn!("ignoring cache metadata {}: {error}", path.display());
                (true, CacheMetadata::default())
            }
        };
        Ok(Self {
            committed,
            exists,
            metadata,
        })
    }
}

impl Cache for VolumeCache {
    fn exists(&self) -> bool {
        self.exists
    }

    fn metadata(&self) -> &CacheMetadata {
        &self.metadata
    }

    fn open_layer(&self, diff_id: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        let path = self.committed.join(format!("{diff_id}.tar"));
        match File::open(&path) {
            Ok(file) => Ok(Box::new(file)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(Error::MissingLayer {
                diff_id: diff_id.to_owned(),
            }),
            Err(source) => Err(Error::Io { path, source }),
        }
    }
}

/// A new generation of a volume cache, staged until [`commit`](Self::commit). It holds the
/// cache directory's lock from [`new`](Self::new) until it is committed or dropped.
#[derive(Debug)]
pub struct VolumeCacheWriter {
    dir: PathBuf,
    staging: PathBuf,
    _lock: DirLock,
}

impl VolumeCacheWriter {
    /// Starts a new generation in `dir` (created if missing): waits for any other writer of the cache to finish,
    /// puts back a backup left by a writer killed mid-commit, and discards the staging of an
    /// interrupted one.
    pub fn new(dir: &Path) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let lock = DirLock::exclusive(dir, || {
            tracing::info!("Waiting for another build to finish writing the cache");
        })
        .map_err(Error::io(dir))?;
        let committed = dir.join(COMMITTED);
        let backup = dir.join(BACKUP);
        if !committed.exists() && backup.is_dir() {
            fs::rename(&backup, &committed).map_err(Error::io(&backup))?;
        }
        let staging = dir.join(STAGING);
        remove_dir(&staging)?;
        fs::create_dir_all(&staging).map_err(Error::io(&staging))?;
        Ok(Self {
            dir: dir.to_owned(),
            staging,
            _lock: lock,
        })
    }

    /// Adds a layer from its uncompressed tar stream; returns its diffID.
    pub fn add_layer(&mut self, mut tar: impl Read) -> Result<String, Error> {
        let mut writer = Sha256Writer::new(StagedLayer::new(&self.staging)?);
        io::copy(&mut tar, &mut writer).map_err(Error::io(&self.staging))?;
        let (staged, digest, _) = writer.finish();
        staged.finish(&digest, true)?;
        Ok(digest.to_string())
    }

    /// Carries the layer `diff_id` over from the committed cache, by hard link. Returns
    /// whether the committed cache had it.
    pub fn reuse_layer(&mut self, diff_id: &str) -> Result<bool, Error> {
        link_committed(&self.dir, diff_id)
    }

    /// Writes `metadata` and makes the staged generation the committed one: everything
    /// staged is synced first, so the rename never publishes a generation whose data is not
    /// on disk.
    pub fn commit(self, metadata: &CacheMetadata) -> Result<(), Error> {
        let json = metadata.to_label().map_err(Error::EncodeMetadata)?;
        let path = self.staging.join(METADATA_FILE);
        let mut staged =
            StagedFile::new(&self.staging, METADATA_FILE, 0o644).map_err(Error::io(&path))?;
        staged
            .write_all(json.as_bytes())
            .and_then(|()| staged.sync())
            .and_then(|()| staged.commit(&path))
            .map_err(Error::io(&path))?;
        promote_staging(&self.dir)
    }
}

/// Hard-links `committed/<diff_id>.tar` into `staging/`; false when it is not committed.
pub(crate) fn link_committed(dir: &Path, diff_id: &str) -> Result<bool, Error> {
    let name = format!("{diff_id}.tar");
    let from = dir.join(COMMITTED).join(&name);
    let to = dir.join(STAGING).join(&name);
    if to.exists() {
        return Ok(true);
    }
    match fs::hard_link(&from, &to) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Io { path: from, source }),
    }
}

/// Makes `<dir>/staging` the committed generation: everything staged is synced first, so
/// the rename never publishes a generation whose data is not on disk; `committed` becomes
/// `committed-backup`, `staging` becomes `committed`, and the backup goes (it is put back if
/// the second rename fails).
pub(crate) fn promote_staging(dir: &Path) -> Result<(), Error> {
    let staging = dir.join(STAGING);
    let committed = dir.join(COMMITTED);
    let backup = dir.join(BACKUP);
    cnb_sys::sync_dir(&staging).map_err(Error::io(&staging))?;
    // Only a stale backup can be here: the writer's `new` put back one that stood in for
    // `committed`.
    remove_dir(&backup)?;
    if committed.exists() {
        fs::rename(&committed, &backup).map_err(Error::io(&committed))?;
    }
    if let Err(source) = fs::rename(&staging, &committed) {
        // Put the previous generation back; the staged one is lost.
        let _ = fs::rename(&backup, &committed);
        return Err(Error::Io {
            path: committed,
            source,
        });
    }
    cnb_sys::sync_dir(dir).map_err(Error::io(dir))?;
    remove_dir(&backup)
}

/// A layer tar being written into `staging/` under a temporary name; [`finish`](Self::finish)
/// names it after its diffID. Dropping it unfinished removes the file. The bytes bypass the
/// page cache where the file system allows ([`DirectFile`]): a cache is read by a later
/// build, not by this one, and a layer of a GiB written through the page cache can cost the
/// export as much CPU as streaming it to its image does.
#[derive(Debug)]
pub struct StagedLayer {
    file: DirectFile,
    partial: PathBuf,
    done: bool,
}

impl StagedLayer {
    pub(crate) fn new(staging: &Path) -> Result<Self, Error> {
        let partial = staging.join(format!(
            ".partial-{}-{}.tar",
            std::process::id(),
            PARTIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let file = DirectFile::create_new(&partial, 0o666).map_err(Error::io(&partial))?;
        Ok(Self {
            file,
            partial,
            done: false,
        })
    }

    /// Names the file `<diff_id>.tar` (flushed to disk first with `sync`) and returns its
    /// path. The caller vouches for the diffID.
    pub fn finish(mut self, diff_id: &cnb_image::Digest, sync: bool) -> Result<PathBuf, Error> {
        self.file.flush().map_err(Error::io(&self.partial))?;
        if sync {
            self.file
                .get_ref()
                .sync_all()
                .map_err(Error::io(&self.partial))?;
        }
        let path = self.partial.with_file_name(format!("{diff_id}.tar"));
        fs::rename(&self.partial, &path).map_err(Error::io(&path))?;
        self.done = true;
        Ok(path)
    }
}

impl Write for StagedLayer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for StagedLayer {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

/// Tells concurrent partial files apart.
static PARTIAL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub(crate) fn remove_dir(path: &Path) -> Result<(), Error> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(Error::Io {
            path: path.to_owned(),
            source: error,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
