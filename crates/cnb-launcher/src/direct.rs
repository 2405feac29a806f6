//! Direct processes: the command is found on the launch environment's `PATH` the way Go's
//! `exec.LookPath` finds it, and the launcher is replaced by it in the working directory.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cnb_sys::process::Program;

use crate::{Error, LaunchProcess};

/// The program of a direct process: `argv` is the command's entries and the args; the
/// executable is the first entry, looked up on `env`'s `PATH` unless it contains a `/`.
pub(crate) fn program(
    process: &LaunchProcess,
    env: Vec<(OsString, OsString)>,
    working_dir: PathBuf,
) -> Result<Program, Error> {
    let Some(command) = process.command.first() else {
        return Err(Error::NoCommand {
            process_type: process.r#type.clone(),
        });
    };
    let path_var = env
        .iter()
        .find(|(name, _)| name == "PATH")
        .map(|(_, value)| value.as_os_str());
    let path = look_path(command, path_var, &working_dir).map_err(|reason| Error::PathLookup {
        command: command.to_string_lossy().into_owned(),
        reason,
    })?;
    let mut argv = process.command.clone();
    argv.extend(process.args.iter().cloned());
    Ok(Program {
        path,
        argv,
        env,
        cwd: working_dir,
    })
}

/// Go's `exec.LookPath`: a name with a `/` is used as it is (relative to `cwd`, where it will
/// be executed); any other name is searched in `PATH`'s entries (an empty entry is `.`), and a
/// hit in a relative entry is refused as Go refuses it. The error is Go's reason text.
pub(crate) fn look_path(
    name: &OsStr,
    path_var: Option<&OsStr>,
    cwd: &Path,
) -> Result<PathBuf, String> {
    let name_path = Path::new(name);
    if name.as_encoded_bytes().contains(&b'/') {
        return match executable(&cwd.join(name_path)) {
            Ok(()) => Ok(name_path.to_owned()),
            Err(reason) => Err(reason),
        };
    }
    let entries = path_var.map(std::env::split_paths).into_iter().flatten();
    for dir in entries {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(name_path);
        if executable(&cwd.join(&candidate)).is_ok() {
            if candidate.is_relative() {
                return Err("cannot run executable found relative to current directory".into());
            }
            return Ok(candidate);
        }
    }
    Err("executable file not found in $PATH".into())
}

/// Whether `path` is something `execve` may run: not a directory, some execute bit set.
fn executable(path: &Path) -> Result<(), String> {
    let meta =
        std::fs::metadata(path).map_err(|error| format!("stat {}: {error}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("stat {}: is a directory", path.display()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("stat {}: permission denied", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
