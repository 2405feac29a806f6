//! Running an exec.d executable (buildpack.md › Exec.d): with the launch environment, in the
//! app directory, with stdout and stderr inherited and stdin closed, and a pipe on fd 3 whose
//! contents (TOML) are returned once the executable succeeds.
#![allow(
    unsafe_code,
    reason = "placing the pipe on fd 3 in the child needs a pre_exec hook"
)]

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use nix::libc;

use super::Error;

/// The descriptor exec.d executables write their output to.
const OUTPUT_FD: i32 = 3;

/// Runs the exec.d executable at `path` with exactly `env`, in `cwd`, and returns what it
/// wrote to fd 3. A non-zero exit is [`Error::Failed`]. Like the Go lifecycle, this reads fd 3
/// until every writer has closed it, then waits for the executable.
pub fn run_exec_d(path: &Path, env: &[(OsString, OsString)], cwd: &Path) -> Result<Vec<u8>, Error> {
    let (mut reader, writer) = std::io::pipe().map_err(|source| Error::Pipe {
        path: path.to_owned(),
        source,
    })?;
    let write_fd = writer.as_raw_fd();
    let mut command = Command::new(path);
    command
        .env_clear()
        .envs(env.iter().map(|(name, value)| (name, value)))
        .current_dir(cwd)
        .stdin(Stdio::null());
    // SAFETY: the hook runs in the forked child before exec and only calls dup2 and fcntl,
    // which are async-signal-safe and allocate nothing. `write_fd` stays open in the parent
    // until `spawn` returns, because `writer` is dropped only after it.
    unsafe {
        command.pre_exec(move || {
            let result = if write_fd == OUTPUT_FD {
                // Already on fd 3: only clear close-on-exec, which dup2 onto itself would keep.
                libc::fcntl(OUTPUT_FD, libc::F_SETFD, 0)
            } else {
                libc::dup2(write_fd, OUTPUT_FD)
            };
            if result == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spawned = command.spawn();
    drop(writer);
    let mut child = spawned.map_err(|source| Error::Spawn {
        path: path.to_owned(),
        source,
    })?;
    let mut output = Vec::new();
    let read = reader.read_to_end(&mut output);
    let status = child.wait().map_err(|source| Error::Wait {
        path: path.to_owned(),
        source,
    })?;
    if !status.success() {
        return Err(Error::Failed {
            path: path.to_owned(),
            status,
        });
    }
    read.map_err(|source| Error::ReadOutput {
        path: path.to_owned(),
        source,
    })?;
    Ok(output)
}

#[cfg(test)]
mod tests;
