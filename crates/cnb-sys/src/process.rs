//! Starting programs the way the launcher needs to (platform.md › launcher; buildpack.md ›
//! Exec.d): replace this process with another one ([`exec`]), run an exec.d executable with an
//! extra pipe on fd 3 and collect what it writes there ([`run_exec_d`]), or, as PID 1 of a
//! container, run a program as a child while forwarding signals and reaping orphans
//! ([`run_as_init`]); or start a child in another root, directory and user ([`confine`]), as a
//! Dockerfile's `RUN` runs.

mod confine;
mod error;
mod exec;
mod exec_d;
mod init;

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

pub use confine::{Confinement, confine};
pub use error::Error;
pub use exec::exec;
pub use exec_d::run_exec_d;
pub use init::{FORWARDED_SIGNALS, is_init, run_as_init};

/// A program ready to start: what to execute, its whole argument vector (`argv[0]` included),
/// its complete environment, and the directory it starts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The executable: absolute, or relative to `cwd`.
    pub path: PathBuf,
    /// The argument vector, starting with `argv[0]`.
    pub argv: Vec<OsString>,
    /// Every environment variable the program gets, and nothing else.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory.
    pub cwd: PathBuf,
}

impl Program {
    /// `argv` as C strings; a NUL byte inside an argument is an error.
    fn c_argv(&self) -> Result<Vec<CString>, Error> {
        self.argv.iter().map(|arg| c_string(arg)).collect()
    }

    /// `env` as `NAME=value` C strings.
    fn c_env(&self) -> Result<Vec<CString>, Error> {
        c_env(&self.env)
    }
}

/// `NAME=value` C strings of an environment.
fn c_env(env: &[(OsString, OsString)]) -> Result<Vec<CString>, Error> {
    env.iter()
        .map(|(name, value)| {
            let mut entry = name.clone();
            entry.push("=");
            entry.push(value);
            c_string(&entry)
        })
        .collect()
}

fn c_string(text: &OsStr) -> Result<CString, Error> {
    CString::new(text.as_bytes()).map_err(|_| Error::NulByte {
        text: text.to_string_lossy().into_owned(),
    })
}
