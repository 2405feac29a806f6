use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;

use cnb_archive::Compression;
use pretty_assertions::assert_eq;

use super::*;

fn ignore_nothing() -> Ignore {
    Ignore::default()
}

fn names(paths: &[Vec<u8>]) -> Vec<String> {
    paths
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// The entry names of a gzip layer, in order.
fn layer_entries(blob: &Path) -> Vec<String> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(blob).unwrap())
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    archive
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect()
}

fn root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/conf.d")).unwrap();
    fs::write(r.join("etc/conf.d/a"), b"a").unwrap();
    fs::write(r.join("etc/os-release"), b"ID=x\n").unwrap();
    fs::create_dir_all(r.join("usr/bin")).unwrap();
    fs::write(r.join("usr/bin/tool"), b"v1").unwrap();
    symlink("/usr/bin/tool", r.join("usr/bin/alias")).unwrap();
    root
}

#[test]
fn additions_changes_and_removals_are_found_and_removals_whiteout_only_the_top() {
    let root = root();
    let r = root.path();
    let before = walk(r, &ignore_nothing()).unwrap();
    fs::create_dir_all(r.join("opt/ext")).unwrap();
    fs::write(r.join("opt/ext/tool"), b"#!/bin/sh\n").unwrap();
    fs::write(r.join("usr/bin/tool"), b"version 2").unwrap();
    fs::remove_dir_all(r.join("etc/conf.d")).unwrap();
    fs::remove_file(r.join("usr/bin/alias")).unwrap();
    let after = walk(r, &ignore_nothing()).unwrap();
    let changes = diff(r, &before, &after).unwrap();
    assert_eq!(
        names(&changes.changed),
        [
            "etc",
            "opt",
            "opt/ext",
            "opt/ext/tool",
            "usr/bin",
            "usr/bin/tool"
        ]
    );
    assert_eq!(names(&changes.removed), ["etc/conf.d", "usr/bin/alias"]);
}

#[test]
fn a_file_rewritten_with_the_same_size_and_mtime_is_found_by_its_contents() {
    let root = root();
    let r = root.path();
    let before = walk(r, &ignore_nothing()).unwrap();
    let record = before.records.get(b"usr/bin/tool".as_slice()).unwrap();
    assert!(
        record.hash.is_some(),
        "a file written just now is racy, so hashed"
    );
    // Same size, and the record of the new walk made identical to the old one, as when the
    // write lands in the same timestamp tick: only the contents tell.
    fs::write(r.join("usr/bin/tool"), b"v2").unwrap();
    let mut after = walk(r, &ignore_nothing()).unwrap();
    let same = before.records[b"usr/bin/tool".as_slice()].clone();
    after.records.insert(
        b"usr/bin/tool".to_vec(),
        tree::Record { hash: None, ..same },
    );
    let changes = diff(r, &before, &after).unwrap();
    assert!(names(&changes.changed).contains(&"usr/bin/tool".to_owned()));

    // and an untouched racy file is not reported
    let again = walk(r, &ignore_nothing()).unwrap();
    let unchanged = diff(r, &again, &walk(r, &ignore_nothing()).unwrap()).unwrap();
    assert!(unchanged.is_empty(), "{unchanged:?}");
}

#[test]
fn a_touch_that_restores_the_mtime_still_changes_the_ctime() {
    let root = root();
    let r = root.path();
    let path = r.join("etc/os-release");
    let old = fs::metadata(&path).unwrap().modified().unwrap();
    let before = walk(r, &ignore_nothing()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&path, b"ID=y\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let after = walk(r, &ignore_nothing()).unwrap();
    let changes = diff(r, &before, &after).unwrap();
    assert_eq!(names(&changes.changed), ["etc/os-release"]);
}

#[test]
fn a_directory_replaced_by_a_file_gets_a_whiteout_and_its_children_none() {
    let root = root();
    let r = root.path();
    let before = walk(r, &ignore_nothing()).unwrap();
    fs::remove_dir_all(r.join("etc/conf.d")).unwrap();
    fs::write(r.join("etc/conf.d"), b"now a file").unwrap();
    let after = walk(r, &ignore_nothing()).unwrap();
    let changes = diff(r, &before, &after).unwrap();
    assert_eq!(names(&changes.removed), ["etc/conf.d"]);
    assert!(names(&changes.changed).contains(&"etc/conf.d".to_owned()));
}

#[test]
fn ignored_paths_are_never_walked() {
    let root = root();
    let r = root.path();
    fs::create_dir_all(r.join("workspace")).unwrap();
    fs::create_dir_all(r.join("proc/1")).unwrap();
    let ignore = Ignore::new(
        r,
        &[&r.join("workspace")],
        Path::new("/nonexistent/mountinfo"),
    );
    let before = walk(r, &ignore).unwrap();
    fs::write(r.join("workspace/out"), b"x").unwrap();
    fs::write(r.join("proc/1/status"), b"x").unwrap();
    let after = walk(r, &ignore).unwrap();
    assert!(diff(r, &before, &after).unwrap().is_empty());
    assert!(!after.records.contains_key(b"workspace".as_slice()));
}

#[test]
fn the_layer_holds_parents_whiteouts_first_and_is_the_same_twice() {
    let root = root();
    let r = root.path();
    let before = walk(r, &ignore_nothing()).unwrap();
    fs::create_dir_all(r.join("opt/ext")).unwrap();
    fs::write(r.join("opt/ext/tool"), b"tool").unwrap();
    fs::remove_file(r.join("etc/os-release")).unwrap();
    fs::write(r.join("etc/added"), b"x").unwrap();
    let after = walk(r, &ignore_nothing()).unwrap();
    let changes = diff(r, &before, &after).unwrap();
    let out = tempfile::tempdir().unwrap();
    let first = write_layer(r, &changes, &out.path().join("1"), Compression::gzip())
        .unwrap()
        .unwrap();
    assert_eq!(
        layer_entries(&out.path().join("1")),
        [
            "etc",
            "etc/.wh.os-release",
            "etc/added",
            "opt",
            "opt/ext",
            "opt/ext/tool"
        ]
    );
    let second = write_layer(r, &changes, &out.path().join("2"), Compression::gzip())
        .unwrap()
        .unwrap();
    assert_eq!(first, second);
    assert!(
        write_layer(
            r,
            &Changes::default(),
            &out.path().join("3"),
            Compression::gzip()
        )
        .unwrap()
        .is_none()
    );
    assert!(!out.path().join("3").exists());
}
