//! Entries from the file system, described as Go's `tar.FileInfoHeader` describes them: the
//! lstat permission bits plus setuid, setgid and sticky; the raw `readlink` target; device
//! numbers; sockets skipped; hard links stored as plain files.

use std::fs::{self, File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::{EntryKind, EntrySink, Error, Header, Result};

/// Who owns the entries of a layer's directory and everything under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// User id (`CNB_USER_ID` for buildpack layers, 0 for the lifecycle's own).
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl Owner {
    /// `uid:gid`.
    pub fn new(uid: u32, gid: u32) -> Self {
        Self { uid, gid }
    }
}

/// The `lstat` of `path`.
pub(crate) fn lstat(path: &Path) -> Result<Metadata> {
    fs::symlink_metadata(path).map_err(|source| Error::Inspect {
        path: path.to_owned(),
        source,
    })
}

/// The `stat` of `path` (symlinks followed), as Go reads a layer dir's parents.
pub(crate) fn stat(path: &Path) -> Result<Metadata> {
    fs::metadata(path).map_err(|source| Error::Inspect {
        path: path.to_owned(),
        source,
    })
}

/// The header for the file at `host` with `meta`, named `name`, owned by `owner` or, without
/// one, by its real owner. `None` for sockets, which the lifecycle leaves out.
pub(crate) fn header_for(
    host: &Path,
    name: Vec<u8>,
    meta: &Metadata,
    owner: Option<Owner>,
) -> Result<Option<Header>> {
    let file_type = meta.file_type();
    let mode = meta.mode() & 0o7777;
    let mut header = if file_type.is_file() {
        Header::regular(name, mode, meta.len())
    } else if file_type.is_dir() {
        Header::directory(name, mode)
    } else if file_type.is_symlink() {
        let target = fs::read_link(host).map_err(|source| Error::Inspect {
            path: host.to_owned(),
            source,
        })?;
        Header::symlink(name, target.as_os_str().as_bytes(), mode)
    } else if file_type.is_fifo() {
        Header::new(EntryKind::Fifo, name, mode)
    } else if file_type.is_char_device() || file_type.is_block_device() {
        let kind = if file_type.is_char_device() {
            EntryKind::CharDevice
        } else {
            EntryKind::BlockDevice
        };
        let mut header = Header::new(kind, name, mode);
        (header.dev_major, header.dev_minor) = split_dev(meta.rdev());
        header
    } else {
        return Ok(None);
    };
    let owner = owner.unwrap_or(Owner::new(meta.uid(), meta.gid()));
    (header.uid, header.gid) = (owner.uid, owner.gid);
    Ok(Some(header))
}

/// Appends the file at `host` as `name`: its header and, for a regular file, its contents.
pub(crate) fn append_path(
    sink: &mut dyn EntrySink,
    host: &Path,
    name: Vec<u8>,
    meta: &Metadata,
    owner: Option<Owner>,
) -> Result<()> {
    let Some(header) = header_for(host, name, meta, owner)? else {
        return Ok(());
    };
    if header.kind == EntryKind::Regular {
        let mut file = File::open(host).map_err(|source| Error::ReadFile {
            path: host.to_owned(),
            source,
        })?;
        sink.append(&header, &mut file)
    } else {
        sink.append(&header, &mut std::io::empty())
    }
}

/// Linux's major and minor numbers of a device id (glibc `gnu_dev_major`/`gnu_dev_minor`).
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (
        u32::try_from(major).unwrap_or(u32::MAX),
        u32::try_from(minor).unwrap_or(u32::MAX),
    )
}

/// `name` + `/` + `child`, without doubling the slash after `/`.
pub(crate) fn join_name(name: &[u8], child: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(name.len() + 1 + child.len());
    joined.extend_from_slice(name);
    if !name.ends_with(b"/") {
        joined.push(b'/');
    }
    joined.extend_from_slice(child);
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_device_ids_like_glibc() {
        // /dev/null is 1:3; a large minor spills into the high bits
        assert_eq!(split_dev(0x0103), (1, 3));
        assert_eq!(split_dev((0xfff00 << 12) | (8 << 8) | 0xff), (8, 0xfffff));
    }

    #[test]
    fn describes_files_symlinks_and_sockets() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"abc").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink("f", &link).unwrap();
        let owner = Some(Owner::new(7, 8));

        let header = header_for(&file, b"/f".to_vec(), &lstat(&file).unwrap(), owner);
        let header = header.unwrap().unwrap();
        assert_eq!(
            (header.kind, header.size, header.uid, header.gid),
            (EntryKind::Regular, 3, 7, 8)
        );

        let header = header_for(&link, b"/l".to_vec(), &lstat(&link).unwrap(), owner);
        let header = header.unwrap().unwrap();
        assert_eq!(
            (header.kind, header.link_name.as_slice(), header.mode),
            (EntryKind::Symlink, b"f".as_slice(), 0o777)
        );

        let socket = dir.path().join("s");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let meta = lstat(&socket).unwrap();
        assert!(
            header_for(&socket, b"/s".to_vec(), &meta, owner)
                .unwrap()
                .is_none()
        );
    }
}
