use std::fs;
use std::os::unix::fs::symlink;

use super::*;
use crate::TarWriter;

const OWNER: Owner = Owner {
    uid: 1234,
    gid: 1000,
};

/// An app dir `/workspace` under a temp root, with the files the Go tests use.
fn app() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let app = root.path().join("workspace");
    for dir in ["dir/sub", "target-dir", "other-dir/nested", "empty-dir"] {
        fs::create_dir_all(app.join(dir)).unwrap();
    }
    for file in [
        "root.txt",
        "a-b",
        "dir/file.txt",
        "dir/sub/deep.txt",
        "target-dir/kept",
        "other-dir/nested/x.txt",
        "other-dir/y",
    ] {
        fs::write(app.join(file), file).unwrap();
    }
    symlink("other-dir", app.join("dir-link")).unwrap();
    root
}

fn partition(root: &Path, slices: &[&[&str]]) -> AppSlices {
    let slices: Vec<Vec<&str>> = slices.iter().map(|paths| paths.to_vec()).collect();
    AppSlices::partition(root, Path::new("/workspace"), &slices).unwrap()
}

/// The entry names and owners of layer `index`.
fn names(slices: &AppSlices, index: usize) -> Vec<String> {
    let mut tar = TarWriter::new(Vec::new());
    slices.write(index, &mut tar, OWNER).unwrap();
    let bytes = tar.finish().unwrap();
    let mut archive = tar::Archive::new(&bytes[..]);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.uid().unwrap(), 1234);
            assert_eq!(header.gid().unwrap(), 1000);
            entry.path().unwrap().display().to_string()
        })
        .collect()
}

#[test]
fn without_slices_everything_is_one_application_layer_in_bytewise_path_order() {
    let root = app();
    let slices = partition(root.path(), &[]);
    assert_eq!(slices.len(), 1);
    assert_eq!(slices.created_by(0), "Application Layer");
    let names = names(&slices, 0);
    // `a-b` sorts before `a/…` bytewise; the walk order would differ.
    assert_eq!(names.first().map(String::as_str), Some("/workspace"));
    assert!(names.contains(&"/workspace/dir-link".to_owned()));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 15);
}

#[test]
fn a_slice_takes_matches_with_their_parents_and_the_rest_goes_last() {
    let root = app();
    let slices = partition(root.path(), &[&["**/*.txt"], &["target-di[r]/"]]);
    assert_eq!(slices.len(), 3);
    assert_eq!(slices.created_by(0), "Application Slice: 1");
    assert_eq!(slices.created_by(2), "Application Slice: 3");
    assert_eq!(
        names(&slices, 0),
        ["/workspace", "/workspace/dir", "/workspace/dir/file.txt"]
    );
    assert_eq!(
        names(&slices, 1),
        [
            "/workspace",
            "/workspace/target-dir",
            "/workspace/target-dir/kept"
        ]
    );
    let rest = names(&slices, 2);
    assert!(rest.contains(&"/workspace/dir/sub/deep.txt".to_owned()));
    assert!(rest.contains(&"/workspace/root.txt".to_owned()));
    assert!(!rest.contains(&"/workspace/dir/file.txt".to_owned()));
    assert!(
        !rest
            .iter()
            .any(|name| name.starts_with("/workspace/target-dir"))
    );
}

#[test]
fn symlinks_are_not_followed_and_nothing_outside_the_app_matches() {
    let root = app();
    let slices = partition(root.path(), &[&["dir-link/*", "../**/x", "/workspace/*"]]);
    assert!(
        names(&slices, 0).is_empty(),
        "an empty slice is an empty tar"
    );
    let slices = partition(root.path(), &[&["dir-link"]]);
    assert_eq!(names(&slices, 0), ["/workspace", "/workspace/dir-link"]);
}

#[test]
fn a_dir_whose_children_are_all_taken_is_left_out_of_the_rest() {
    let root = app();
    let slices = partition(root.path(), &[&["other-dir/nested/*", "other-dir/y"]]);
    assert_eq!(
        names(&slices, 0),
        [
            "/workspace",
            "/workspace/other-dir",
            "/workspace/other-dir/nested",
            "/workspace/other-dir/nested/x.txt",
            "/workspace/other-dir/y"
        ]
    );
    let rest = names(&slices, 1);
    assert!(
        !rest
            .iter()
            .any(|name| name.starts_with("/workspace/other-dir"))
    );
    assert!(rest.contains(&"/workspace".to_owned()));
}

#[test]
fn a_bad_pattern_is_an_error_naming_it() {
    let root = app();
    let error =
        AppSlices::partition(root.path(), Path::new("/workspace"), &[vec!["[a-"]]).unwrap_err();
    assert!(error.to_string().contains("'[a-'"), "{error}");
}

#[test]
fn patterns_are_cleaned_like_go() {
    assert_eq!(clean("dir/"), "dir");
    assert_eq!(clean("./a//b/../c"), "a/c");
    assert_eq!(clean("../x"), "../x");
    assert_eq!(clean("/../x"), "/x");
    assert_eq!(clean(""), ".");
}

#[test]
fn names_that_are_not_utf8_are_sliced_and_written_as_their_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let root = app();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    fs::write(root.path().join("workspace").join(odd), "x").unwrap();
    fs::write(root.path().join("workspace").join("other\u{e9}"), "y").unwrap();
    let slices = partition(root.path(), &[&["caf?"]]);
    let mut tar = TarWriter::new(Vec::new());
    slices.write(0, &mut tar, OWNER).unwrap();
    let bytes = tar.finish().unwrap();
    let mut archive = tar::Archive::new(&bytes[..]);
    let paths: Vec<Vec<u8>> = archive
        .entries()
        .unwrap()
        .map(|entry| entry.unwrap().path_bytes().into_owned())
        .collect();
    assert_eq!(
        paths,
        vec![b"/workspace".to_vec(), b"/workspace/caf\xe9".to_vec()]
    );
    let rest = names(&slices, 1);
    assert!(
        rest.contains(&"/workspace/other\u{e9}".to_owned()),
        "{rest:?}"
    );
}
