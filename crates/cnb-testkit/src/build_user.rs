//! The unprivileged build user the detector and builder run as (both refuse root): when the
//! tests run as root, as CI does, commands go through `setpriv` and the directories they write
//! are handed to that user first.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Lifecycle;

/// The build user's uid (and gid) when the tests run as root.
pub const BUILD_UID: u32 = 1000;

/// Whether the tests run as root.
pub fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

/// Hands `path` and everything under it (symlinks themselves, not their targets) to the build
/// user, when the tests run as root; otherwise does nothing.
///
/// # Panics
/// When a file cannot be listed or changed.
pub fn hand_to_build_user(path: &Path) {
    try_hand_to_build_user(path).unwrap_or_else(|err| panic!("{err}"));
}

/// [`hand_to_build_user`] for callers that report errors instead of panicking (the demo);
/// the error names the file and what failed.
pub fn try_hand_to_build_user(path: &Path) -> io::Result<()> {
    if !is_root() {
        return Ok(());
    }
    let failed = |action: &str, err: io::Error| {
        io::Error::new(err.kind(), format!("{action} {}: {err}", path.display()))
    };
    std::os::unix::fs::lchown(path, Some(BUILD_UID), Some(BUILD_UID))
        .map_err(|err| failed("chown", err))?;
    let meta = std::fs::symlink_metadata(path).map_err(|err| failed("stat", err))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|err| failed("list", err))? {
            try_hand_to_build_user(&entry.map_err(|err| failed("list", err))?.path())?;
        }
    }
    Ok(())
}

/// A command that runs `program` as the build user: through `setpriv` (uid and gid
/// [`BUILD_UID`], no supplementary groups) when the tests run as root, directly otherwise. Its
/// environment is empty apart from `PATH`; stdin is closed.
pub fn build_user_command(program: &Path) -> Command {
    let mut command = if is_root() {
        let mut command = Command::new("setpriv");
        command
            .arg(format!("--reuid={BUILD_UID}"))
            .arg(format!("--regid={BUILD_UID}"))
            .arg("--clear-groups")
            .arg(program);
        command
    } else {
        Command::new(program)
    };
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null());
    command
}

/// Copies the installed multi-call `lifecycle` binary to `<dir>/cnb/lifecycle/<phase>` (once)
/// and returns that path, so that the build user can run the phase wherever the workspace lives
/// (a checkout under a private home, say). `dir` must be reachable by the build user.
///
/// # Panics
/// When nothing is installed (see [`Lifecycle::installed`]) or the copy fails.
pub fn phase_for_build_user(dir: &Path, phase: &str) -> PathBuf {
    let path = dir.join("cnb/lifecycle").join(phase);
    if !path.exists() {
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|err| panic!("mkdir {}: {err}", parent.display()));
        std::fs::copy(Lifecycle::installed().path("lifecycle"), &path)
            .unwrap_or_else(|err| panic!("copy the lifecycle to {}: {err}", path.display()));
    }
    path
}
