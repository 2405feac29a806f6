//! Replacing this process with a program (`execve`, no fork), as the spec asks of the
//! launcher: the program keeps the PID, so its exit code and signals are the container's.
#![allow(
    unsafe_code,
    reason = "restoring SIGPIPE's default disposition before execve has no safe wrapper"
)]

use std::convert::Infallible;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::unistd::{chdir, execve};

use super::{Error, Program, c_string};

/// Changes to the program's working directory and replaces this process with it. Returns only
/// when that fails. Signals this process ignores only because the Rust runtime made it do so
/// (`SIGPIPE`) are restored to their default first, as the exec'd program would otherwise
/// inherit them ignored.
pub fn exec(program: &Program) -> Error {
    match try_exec(program) {
        Ok(never) => match never {},
        Err(error) => error,
    }
}

fn try_exec(program: &Program) -> Result<Infallible, Error> {
    let path = c_string(program.path.as_os_str())?;
    let argv = program.c_argv()?;
    let env = program.c_env()?;
    chdir(program.cwd.as_os_str().as_bytes()).map_err(|source| Error::ChangeDir {
        path: program.cwd.clone(),
        source,
    })?;
    restore_sigpipe();
    execve::<CString, CString>(&path, &argv, &env).map_err(|source| Error::Exec {
        path: program.path.clone(),
        source,
    })
}

/// The Rust runtime ignores `SIGPIPE` at start-up; an ignored signal stays ignored across
/// `execve`, so without this every app would start with `SIGPIPE` ignored.
pub(super) fn restore_sigpipe() {
    // SAFETY: installing the default disposition runs no code of ours in signal context, and
    // this single-threaded launcher is about to exec; a failure (impossible for SIGPIPE) would
    // only leave the signal ignored, so it is not reported.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}
