//! Unpacking a layer into a directory, safely (lifecycle-tests.md §4.8).
//!
//! Names are taken relative to the target, leading `/` included, as the Go restorer prepends
//! its destination. Directories, regular files, symlinks and hard links are created; PAX
//! global headers are skipped; any other type is refused, as Go refuses it. Unlike Go's, this
//! extractor refuses entries with a `..` element, entries whose parent is a symlink (so
//! nothing is ever written through one), and hard links to anything outside the target or
//! reached through a symlink; an existing file at an entry's path is replaced, never
//! written through. Modes are applied exactly, as under Go's umask 0: files get theirs when
//! written, new directories theirs at the end (deepest first), and parents that the archive
//! does not list are created 0777 minus the process umask. Ownership from the archive is
//! applied when running as root (Go never applies it). Tolerated, as umoci writes them:
//! members named `/` or `./`, and missing parent directories. Optionally, OCI whiteouts
//! (`.wh.<name>`, `.wh..wh..opq`) remove what they name instead of being written, as when a
//! layer is applied on top of the file system it was taken from.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, lchown, symlink};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use tar::EntryType;

use crate::decompress::decompress;
use crate::{Error, Result};

/// Unpacks layers into a target directory.
#[derive(Debug, Clone)]
pub struct Extractor {
    target: PathBuf,
    chown: bool,
    whiteouts: bool,
}

/// The name prefix of an OCI whiteout entry.
const WHITEOUT_PREFIX: &[u8] = b".wh.";
/// The name of an OCI opaque-directory marker.
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

/// Unpacks the layer `blob` (plain, gzip or zstd) into `target`, which is created if needed.
pub fn extract(blob: impl Read, target: &Path) -> Result<()> {
    Extractor::new(target).extract(blob)
}

impl Extractor {
    /// Extracts into `target`, applying ownership from the archive if running as root.
    pub fn new(target: &Path) -> Self {
        Self {
            target: target.to_owned(),
            chown: cnb_sys::is_root(),
            whiteouts: false,
        }
    }

    /// Whether whiteout entries remove what they name (from the target as it was before
    /// this layer) instead of being written as files.
    #[must_use]
    pub fn apply_whiteouts(mut self, apply: bool) -> Self {
        self.whiteouts = apply;
        self
    }

    /// Whether to give extracted entries the archive's owners (needs root).
    #[must_use]
    pub fn apply_ownership(mut self, chown: bool) -> Self {
        self.chown = chown;
        self
    }

    /// Unpacks the layer `blob` (plain, gzip or zstd).
    pub fn extract(&self, blob: impl Read) -> Result<()> {
        fs::create_dir_all(&self.target).map_err(|source| Error::Create {
            path: self.target.clone(),
            source,
        })?;
        let mut run = Run {
            extractor: self,
            real_dirs: HashSet::new(),
            new_dirs: Vec::new(),
        };
        let mut archive = tar::Archive::new(decompress(blob)?);
        let read = |source| Error::ReadArchive { source };
        for entry in archive.entries().map_err(read)? {
            run.entry(entry.map_err(read)?)?;
        }
        for (path, mode) in run.new_dirs.iter().rev() {
            set_mode(path, *mode)?;
        }
        Ok(())
    }
}

/// The state of one extraction.
struct Run<'a> {
    extractor: &'a Extractor,
    /// Relative paths known to be real directories (not symlinks) inside the target.
    real_dirs: HashSet<PathBuf>,
    /// Directories this run created for a directory entry, with the entry's mode.
    new_dirs: Vec<(PathBuf, u32)>,
}

impl Run<'_> {
    fn entry<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<()> {
        let kind = entry.header().entry_type();
        let raw_name = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&raw_name).into_owned();
        let unsafe_entry = |reason| Error::UnsafeEntry {
            name: display.clone(),
            reason,
        };
        if kind == EntryType::XGlobalHeader {
            return Ok(());
        }
        let relative =
            relative_path(&raw_name).ok_or_else(|| unsafe_entry("it has a '..' element"))?;
        if relative.as_os_str().is_empty() {
            // the target itself (`/`, `./`): it exists already
            return if kind == EntryType::Directory {
                Ok(())
            } else {
                Err(unsafe_entry("it names the target directory itself"))
            };
        }
        let mode = entry
            .header()
            .mode()
            .map_err(|source| Error::ReadArchive { source })?
            & 0o7777;
        let (uid, gid) = owner(&mut entry)?;
        self.ensure_parents(&relative, &display)?;
        let path = self.extractor.target.join(&relative);
        if self.extractor.whiteouts && whiteout(&path)? {
            return Ok(());
        }
        match kind {
            EntryType::Directory => self.directory(&relative, &path, mode, &display)?,
            EntryType::Regular => {
                clear(&path)?;
                write_file(&path, &mut entry, mode)?;
            }
            EntryType::Symlink => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                clear(&path)?;
                symlink(std::ffi::OsStr::from_bytes(&target), &path).map_err(|source| {
                    Error::Create {
                        path: path.clone(),
                        source,
                    }
                })?;
            }
            EntryType::Link => {
                let link = entry.link_name_bytes().unwrap_or_default().into_owned();
                let source = self.link_source(&link, &display)?;
                clear(&path)?;
                fs::hard_link(&source, &path).map_err(|source| Error::Create {
                    path: path.clone(),
                    source,
                })?;
                return Ok(());
            }
            other => {
                return Err(Error::UnsupportedEntry {
                    name: display,
                    typeflag: other.as_byte(),
                });
            }
        }
        if self.extractor.chown {
            lchown(&path, Some(uid), Some(gid)).map_err(|source| Error::SetAttributes {
                path: path.clone(),
                source,
            })?;
            if kind == EntryType::Regular {
                // chown clears setuid and setgid
                set_mode(&path, mode)?;
            }
        }
        Ok(())
    }

    /// Makes sure every parent of `relative` is a real directory inside the target, creating
    /// missing ones (0777 minus the umask); refuses a parent that is a symlink or a file.
    fn ensure_parents(&mut self, relative: &Path, display: &str) -> Result<()> {
        let mut current = PathBuf::new();
        let Some(parent) = relative.parent() else {
            return Ok(());
        };
        for component in parent.components() {
            current.push(component);
            if self.real_dirs.contains(&current) {
                continue;
            }
            let path = self.extractor.target.join(&current);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::UnsafeEntry {
                        name: display.to_owned(),
                        reason: "its path passes through a symlink",
                    });
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(Error::UnsafeEntry {
                        name: display.to_owned(),
                        reason: "a parent in its path is not a directory",
                    });
                }
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    create_dir_racing(&path)?;
                }
                Err(source) => return Err(Error::Inspect { path, source }),
            }
            self.real_dirs.insert(current.clone());
        }
        Ok(())
    }

    fn directory(&mut self, relative: &Path, path: &Path, mode: u32, display: &str) -> Result<()> {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::UnsafeEntry {
                    name: display.to_owned(),
                    reason: "a symlink or file is in the way of the directory",
                });
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                if create_dir_racing(path)? {
                    set_mode(path, 0o777)?;
                    self.new_dirs.push((path.to_owned(), mode));
                }
            }
            Err(source) => {
                return Err(Error::Inspect {
                    path: path.to_owned(),
                    source,
                });
            }
        }
        self.real_dirs.insert(relative.to_owned());
        Ok(())
    }

    /// The existing file a hard link entry points at: inside the target, not through a
    /// symlink, not a directory.
    fn link_source(&mut self, link: &[u8], display: &str) -> Result<PathBuf> {
        let refuse = |reason| Error::UnsafeEntry {
            name: display.to_owned(),
            reason,
        };
        let relative =
            relative_path(link).ok_or_else(|| refuse("its link target has a '..' element"))?;
        if relative.as_os_str().is_empty() {
            return Err(refuse("it links to the target directory"));
        }
        let mut current = PathBuf::new();
        for component in relative.parent().into_iter().flat_map(Path::components) {
            current.push(component);
            let path = self.extractor.target.join(&current);
            let meta =
                fs::symlink_metadata(&path).map_err(|source| Error::Inspect { path, source })?;
            if !meta.is_dir() {
                return Err(refuse("its link target passes through a symlink or file"));
            }
        }
        let source = self.extractor.target.join(&relative);
        let meta = fs::symlink_metadata(&source).map_err(|err| Error::Inspect {
            path: source.clone(),
            source: err,
        })?;
        if meta.is_dir() {
            return Err(refuse("it links to a directory"));
        }
        Ok(source)
    }
}

/// Applies `path` if it is a whiteout entry: `.wh..wh..opq` empties its directory,
/// `.wh.<name>` removes `<name>` beside it. Returns whether it was one.
fn whiteout(path: &Path) -> Result<bool> {
    let (Some(name), Some(dir)) = (path.file_name(), path.parent()) else {
        return Ok(false);
    };
    let name = name.as_bytes();
    if name == OPAQUE_MARKER {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(source) => {
                return Err(Error::Inspect {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        for entry in entries {
            let entry = entry.map_err(|source| Error::Inspect {
                path: dir.to_owned(),
                source,
            })?;
            remove_any(&entry.path())?;
        }
        return Ok(true);
    }
    let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) else {
        return Ok(false);
    };
    if matches!(hidden, b"" | b"." | b"..") {
        return Err(Error::UnsafeEntry {
            name: path.display().to_string(),
            reason: "it is a whiteout of no name, '.' or '..'",
        });
    }
    remove_any(&dir.join(std::ffi::OsStr::from_bytes(hidden)))?;
    Ok(true)
}

/// Removes whatever is at `path` (a directory with all it holds); nothing there is fine.
fn remove_any(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => {
            return Err(Error::Inspect {
                path: path.to_owned(),
                source,
            });
        }
    };
    removed.map_err(|source| Error::Create {
        path: path.to_owned(),
        source,
    })
}

/// The entry's owner: the header's, or the PAX `uid`/`gid` records when present.
pub(crate) fn owner<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<(u32, u32)> {
    let read = |source| Error::ReadArchive { source };
    let header = entry.header();
    let mut uid = header.uid().map_err(read)?;
    let mut gid = header.gid().map_err(read)?;
    if let Some(extensions) = entry.pax_extensions().map_err(read)? {
        for extension in extensions {
            let extension = extension.map_err(read)?;
            let value = || {
                std::str::from_utf8(extension.value_bytes())
                    .ok()?
                    .parse()
                    .ok()
            };
            match extension.key_bytes() {
                b"uid" => uid = value().unwrap_or(uid),
                b"gid" => gid = value().unwrap_or(gid),
                _ => {}
            }
        }
    }
    let narrow = |id: u64| u32::try_from(id).unwrap_or(u32::MAX);
    Ok((narrow(uid), narrow(gid)))
}

/// The entry name as a path relative to the target: leading `/`, `.` and empty elements
/// dropped. `None` if any element is `..`.
fn relative_path(name: &[u8]) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for element in name.split(|&b| b == b'/') {
        match element {
            b"" | b"." => {}
            b".." => return None,
            element => relative.push(std::ffi::OsStr::from_bytes(element)),
        }
    }
    Some(relative)
}

/// Removes what is at `path` (not a directory) so that a new entry can take its place.
fn clear(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::Create {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::AlreadyExists, "a directory is in the way"),
        }),
        Ok(_) => fs::remove_file(path).map_err(|source| Error::Create {
            path: path.to_owned(),
            source,
        }),
        Err(_) => Ok(()),
    }
}

fn write_file(path: &Path, data: &mut impl Read, mode: u32) -> Result<()> {
    let create = |source| Error::Create {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(path)
        .map_err(create)?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match data.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(Error::ReadArchive { source }),
        };
        file.write_all(&buffer[..read]).map_err(create)?;
    }
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|source| Error::SetAttributes {
            path: path.to_owned(),
            source,
        })
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|source| {
        Error::SetAttributes {
            path: path.to_owned(),
            source,
        }
    })
}

/// Creates the directory `path`, whose parent is a real directory; true when this call
/// created it. Another process or thread may create it in between (two extractions into one
/// tree): a directory found there then is taken as it is, anything else is still an error.
fn create_dir_racing(path: &Path) -> Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(source) if source.kind() == io::ErrorKind::AlreadyExists => {
            match fs::symlink_metadata(path) {
                Ok(meta) if meta.is_dir() => Ok(false),
                _ => Err(Error::Create {
                    path: path.to_owned(),
                    source,
                }),
            }
        }
        Err(source) => Err(Error::Create {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_another_writer_created_first_is_taken_as_it_is() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("sbom");
        assert!(create_dir_racing(&path).unwrap(), "created");
        assert!(!create_dir_racing(&path).unwrap(), "found, not an error");
        let file = root.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            create_dir_racing(&file),
            Err(Error::Create { .. })
        ));
    }
}
