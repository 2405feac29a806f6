//! Helpers shared by the integration tests: the golden files and the trees they describe.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test helpers panic on broken fixtures; golden content bytes are i % 251"
)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, lchown, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// testdata/golden of the workspace.
pub(crate) fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/golden")
        .join(name)
}

/// `%XX`-escaped bytes, as in headers.list and the tree files.
pub(crate) fn unescape(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Bytes `i % 251` for `i < size`, the content of golden files.
pub(crate) fn content(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// The rows of a golden list, comments and blank lines left out.
pub(crate) fn rows(name: &str) -> Vec<Vec<String>> {
    fs::read_to_string(golden(name))
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split(' ').map(str::to_owned).collect())
        .collect()
}

/// A tree file's layer (image path, uid, gid), after building its tree under `root`, as
/// testdata/golden/gen does (which needs root, for the owners).
pub(crate) fn build_tree(root: &Path, tree: &str) -> (PathBuf, u32, u32) {
    let rows = rows(tree);
    let layer = (
        PathBuf::from(&rows[0][1]),
        rows[0][2].parse().unwrap(),
        rows[0][3].parse().unwrap(),
    );
    let mut modes = Vec::new();
    for row in &rows[1..] {
        let path = root.join(&row[4]);
        let mode = u32::from_str_radix(&row[1], 8).unwrap();
        match row[0].as_str() {
            "dir" => fs::create_dir(&path).unwrap(),
            "file" => {
                let data = match row[5].strip_prefix("text:") {
                    Some(text) => unescape(text),
                    None => content(row[5].parse().unwrap()),
                };
                fs::write(&path, data).unwrap();
            }
            "link" => fs::hard_link(root.join(&row[5]), &path).unwrap(),
            "symlink" => symlink(&row[5], &path).unwrap(),
            "fifo" => assert!(
                Command::new("mkfifo")
                    .arg(&path)
                    .status()
                    .unwrap()
                    .success()
            ),
            other => panic!("unknown kind {other}"),
        }
        if row[0] == "link" {
            continue;
        }
        lchown(
            &path,
            Some(row[2].parse().unwrap()),
            Some(row[3].parse().unwrap()),
        )
        .unwrap();
        if row[0] != "symlink" {
            modes.push((path, mode));
        }
    }
    modes.sort_by_key(|(path, _)| std::cmp::Reverse(path.as_os_str().len()));
    for (path, mode) in modes {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    layer
}

/// Whether the tests run as root (chown needs it).
pub(crate) fn is_root() -> bool {
    cnb_sys::is_root()
}

/// The offset of the first byte where `a` and `b` differ, for readable failures.
pub(crate) fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
}
