//! Snapshots of the image root: what a RUN, COPY or ADD changed, as a layer.
//!
//! Design: a [`Tree`] is a walk of the root that records, per path, the file type, mode,
//! owner, size, mtime, ctime, inode, device number and symlink target; [`diff`] compares the
//! tree before an instruction with the tree after it. Every path whose record differs is
//! changed; a path that is gone gets a whiteout (only the topmost one of a deleted subtree).
//! ctime cannot be set from user space, so a write that keeps size and mtime (`touch -d`,
//! `cp -p`) still shows. The one blind spot is a write within the same timestamp tick as the
//! walk that recorded the file ("racy" files, as git calls them): a file whose mtime or ctime
//! is within [`RACY_WINDOW`] of the walk's start has its contents hashed, and when its record
//! is unchanged afterwards the contents are compared instead. Paths that belong to the
//! platform ([`Ignore`]: `/proc`, `/sys`, `/dev`, `/cnb`, `/var/run`, `/etc/mtab`, the
//! phase's directories, every mount point) are never walked.
//!
//! The layer ([`write_layer`]) holds the changed paths, their parent directories and the
//! whiteouts, in walk order with whiteouts before the other entries of their directory,
//! written by cnb-archive's tar writer with the headers of every other layer we write.

mod diff;
mod ignore;
mod tree;
mod write;

use std::path::PathBuf;
use std::time::Duration;

pub(crate) use diff::{Changes, diff};
pub(crate) use ignore::Ignore;
pub(crate) use tree::{Tree, walk};
pub(crate) use write::write_layer;

/// Relative path bytes (as the trees keep them) as a `Path`.
pub(crate) fn relative_path(bytes: &[u8]) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes))
}

/// How close to a walk a file's timestamps must be for its contents to be hashed.
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(2);

/// A snapshot could not be taken or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A directory or file of the root could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The layer could not be written.
    #[error("writing the layer to {}", path.display())]
    Layer {
        /// The blob file.
        path: PathBuf,
        /// Why.
        source: cnb_archive::Error,
    },
    /// The layer file could not be created.
    #[error("creating {}", path.display())]
    Create {
        /// The blob file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests;
