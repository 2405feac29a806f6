//! Privileges (spec-matrix.md §0; Go `priv/user_linux.go`): a phase started as root with a
//! build user (`-uid`/`-gid`) first hands that user the volumes it writes, then drops to it for
//! good. Registry credentials must be read before the drop.

use std::fs;
use std::os::unix::fs::{MetadataExt, lchown};
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Uid, getgid, getuid, setgroups, setresgid, setresuid};

/// A failed ownership change or privilege drop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a volume or one of its entries failed.
    #[error("reading {path}")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `chown` of a volume or one of its entries failed.
    #[error("changing the owner of {path} to {uid}:{gid}")]
    Chown {
        /// The path.
        path: PathBuf,
        /// The new owner.
        uid: u32,
        /// The new group.
        gid: u32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Switching the process to `uid:gid` failed.
    #[error("switching to user {uid}:{gid}")]
    Switch {
        /// The user.
        uid: u32,
        /// The group.
        gid: u32,
        /// The cause.
        #[source]
        source: nix::Error,
    },
}

/// Whether the process runs as root.
pub fn is_root() -> bool {
    getuid().is_root()
}

/// Gives `uid:gid` every volume in `paths` that it cannot already write: the volume and all it
/// holds are chowned (symlinks themselves, never their targets). A volume that `uid:gid` can
/// write (owned by it, group-writable for `gid`, or world-writable) is left alone, children
/// included, as Go does for speed. Missing paths are skipped.
pub fn ensure_owner(uid: u32, gid: u32, paths: &[&Path]) -> Result<(), Error> {
    for path in paths {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(Error::Inspect {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if !writable_by(uid, gid, &meta) {
            chown_tree(path, uid, gid)?;
        }
    }
    Ok(())
}

fn writable_by(uid: u32, gid: u32, meta: &fs::Metadata) -> bool {
    const GROUP_WRITE: u32 = 0o020;
    const WORLD_WRITE: u32 = 0o002;
    meta.uid() == uid
        || (meta.gid() == gid && meta.mode() & GROUP_WRITE != 0)
        || meta.mode() & WORLD_WRITE != 0
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<(), Error> {
    let chown_error = |path: &Path, source| Error::Chown {
        path: path.to_path_buf(),
        uid,
        gid,
        source,
    };
    lchown(path, Some(uid), Some(gid)).map_err(|source| chown_error(path, source))?;
    let meta = fs::symlink_metadata(path).map_err(|source| Error::Inspect {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(());
    }
    let entries = fs::read_dir(path).map_err(|source| Error::Inspect {
        path: path.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Inspect {
            path: path.to_path_buf(),
            source,
        })?;
        chown_tree(&entry.path(), uid, gid)?;
    }
    Ok(())
}

/// Switches the whole process to `uid:gid` (real, effective and saved ids; supplementary
/// groups cleared) so that nothing can switch back. A no-op when the process already runs as
/// `uid:gid`. Call it before any thread is started.
pub fn run_as(uid: u32, gid: u32) -> Result<(), Error> {
    if getuid().as_raw() == uid && getgid().as_raw() == gid {
        return Ok(());
    }
    let switch_error = |source| Error::Switch { uid, gid, source };
    let (user, group) = (Uid::from_raw(uid), Gid::from_raw(gid));
    if is_root() {
        setgroups(&[group]).map_err(switch_error)?;
    }
    setresgid(group, group, group).map_err(switch_error)?;
    setresuid(user, user, user).map_err(switch_error)?;
    Ok(())
}

#[cfg(test)]
mod tests;
