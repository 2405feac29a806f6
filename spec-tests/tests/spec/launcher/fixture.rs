//! A copy of `testdata/launcher` (`<layers>` and `<app>`) in a temp dir, and the installed
//! launcher run over it: by its own name, or through a symlink named after a process type
//! (the way `/cnb/process/<type>` reaches it), with the environment an app image sets.
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cnb_testkit::{Finished, Lifecycle};

/// `PATH` as the Go exporter sets it in an app image: the launcher must strip the `/cnb` dirs.
pub(crate) const IMAGE_PATH: &str = "/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin";

/// The launcher fixture, copied for one test.
pub(crate) struct Fixture {
    dir: tempfile::TempDir,
    launcher: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&testdata(), dir.path());
        fs::create_dir_all(dir.path().join("process")).unwrap();
        Self {
            dir,
            launcher: Lifecycle::installed().path("launcher"),
        }
    }

    /// `<layers>`.
    pub(crate) fn layers(&self) -> PathBuf {
        self.dir.path().join("layers")
    }

    /// `<app>`.
    pub(crate) fn app(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Writes `contents` to `<fixture>/<path>`, executable when `executable`.
    pub(crate) fn write(&self, path: &str, contents: &str, executable: bool) {
        let path = self.dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        if executable {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    /// Replaces `metadata.toml`.
    pub(crate) fn metadata(&self, text: &str) {
        self.write("layers/config/metadata.toml", text, false);
    }

    /// A command for the launcher called as `name`: `launcher` itself, or a symlink to it
    /// named after a process type. The environment is an app image's, nothing else.
    pub(crate) fn command(&self, name: &str) -> Command {
        let program = if name == "launcher" {
            self.launcher.clone()
        } else {
            let link = self.dir.path().join("process").join(name);
            if !link.exists() {
                symlink(&self.launcher, &link).unwrap();
            }
            link
        };
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", IMAGE_PATH)
            .env("HOME", "/root")
            .env("CNB_PLATFORM_API", "0.15")
            .env("CNB_DEPRECATION_MODE", "quiet")
            .env("CNB_LAYERS_DIR", self.layers())
            .env("CNB_APP_DIR", self.app())
            .stdin(Stdio::null());
        command
    }

    /// Runs the launcher called as `name` with `args` and extra variables `env`.
    pub(crate) fn run(&self, name: &str, args: &[&str], env: &[(&str, &str)]) -> Finished {
        let mut command = self.command(name);
        command.args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        Finished::run(&mut command)
    }
}

/// `testdata/launcher`.
pub(crate) fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/launcher")
}

/// The lines the app printed: stdout without the lines of the fixture's generic exec.d
/// executable, which runs before every process.
pub(crate) fn app_lines(out: &Finished) -> Vec<&str> {
    out.stdout
        .lines()
        .filter(|line| !line.ends_with("/exec.d/10-generic was executed"))
        .filter(|line| !line.starts_with("Exec.d Working Dir: "))
        .collect()
}

/// Copies `layers/` and `workspace/` of `from` into `to`, keeping file modes.
fn copy_tree(from: &Path, to: &Path) {
    for top in ["layers", "workspace"] {
        copy_dir(&from.join(top), &to.join(top));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}
