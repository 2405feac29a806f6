//! The volume cache (Go's format): `committed/<diffID>.tar` holds each cached layer
//! uncompressed and `committed/io.buildpacks.lifecycle.cache.metadata` the metadata JSON.
//! A writer fills `staging/` (reused layers are hard-linked from `committed/`), then commits
//! by renaming `committed` to `committed-backup` and `staging` to `committed`. A reader that
//! finds no `committed/` but a `committed-backup/` (a crash between the two renames) reads
//! the backup, so the previous cache stays usable.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cnb_files::JsonLabel;
use cnb_files::labels::CacheMetadata;
use cnb_image::Sha256Writer;

use crate::{Cache, Error};

/// The metadata file's name inside `committed/`.
pub const METADATA_FILE: &str = "io.buildpacks.lifecycle.cache.metadata";
const COMMITTED: &str = "committed";
const STAGING: &str = "staging";
const BACKUP: &str = "committed-backup";

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

/// A new generation of a volume cache, staged until [`commit`](Self::commit).
#[derive(Debug)]
pub struct VolumeCacheWriter {
    dir: PathBuf,
    staging: PathBuf,
}

impl VolumeCacheWriter {
    /// Starts a new generation in `dir`, discarding any staging left by an interrupted one.
    pub fn new(dir: &Path) -> Result<Self, Error> {
        let staging = dir.join(STAGING);
        remove_dir(&staging)?;
        fs::create_dir_all(&staging).map_err(Error::io(&staging))?;
        Ok(Self {
            dir: dir.to_owned(),
            staging,
        })
    }

    /// Adds a layer from its uncompressed tar stream; returns its diffID.
    pub fn add_layer(&mut self, mut tar: impl Read) -> Result<String, Error> {
        let partial = self.staging.join(".partial.tar");
        let file = File::create(&partial).map_err(Error::io(&partial))?;
        let mut writer = Sha256Writer::new(io::BufWriter::new(file));
        io::copy(&mut tar, &mut writer).map_err(Error::io(&partial))?;
        let (buffered, digest, _) = writer.finish();
        let file = buffered
            .into_inner()
            .map_err(|error| Error::io(&partial)(error.into_error()))?;
        file.sync_all().map_err(Error::io(&partial))?;
        let diff_id = digest.to_string();
        let path = self.staging.join(format!("{diff_id}.tar"));
        fs::rename(&partial, &path).map_err(Error::io(&path))?;
        Ok(diff_id)
    }

    /// Carries the layer `diff_id` over from the committed cache, by hard link. Returns
    /// whether the committed cache had it.
    pub fn reuse_layer(&mut self, diff_id: &str) -> Result<bool, Error> {
        let name = format!("{diff_id}.tar");
        let from = self.dir.join(COMMITTED).join(&name);
        let to = self.staging.join(&name);
        if to.exists() {
            return Ok(true);
        }
        match fs::hard_link(&from, &to) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(Error::Io { path: from, source }),
        }
    }

    /// Writes `metadata` and makes the staged generation the committed one.
    pub fn commit(self, metadata: &CacheMetadata) -> Result<(), Error> {
        let json = metadata.to_label().map_err(Error::EncodeMetadata)?;
        let path = self.staging.join(METADATA_FILE);
        let mut file = File::create(&path).map_err(Error::io(&path))?;
        file.write_all(json.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(Error::io(&path))?;
        let committed = self.dir.join(COMMITTED);
        let backup = self.dir.join(BACKUP);
        remove_dir(&backup)?;
        if committed.exists() {
            fs::rename(&committed, &backup).map_err(Error::io(&committed))?;
        }
        if let Err(source) = fs::rename(&self.staging, &committed) {
            // Put the previous generation back; the staged one is lost.
            let _ = fs::rename(&backup, &committed);
            return Err(Error::Io {
                path: committed,
                source,
            });
        }
        remove_dir(&backup)
    }
}

fn remove_dir(path: &Path) -> Result<(), Error> {
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
