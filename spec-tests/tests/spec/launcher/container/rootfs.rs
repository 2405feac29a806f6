//! The rootfs every container test shares, built once per test process under
//! `CARGO_TARGET_TMPDIR`: busybox-static with the applets the fixture uses, GNU bash with the
//! libraries `ldd` names (a busybox shell is not bash), the installed launcher at
//! `/cnb/lifecycle/launcher` and `/cnb/process/web` linked to it, and empty mount points for
//! `/layers` and `/workspace`.
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cnb_testkit::Lifecycle;

use crate::container_support::install_host_bash;

const APPLETS: &[&str] = &[
    "sh", "cat", "echo", "env", "id", "printf", "pwd", "sleep", "mkfifo", "true", "tr", "grep",
];

/// The shared rootfs, or `None` when containers cannot run here (not root, or no runc).
pub(super) fn shared() -> Option<&'static Path> {
    static ROOTFS: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOTFS.get_or_init(build).as_deref()
}

fn build() -> Option<PathBuf> {
    let runc = Command::new("runc").arg("--version").output();
    if !nix::unistd::getuid().is_root() || runc.is_err() {
        return None;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale(base);
    let root = base.join(format!("launcher-rootfs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for dir in [
        "bin",
        "usr/bin",
        "etc",
        "proc",
        "sys",
        "dev",
        "tmp",
        "layers",
        "workspace",
        "cnb/lifecycle",
        "cnb/process",
    ] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    install(Path::new("/bin/busybox"), &root.join("bin/busybox"));
    for applet in APPLETS {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    install_host_bash(&root);
    install(
        &Lifecycle::installed().path("launcher"),
        &root.join("cnb/lifecycle/launcher"),
    );
    symlink("/cnb/lifecycle/launcher", root.join("cnb/process/web")).unwrap();
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n",
    )
    .unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\ncnb:x:1000:\n").unwrap();
    Some(root)
}

fn install(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Removes rootfs dirs of test processes that are gone.
fn remove_stale(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("launcher-rootfs-")
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
