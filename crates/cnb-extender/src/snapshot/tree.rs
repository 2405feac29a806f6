//! A walk of the image root: one record per path, enough to tell later whether it changed.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cnb_image::{Digest, Sha256Writer};

use super::{Ignore, RACY_WINDOW, SnapshotError};

/// What a path was when walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The file type bits (`S_IFMT`).
    pub kind: u32,
    /// Permission, setuid, setgid and sticky bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub ino: u64,
    pub rdev: u64,
    /// A symlink's target.
    pub link: Option<Vec<u8>>,
    /// A racy regular file's contents' digest (see the module docs of `snapshot`).
    pub hash: Option<Digest>,
}

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;

impl Record {
    /// Whether it is a directory.
    pub(crate) fn is_dir(&self) -> bool {
        self.kind == S_IFDIR
    }

    /// Whether it is a regular file.
    pub(crate) fn is_file(&self) -> bool {
        self.kind == S_IFREG
    }

    /// Whether everything but the contents' digest is the same.
    pub(crate) fn same_metadata(&self, other: &Self) -> bool {
        (
            self.kind, self.mode, self.uid, self.gid, self.size, self.mtime, self.ctime, self.ino,
            self.rdev, &self.link,
        ) == (
            other.kind,
            other.mode,
            other.uid,
            other.gid,
            other.size,
            other.mtime,
            other.ctime,
            other.ino,
            other.rdev,
            &other.link,
        )
    }
}

/// The records of a walk, by path relative to the root (`etc/passwd`; the root itself is not
/// recorded).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub records: BTreeMap<Vec<u8>, Record>,
}

/// Walks everything under `root` except what `ignore` holds.
pub(crate) fn walk(root: &Path, ignore: &Ignore) -> Result<Tree, SnapshotError> {
    let racy_since = seconds(SystemTime::now())
        .saturating_sub(i64::try_from(RACY_WINDOW.as_secs()).unwrap_or(i64::MAX));
    let mut tree = Tree::default();
    let mut pending: Vec<(PathBuf, Vec<u8>)> = vec![(root.to_owned(), Vec::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let read = |source| SnapshotError::Read {
            path: dir.clone(),
            source,
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(read(err)),
        };
        for entry in entries {
            let entry = entry.map_err(read)?;
            let mut relative = prefix.clone();
            if !relative.is_empty() {
                relative.push(b'/');
            }
            relative.extend_from_slice(entry.file_name().as_bytes());
            if ignore.contains(&relative) {
                continue;
            }
            let path = entry.path();
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(SnapshotError::Read { path, source }),
            };
            let record = record(&path, &meta, racy_since)?;
            if record.is_dir() {
                pending.push((path, relative.clone()));
            }
            tree.records.insert(relative, record);
        }
    }
    Ok(tree)
}

fn record(path: &Path, meta: &Metadata, racy_since: i64) -> Result<Record, SnapshotError> {
    let link = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).map_err(|source| SnapshotError::Read {
            path: path.to_owned(),
            source,
        })?;
        Some(target.as_os_str().as_bytes().to_vec())
    } else {
        None
    };
    let mut record = Record {
        kind: meta.mode() & S_IFMT,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        size: meta.len(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        ctime: (meta.ctime(), meta.ctime_nsec()),
        ino: meta.ino(),
        rdev: meta.rdev(),
        link,
        hash: None,
    };
    if record.is_file() && (record.mtime.0 >= racy_since || record.ctime.0 >= racy_since) {
        record.hash = Some(hash_file(path)?);
    }
    Ok(record)
}

/// The digest of a file's contents.
pub(crate) fn hash_file(path: &Path) -> Result<Digest, SnapshotError> {
    let read = |source| SnapshotError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut hasher = Sha256Writer::new(io::sink());
    io::copy(&mut file, &mut hasher).map_err(read)?;
    Ok(hasher.finish().1)
}

fn seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
