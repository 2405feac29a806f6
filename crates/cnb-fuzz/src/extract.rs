//! Layer tars (plain, gzip or zstd) through `cnb_archive`'s extractor, as the restorer and the
//! cache use it, and with OCI whiteouts applied, as the extender applies layers. The target
//! directory sits next to a directory it must never touch, and already holds symlinks that
//! lead there (`up` → `../outside`, `abs` → its absolute path, `secret` →
//! `../outside/secret`): whatever the archive holds, nothing outside the target is created,
//! changed, removed or hard-linked.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use cnb_archive::Extractor;

use crate::input::one_line;

/// Larger layers are skipped: a few KiB of zstd can stand for gigabytes, which would test the
/// disk, not the extractor.
const MAX_TAR: u64 = 16 << 20;

pub(crate) fn layer_extract(data: &[u8]) {
    if tar_size(data) > MAX_TAR {
        return;
    }
    extract_beside_outside(data, false);
    extract_beside_outside(data, true);
}

fn extract_beside_outside(data: &[u8], whiteouts: bool) {
    let root = tempfile::tempdir().expect("a temporary directory");
    let outside = root.path().join("outside");
    let target = root.path().join("target");
    fs::create_dir_all(outside.join("dir")).expect("creating outside/dir");
    fs::write(outside.join("secret"), "secret\n").expect("writing outside/secret");
    fs::create_dir_all(target.join("dir")).expect("creating target/dir");
    fs::write(target.join("dir").join("keep"), "keep\n").expect("writing target/dir/keep");
    symlink("../outside", target.join("up")).expect("planting up");
    symlink(&outside, target.join("abs")).expect("planting abs");
    symlink("../outside/secret", target.join("secret")).expect("planting secret");
    let before = snapshot(root.path());

    let extracted = Extractor::new(&target)
        .apply_whiteouts(whiteouts)
        .extract(data);
    if let Err(error) = extracted {
        one_line(&error);
    }

    let after = snapshot(root.path());
    assert_eq!(
        before, after,
        "extraction (whiteouts: {whiteouts}) changed something outside its target"
    );
    make_removable(&target);
}

/// The size of the tar in `data`, up to just over [`MAX_TAR`].
fn tar_size(data: &[u8]) -> u64 {
    cnb_archive::decompress(data).map_or(0, |tar| {
        std::io::copy(&mut tar.take(MAX_TAR + 1), &mut std::io::sink()).unwrap_or(0)
    })
}

/// Everything under `root` except `root/target`: path, type, mode, link count, and contents or
/// link target.
fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    let mut entries = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("listing a directory outside the target")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        names.sort();
        for path in names {
            if path == root.join("target") {
                continue;
            }
            let meta = fs::symlink_metadata(&path).expect("inspecting an entry");
            let what = if meta.file_type().is_symlink() {
                format!(
                    "symlink {}",
                    fs::read_link(&path).expect("a link").display()
                )
            } else if meta.is_dir() {
                pending.push(path.clone());
                "dir".to_owned()
            } else {
                format!("file {:?}", fs::read(&path).expect("reading a file"))
            };
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            entries.push((
                relative,
                format!("{what} mode {:o} links {}", meta.mode(), meta.nlink()),
            ));
        }
    }
    entries
}

/// Directories an archive made unwritable (mode 0500, 0000) stop the temporary directory's
/// removal for a user without root's override: open them up first.
fn make_removable(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o700));
            make_removable(&path);
        }
    }
}
