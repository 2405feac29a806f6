//! The paths a snapshot never looks at: the platform's (kaniko's default list and Go's
//! extender's: `/proc`, `/sys`, `/dev`, `/var/run`, `/etc/mtab`, `/tmp/apt-key-gpghome*`;
//! `/cnb` where the lifecycle lives), the phase's own directories (`<app>`, `<layers>`,
//! `<platform>`, `<generated>`, `<extended>`, `<kaniko-dir>`) and every mount point.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const FIXED: &[&str] = &["proc", "sys", "dev", "cnb", "var/run", "etc/mtab"];
const PREFIXES: &[&str] = &["tmp/apt-key-gpghome"];

/// Paths relative to the root (no leading `/`) that are never part of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ignore {
    exact: BTreeSet<Vec<u8>>,
    prefixes: Vec<Vec<u8>>,
}

impl Ignore {
    /// The fixed list, `dirs` and the mount points in `mountinfo` (a missing table only
    /// warns), each kept when it lies under `root`.
    pub(crate) fn new(root: &Path, dirs: &[&Path], mountinfo: &Path) -> Self {
        let mut ignore = Self {
            exact: FIXED.iter().map(|p| p.as_bytes().to_vec()).collect(),
            prefixes: PREFIXES.iter().map(|p| p.as_bytes().to_vec()).collect(),
        };
        for dir in dirs {
            ignore.add(root, dir);
        }
        match std::fs::read_to_string(mountinfo) {
            Ok(table) => {
                for mount_point in mount_points(&table) {
                    ignore.add(root, Path::new(std::ffi::OsStr::from_bytes(&mount_point)));
                }
            }
            Err(error) => tracing::warn!(
                "Could not read the mount table {}: {error}; only the fixed paths are left out of snapshots",
                mountinfo.display()
            ),
        }
        ignore
    }

    fn add(&mut self, root: &Path, path: &Path) {
        if let Ok(relative) = path.strip_prefix(root) {
            let bytes = relative.as_os_str().as_bytes();
            let trimmed = bytes.strip_suffix(b"/").unwrap_or(bytes);
            if !trimmed.is_empty() {
                self.exact.insert(trimmed.to_vec());
            }
        }
    }

    /// Whether the walk must skip `relative` (and so everything under it).
    pub(crate) fn contains(&self, relative: &[u8]) -> bool {
        self.exact.contains(relative) || self.prefixes.iter().any(|p| relative.starts_with(p))
    }
}

/// The mount points of a `/proc/self/mountinfo` table (field 5, octal escapes decoded).
fn mount_points(table: &str) -> Vec<Vec<u8>> {
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape)
        .collect()
}

/// `\040`-style octal escapes decoded.
fn unescape(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = bytes[i + 1..i + 4]
                .iter()
                .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 0:21 / / rw,relatime - overlay overlay rw
23 22 0:22 / /proc rw - proc proc rw
24 22 0:5 / /cnb/lifecycle ro,bind - ext4 /dev/sda1 rw
25 22 0:5 /x /etc/resolv.conf rw - ext4 /dev/sda1 rw
26 22 0:5 /y /my\\040volume rw - ext4 /dev/sda1 rw
";

    #[test]
    fn mount_points_dirs_and_the_fixed_list_are_ignored_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("mountinfo");
        std::fs::write(&table, TABLE).unwrap();
        let ignore = Ignore::new(
            Path::new("/"),
            &[
                Path::new("/workspace"),
                Path::new("/layers/"),
                Path::new("/elsewhere/x"),
            ],
            &table,
        );
        for ignored in [
            "proc",
            "sys",
            "dev",
            "cnb",
            "var/run",
            "etc/mtab",
            "cnb/lifecycle",
            "etc/resolv.conf",
            "my volume",
            "workspace",
            "layers",
            "elsewhere/x",
            "tmp/apt-key-gpghome.abc",
        ] {
            assert!(ignore.contains(ignored.as_bytes()), "{ignored}");
        }
        for kept in ["", "etc", "tmp", "opt/ext", "layersx"] {
            assert!(!ignore.contains(kept.as_bytes()), "{kept}");
        }
    }

    #[test]
    fn paths_outside_another_root_are_not_ignored_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("mountinfo");
        std::fs::write(&table, TABLE).unwrap();
        let root = Path::new("/srv/rootfs");
        let ignore = Ignore::new(
            root,
            &[Path::new("/srv/rootfs/workspace"), Path::new("/layers")],
            &table,
        );
        assert!(ignore.contains(b"workspace"));
        assert!(!ignore.contains(b"layers"));
        assert!(!ignore.contains(b"etc/resolv.conf"));
    }
}
