use std::os::unix::fs::symlink;

use super::*;

fn staged_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with(STAGED_PREFIX))
        .collect();
    names.sort();
    names
}

#[test]
fn replace_file_swaps_whole_contents_and_leaves_no_staged_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.toml");
    replace_file(&path, b"first\n").expect("create");
    replace_file(&path, b"second\n").expect("replace");
    assert_eq!(fs::read(&path).expect("read"), b"second\n");
    assert!(staged_names(dir.path()).is_empty());
}

#[test]
fn replace_file_keeps_the_mode_of_a_replaced_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("file");
    fs::write(&path, "old").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");
    replace_file(&path, b"new").expect("replace");
    let mode = fs::metadata(&path).expect("stat").mode() & 0o7777;
    assert_eq!(mode, 0o666);
}

#[test]
fn replace_file_writes_through_a_symlink() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real.toml");
    let link = dir.path().join("link.toml");
    fs::write(&real, "old").expect("write");
    symlink("real.toml", &link).expect("symlink");
    replace_file(&link, b"new").expect("replace");
    assert!(
        fs::symlink_metadata(&link)
            .expect("stat")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).expect("read"), b"new");
}

#[test]
fn an_uncommitted_staged_file_is_removed_on_drop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut staged = StagedFile::new(dir.path(), "blob", 0o644).expect("staged");
    staged.write_all(b"partial").expect("write");
    assert_eq!(staged_names(dir.path()).len(), 1);
    drop(staged);
    assert!(staged_names(dir.path()).is_empty());
}

#[test]
fn sweep_removes_abandoned_staged_files_but_not_live_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = StagedFile::new(dir.path(), "live", 0o644).expect("staged");
    // What a killed writer leaves: a staged name nobody holds a lock on.
    fs::write(dir.path().join(".tmp-blob.1-1"), "half").expect("write");
    fs::write(dir.path().join("kept"), "not staged").expect("write");
    assert_eq!(sweep_staged(dir.path()).expect("sweep"), 1);
    let left = staged_names(dir.path());
    assert_eq!(
        left,
        [live
            .path()
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()]
    );
    assert!(dir.path().join("kept").is_file());
    let target = dir.path().join("done");
    live.commit(&target).expect("the live writer still commits");
    assert!(target.is_file());
}

#[test]
fn replace_file_writes_into_a_device_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    replace_file(Path::new("/dev/null"), b"report").unwrap();
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn replace_file_refuses_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert!(replace_file(dir.path(), b"x").is_err());
    assert!(dir.path().is_dir());
}
