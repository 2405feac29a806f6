//! Tar entry headers as the Go lifecycle writes them: Go `archive/tar` with the format left
//! unset, behind the lifecycle's normalising writer (lifecycle-tests.md §4.2 and §4.4).
//!
//! What that fixes for every entry: mtime 315532801 (1980-01-01T00:00:01Z), empty user and
//! group names, no access or change time. USTAR is used whenever the entry fits it (a long
//! ASCII name may be split into prefix and name); otherwise a PAX extended header carrying
//! `path`, `linkpath`, `uid`, `gid` or `size` comes first, and the USTAR header after it holds
//! ASCII-filtered, truncated strings and zero for numbers that do not fit. GNU headers are only
//! Go's last resort for modes or device numbers too large for octal, which no file system
//! here produces, so such headers are refused instead.

use std::collections::BTreeMap;

mod encode;
mod path;

pub(crate) use encode::{BLOCK, encode, padding};

/// The mtime of every entry: 1980-01-01T00:00:01Z, Go lifecycle's `archive.NormalizedModTime`.
pub const NORMALIZED_MTIME: u64 = 315_532_801;

/// What an entry is (the tar typeflag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file (`0`), followed by its contents.
    Regular,
    /// A hard link (`1`) to an earlier entry named by the link name.
    HardLink,
    /// A symbolic link (`2`) whose target is the link name.
    Symlink,
    /// A character device (`3`).
    CharDevice,
    /// A block device (`4`).
    BlockDevice,
    /// A directory (`5`).
    Directory,
    /// A named pipe (`6`).
    Fifo,
}

impl EntryKind {
    /// The typeflag byte.
    pub fn typeflag(self) -> u8 {
        match self {
            Self::Regular => b'0',
            Self::HardLink => b'1',
            Self::Symlink => b'2',
            Self::CharDevice => b'3',
            Self::BlockDevice => b'4',
            Self::Directory => b'5',
            Self::Fifo => b'6',
        }
    }

    /// Whether entries of this kind carry no data, whatever their size field says.
    pub fn is_header_only(self) -> bool {
        self != Self::Regular
    }
}

/// One entry's metadata, before normalisation of what the lifecycle fixes (mtime, user and
/// group names). Names and link names are raw bytes, as Unix paths are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The entry's name, e.g. `/layers/bp/layer/file` (no trailing slash for directories).
    pub name: Vec<u8>,
    /// What the entry is.
    pub kind: EntryKind,
    /// The target of a symlink or hard link; empty otherwise.
    pub link_name: Vec<u8>,
    /// Permission bits plus setuid, setgid and sticky (`0o7777` at most), no file-type bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size of the contents that follow (regular files only).
    pub size: u64,
    /// Major device number (devices only).
    pub dev_major: u32,
    /// Minor device number (devices only).
    pub dev_minor: u32,
}

impl Header {
    /// A header of `kind` named `name`, owned by root, with no contents.
    pub fn new(kind: EntryKind, name: impl Into<Vec<u8>>, mode: u32) -> Self {
        Self {
            name: name.into(),
            kind,
            link_name: Vec::new(),
            mode,
            uid: 0,
            gid: 0,
            size: 0,
            dev_major: 0,
            dev_minor: 0,
        }
    }

    /// A directory.
    pub fn directory(name: impl Into<Vec<u8>>, mode: u32) -> Self {
        Self::new(EntryKind::Directory, name, mode)
    }

    /// A regular file of `size` bytes.
    pub fn regular(name: impl Into<Vec<u8>>, mode: u32, size: u64) -> Self {
        Self {
            size,
            ..Self::new(EntryKind::Regular, name, mode)
        }
    }

    /// A symlink to `target`.
    pub fn symlink(name: impl Into<Vec<u8>>, target: impl Into<Vec<u8>>, mode: u32) -> Self {
        Self {
            link_name: target.into(),
            ..Self::new(EntryKind::Symlink, name, mode)
        }
    }

    /// The same header owned by `uid:gid`.
    #[must_use]
    pub fn owned_by(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// How many content bytes follow the header.
    pub fn data_size(&self) -> u64 {
        if self.kind.is_header_only() {
            0
        } else {
            self.size
        }
    }

    /// The PAX records this header needs (key → value), and whether plain USTAR can hold it.
    /// As in Go, a long ASCII name that USTAR can split is recorded too: it is used only when
    /// another field forces PAX.
    pub(crate) fn pax_records(&self) -> (BTreeMap<&'static str, Vec<u8>>, bool) {
        let mut records = BTreeMap::new();
        let mut fits_ustar = true;
        if !is_ascii(&self.name) || self.name.len() > encode::NAME_LEN {
            fits_ustar &= path::split_ustar(&self.name).is_some();
            records.insert("path", self.name.clone());
        }
        if !is_ascii(&self.link_name) || self.link_name.len() > encode::NAME_LEN {
            fits_ustar = false;
            records.insert("linkpath", self.link_name.clone());
        }
        for (key, value, field) in [
            ("uid", u64::from(self.uid), 8),
            ("gid", u64::from(self.gid), 8),
            ("size", self.size, 12),
        ] {
            if !encode::fits_octal(field, value) {
                fits_ustar = false;
                records.insert(key, value.to_string().into_bytes());
            }
        }
        (records, fits_ustar)
    }
}

/// Go's `isASCII`: no byte at or above 0x80 and no NUL.
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b != 0 && b < 0x80)
}

/// Go's `toASCII`: drops every byte that `is_ascii` refuses.
pub(crate) fn to_ascii(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|&b| b != 0 && b < 0x80)
        .collect()
}
