//! The installed lifecycle under test: the `/cnb/lifecycle` directory that `make install`
//! lays out (the multi-call `lifecycle` binary, one symlink per phase, the `launcher`), run
//! the way a platform runs it: by the phase's path, with a clean environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::arch::Arch;

/// The variable that points the tests at another installed `cnb/lifecycle` directory.
pub const LIFECYCLE_DIR_VAR: &str = "CNB_SPEC_LIFECYCLE_DIR";

/// Where `make test` installs the lifecycle for the spec tests, relative to the workspace.
pub const SPEC_INSTALL_DIR: &str = "target/spec-install";

/// An installed `cnb/lifecycle` directory.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    dir: PathBuf,
}

impl Lifecycle {
    /// The lifecycle installed by `make install DESTDIR=target/spec-install` (what `make test`
    /// does first), or the directory named by `CNB_SPEC_LIFECYCLE_DIR`.
    ///
    /// # Panics
    /// When nothing is installed there: the message says how to install it.
    pub fn installed() -> Self {
        #[expect(
            clippy::disallowed_methods,
            reason = "test support reads its own override variable"
        )]
        let dir = std::env::var_os(LIFECYCLE_DIR_VAR).map_or_else(
            || {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(SPEC_INSTALL_DIR)
                    .join("cnb/lifecycle")
            },
            PathBuf::from,
        );
        assert!(
            dir.join("lifecycle").is_file(),
            "no installed lifecycle at {}: run `make install DESTDIR={SPEC_INSTALL_DIR}` (or `make test`), \
             or point {LIFECYCLE_DIR_VAR} at a cnb/lifecycle directory",
            dir.display()
        );
        Self { dir }
    }

    /// The lifecycle built for `arch`, for the tests that run two architectures side by side
    /// (`make test-aarch64` installs both): the directory named by
    /// `CNB_SPEC_LIFECYCLE_AMD64_DIR` or `CNB_SPEC_LIFECYCLE_ARM64_DIR`.
    ///
    /// # Panics
    /// When the variable is unset or nothing is installed there: the message says how to
    /// install it.
    pub fn installed_for(arch: Arch) -> Self {
        let var = match arch {
            Arch::Amd64 => "CNB_SPEC_LIFECYCLE_AMD64_DIR",
            Arch::Arm64 => "CNB_SPEC_LIFECYCLE_ARM64_DIR",
        };
        #[expect(
            clippy::disallowed_methods,
            reason = "test support reads its own override variable"
        )]
        let dir = std::env::var_os(var).map_or_else(
            || panic!("{var} is unset: run these tests with `make test-aarch64`"),
            PathBuf::from,
        );
        assert!(
            dir.join("lifecycle").is_file(),
            "no installed lifecycle at {} ({var}): run `make test-aarch64`",
            dir.display()
        );
        Self { dir }
    }

    /// The `cnb/lifecycle` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a binary or phase symlink in it (`detector`, `launcher`, `lifecycle`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A command for `name` with an empty environment apart from `PATH` and `HOME`, so that no
    /// `CNB_*` variable of the developer's shell leaks in; stdin is closed.
    pub fn command(&self, name: &str) -> Command {
        let mut command = Command::new(self.path(name));
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", "/root")
            .stdin(Stdio::null());
        command
    }
}

/// A finished run, with its output as text.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Finished {
    /// Runs `command` to completion.
    ///
    /// # Panics
    /// When the command cannot be started.
    ///
    /// A binary a test has just written may be briefly "busy" (`ETXTBSY`): another test
    /// thread's `fork` can inherit the writing descriptor until its child `exec`s. That is
    /// retried for a moment instead of failing the test, whether our own spawn hit it or a
    /// wrapper such as `setpriv` did (exit 126, "Text file busy").
    pub fn run(command: &mut Command) -> Self {
        const TEXT_FILE_BUSY: i32 = 26;
        let mut attempts = 0;
        let output: Output = loop {
            attempts += 1;
            match command.output() {
                Err(err) if err.raw_os_error() == Some(TEXT_FILE_BUSY) && attempts < 100 => {}
                Ok(output)
                    if output.status.code() == Some(126)
                        && String::from_utf8_lossy(&output.stderr).contains("Text file busy")
                        && attempts < 100 => {}
                result => {
                    break result.unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
