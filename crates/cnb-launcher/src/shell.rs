//! Shell processes (platform.md › launcher › Execution): one `bash` (`/bin/bash`, as in Go)
//! sources every profile, changes to the working directory and `exec`s a second bash that
//! runs the command, so the process still replaces the launcher. `$0` of the profiles is the
//! launcher's `argv[0]`. Without args the command is script text (`bash -c "$cmd"`); with
//! args every token, the command included, is evaluated by the shell on its own, as the Go
//! launcher does it.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use cnb_sys::process::Program;

use crate::launcher::BASH;
use crate::{Error, LaunchProcess, Launcher};

/// The `bash` program that runs `process` after sourcing `profiles`; it starts in `<app>`.
pub(crate) fn program(
    launcher: &Launcher,
    process: &LaunchProcess,
    profiles: &[PathBuf],
    caller: &OsStr,
    env: Vec<(OsString, OsString)>,
    working_dir: &Path,
) -> Result<Program, Error> {
    let script_mode = is_script(launcher, process)?;
    let mut argv: Vec<OsString> = vec!["bash".into(), "-c".into()];
    argv.push(script(
        profiles,
        working_dir,
        script_mode,
        process.args.len(),
    ));
    argv.push(caller.to_owned());
    argv.push(join(&process.command));
    argv.extend(process.args.iter().cloned());
    Ok(Program {
        path: PathBuf::from(BASH),
        argv,
        env,
        cwd: launcher.app_dir.clone(),
    })
}

/// A process without args is script text. One with args needs its buildpack listed (Go
/// checks, although the answer is "tokens" either way).
fn is_script(launcher: &Launcher, process: &LaunchProcess) -> Result<bool, Error> {
    if process.args.is_empty() {
        return Ok(true);
    }
    if !process.buildpack_id.is_empty() && launcher.buildpack_api(&process.buildpack_id).is_none() {
        return Err(Error::UnknownBuildpack {
            process_type: process.r#type.clone(),
            buildpack: process.buildpack_id.clone(),
        });
    }
    Ok(false)
}

/// The outer script. It runs as `bash -c <script> <caller> <command> <args…>`.
pub(crate) fn script(
    profiles: &[PathBuf],
    working_dir: &Path,
    script_mode: bool,
    args: usize,
) -> OsString {
    let mut script = Vec::new();
    for profile in profiles {
        script.extend_from_slice(b"source ");
        quote_into(&mut script, profile.as_os_str());
        script.push(b'\n');
    }
    script.extend_from_slice(b"cd ");
    quote_into(&mut script, working_dir.as_os_str());
    script.push(b'\n');
    if script_mode {
        script.extend_from_slice(br#"exec bash -c "$@""#);
    } else {
        // Each token is evaluated on its own: `$0` is the command, `$1`… the args.
        let mut tokens = String::from(r#""$(eval echo \"$0\")""#);
        for index in 1..=args {
            let _ = write!(tokens, r#" "$(eval echo \"${{{index}}}\")""#);
        }
        script.extend_from_slice(format!(r#"exec bash -c '{tokens}' "${{@:1}}""#).as_bytes());
    }
    OsString::from_vec(script)
}

/// The command's entries joined by spaces, as Go joins them.
fn join(entries: &[OsString]) -> OsString {
    let mut joined = OsString::new();
    for (index, entry) in entries.iter().enumerate() {
        if index > 0 {
            joined.push(" ");
        }
        joined.push(entry);
    }
    joined
}

/// Appends `text` in single quotes (each `'` as `'\''`), safe for any bytes of a path.
fn quote_into(script: &mut Vec<u8>, text: &OsStr) {
    script.push(b'\'');
    for byte in text.as_bytes() {
        if *byte == b'\'' {
            script.extend_from_slice(br"'\''");
        } else {
            script.push(*byte);
        }
    }
    script.push(b'\'');
}

#[cfg(test)]
mod tests;
