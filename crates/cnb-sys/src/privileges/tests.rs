use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::process::Command;

use super::*;

fn owner(path: &Path) -> (u32, u32) {
    let meta = fs::symlink_metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

#[test]
fn ensure_owner_chowns_an_unwritable_volume_recursively_but_not_symlink_targets() {
    if !is_root() {
        return; // chown to another user needs root; CI runs as root
    }
    let volume = tempfile::tempdir().unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::create_dir_all(volume.path().join("a/b")).unwrap();
    fs::write(volume.path().join("a/b/file"), "x").unwrap();
    symlink(outside.path(), volume.path().join("link")).unwrap();
    fs::set_permissions(volume.path(), fs::Permissions::from_mode(0o755)).unwrap();

    ensure_owner(4321, 4322, &[volume.path(), Path::new("/does/not/exist")]).unwrap();

    for path in ["", "a", "a/b", "a/b/file", "link"] {
        assert_eq!(owner(&volume.path().join(path)), (4321, 4322), "{path}");
    }
    assert_eq!(
        owner(outside.path()),
        (0, 0),
        "the symlink's target is not ours to chown"
    );
}

#[test]
fn ensure_owner_leaves_a_writable_volume_alone() {
    if !is_root() {
        return;
    }
    let volume = tempfile::tempdir().unwrap();
    fs::write(volume.path().join("file"), "x").unwrap();
    fs::set_permissions(volume.path(), fs::Permissions::from_mode(0o777)).unwrap();
    ensure_owner(4321, 4322, &[volume.path()]).unwrap();
    assert_eq!(owner(volume.path()), (0, 0));
    assert_eq!(owner(&volume.path().join("file")), (0, 0));
}

#[test]
fn run_as_is_a_no_op_for_the_current_user() {
    run_as(getuid().as_raw(), getgid().as_raw()).unwrap();
}

/// Runs in a child process (see the test below), since dropping root cannot be undone.
#[test]
#[ignore = "run by run_as_drops_root_for_good in a child process"]
fn child_drops_privileges() {
    #[expect(
        clippy::disallowed_methods,
        reason = "the parent test passes the directory"
    )]
    let out = PathBuf::from(std::env::var_os("CNB_SYS_TEST_OUT").expect("set by the parent"));
    run_as(4321, 4322).unwrap();
    fs::write(out.join("written-after-drop"), "x").unwrap();
    assert!(run_as(0, 0).is_err(), "root must be gone for good");
    assert_eq!(nix::unistd::getgroups().unwrap(), vec![Gid::from_raw(4322)]);
}

#[test]
fn run_as_drops_root_for_good() {
    if !is_root() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "privileges::tests::child_drops_privileges",
            "--ignored",
        ])
        .env("CNB_SYS_TEST_OUT", out.path())
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "the child failed: {}",
        String::from_utf8_lossy(&child.stdout)
    );
    assert_eq!(owner(&out.path().join("written-after-drop")), (4321, 4322));
}
