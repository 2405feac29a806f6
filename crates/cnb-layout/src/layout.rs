//! One OCI image layout directory: `oci-layout`, `index.json` and `blobs/sha256/<hex>`.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cnb_image::{Descriptor, Digest, Index, MediaType};
use cnb_sys::StagedFile;
use serde_json::Map;

use crate::Error;

/// The annotation naming an image in `index.json` (image-spec `annotations.md`).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
const LAYOUT_FILE: &str = "oci-layout";
const LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const INDEX_FILE: &str = "index.json";
const FILE_MODE: u32 = 0o644;

/// An OCI image layout directory, which may not exist yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// The layout at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `blobs/sha256/<hex>`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    pub(crate) fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs").join("sha256")
    }

    /// Whether the blob is present.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Opens a blob, or `None` when it is absent (sparse layouts leave base layers out).
    pub fn open_blob(&self, digest: &Digest) -> Result<Option<File>, Error> {
        let path = self.blob_path(digest);
        match File::open(&path) {
            Ok(file) => Ok(Some(file)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    /// A whole blob, checked against its digest, or `None` when absent.
    pub fn read_blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error> {
        let path = self.blob_path(digest);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Read { path, source }),
        };
        if Digest::of(&bytes) != *digest {
            return Err(Error::Corrupt { path });
        }
        Ok(Some(bytes))
    }

    /// `index.json`, or `None` when the layout has none.
    pub fn read_index(&self) -> Result<Option<(Index, Vec<u8>)>, Error> {
        let path = self.dir.join(INDEX_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Read { path, source }),
        };
        let index =
            Index::from_json(&bytes).map_err(|source| Error::ParseIndex { path, source })?;
        Ok(Some((index, bytes)))
    }

    /// The image this layout holds: the one manifest (or nested index) `index.json` lists, or
    /// `index.json` itself when it lists several (one per platform). `None` without an
    /// `index.json` or when the listed manifest blob is absent.
    pub fn root_manifest(&self) -> Result<Option<(MediaType, Vec<u8>)>, Error> {
        let Some((index, bytes)) = self.read_index()? else {
            return Ok(None);
        };
        match index.manifests.as_slice() {
            [] => Err(Error::EmptyIndex {
                path: self.dir.join(INDEX_FILE),
            }),
            [only] => Ok(self
                .read_blob(&only.digest)?
                .map(|blob| (only.media_type.clone(), blob))),
            _ => Ok(Some((
                index.media_type.clone().unwrap_or(MediaType::OciIndex),
                bytes,
            ))),
        }
    }

    /// Creates the directory, `blobs/sha256` and `oci-layout` if missing.
    pub fn init(&self) -> Result<(), Error> {
        let blobs = self.blobs_dir();
        fs::create_dir_all(&blobs).map_err(|source| Error::CreateDir {
            path: blobs.clone(),
            source,
        })?;
        let marker = self.dir.join(LAYOUT_FILE);
        if !marker.is_file() {
            write_durably(&self.dir, &marker, LAYOUT_CONTENT)?;
        }
        Ok(())
    }

    /// Writes `bytes` as a blob (no-op when present) and returns its digest.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        let digest = Digest::of(bytes);
        if !self.has_blob(&digest) {
            self.init()?;
            // The blobs directory itself is synced before an index names the blob.
            let mut staged = staged_file(&self.blobs_dir(), "blob")?;
            staged.write_all(bytes).map_err(|source| Error::Write {
                path: self.blob_path(&digest),
                source,
            })?;
            commit_durably(staged, &self.blob_path(&digest))?;
        }
        Ok(digest)
    }

    /// Puts the blob from `other` in place here, by hard link or else by copy. Returns whether
    /// `other` had it.
    pub fn link_blob_from(&self, other: &Layout, digest: &Digest) -> Result<bool, Error> {
        let source = other.blob_path(digest);
        if !source.is_file() {
            return Ok(false);
        }
        self.init()?;
        let target = self.blob_path(digest);
        if fs::hard_link(&source, &target).is_ok() || target.is_file() {
            return Ok(true);
        }
        let mut staged = staged_file(&self.blobs_dir(), "blob")?;
        let mut reader = File::open(&source).map_err(|err| Error::Read {
            path: source.clone(),
            source: err,
        })?;
        io::copy(&mut reader, &mut staged).map_err(|source| Error::Write {
            path: target.clone(),
            source,
        })?;
        commit_durably(staged, &target)?;
        Ok(true)
    }

    /// Drops every `index.json` entry for the manifest `digest` (the blobs stay), removing
    /// `index.json` when nothing is left. Returns whether an entry was dropped.
    pub fn remove_from_index(&self, digest: &Digest) -> Result<bool, Error> {
        let Some((mut index, _)) = self.read_index()? else {
            return Ok(false);
        };
        let before = index.manifests.len();
        index.manifests.retain(|entry| entry.digest != *digest);
        if index.manifests.len() == before {
            return Ok(false);
        }
        let path = self.dir.join(INDEX_FILE);
        if index.manifests.is_empty() {
            fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
        } else {
            write_durably(&self.dir, &path, &index.to_json())?;
        }
        Ok(true)
    }

    /// Replaces `index.json` with one listing only `manifest`, annotated with `ref_name`. The
    /// blobs it names are on disk before it is (a power loss cannot leave an index naming
    /// missing blobs), and it replaces the old index whole, so a reader sees one or the other
    /// at any moment. Staged files left by writers that were killed are removed after.
    pub fn write_index(&self, manifest: &Descriptor, ref_name: &str) -> Result<(), Error> {
        self.write_index_entries(&[(manifest.clone(), ref_name)])
    }

    /// Replaces `index.json` with one listing each manifest (or index) of `entries`, in
    /// order, annotated with its ref name.
    pub fn write_index_entries(&self, entries: &[(Descriptor, &str)]) -> Result<(), Error> {
        self.init()?;
        let manifests = entries
            .iter()
            .map(|(manifest, ref_name)| {
                let mut entry = manifest.clone();
                entry
                    .annotations
                    .insert(REF_NAME_ANNOTATION.to_owned(), (*ref_name).to_owned());
                entry
            })
            .collect();
        let index = Index {
            schema_version: 2,
            media_type: Some(MediaType::OciIndex),
            manifests,
            annotations: std::collections::BTreeMap::new(),
            other: Map::new(),
        };
        let blobs = self.blobs_dir();
        cnb_sys::sync_dir(&blobs).map_err(|source| Error::Write {
            path: blobs.clone(),
            source,
        })?;
        write_durably(&self.dir, &self.dir.join(INDEX_FILE), &index.to_json())?;
        for dir in [&blobs, &self.dir] {
            match cnb_sys::sweep_staged(dir) {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(
                    removed,
                    dir = %dir.display(),
                    "removed files left by interrupted writers"
                ),
                Err(error) => tracing::debug!(dir = %dir.display(), %error, "not swept"),
            }
        }
        Ok(())
    }
}

/// A staged file in `dir` (see [`cnb_sys::StagedFile`]), world-readable whatever the umask.
pub(crate) fn staged_file(dir: &Path, name: &str) -> Result<StagedFile, Error> {
    let write_error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    let staged = StagedFile::new(dir, name, FILE_MODE).map_err(write_error)?;
    staged
        .file()
        .set_permissions(fs::Permissions::from_mode(FILE_MODE))
        .map_err(write_error)?;
    Ok(staged)
}

/// Syncs a finished staged file and renames it to `target`, then syncs the directory.
pub(crate) fn commit_durably(staged: StagedFile, target: &Path) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: target.to_path_buf(),
        source,
    };
    staged.sync().map_err(write_error)?;
    staged.commit(target).map_err(write_error)
}

/// Writes `target` in `dir` whole, synced, and syncs `dir` so the new name is on disk.
fn write_durably(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), Error> {
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy());
    let mut staged = staged_file(dir, &name)?;
    staged.write_all(bytes).map_err(|source| Error::Write {
        path: target.to_path_buf(),
        source,
    })?;
    commit_durably(staged, target)?;
    cnb_sys::sync_dir(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}
