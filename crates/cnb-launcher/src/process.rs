//! Choosing the process (platform.md › launcher › Inputs; Go `launch/process.go`): the type
//! named by `argv[0]`, eligible for `<exec-env>`, with the user's args replacing or extending
//! its default args by API; otherwise the user's own command.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use cnb_files::metadata::Process;

use crate::{Launcher, SelectError};

/// The process the launcher is about to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchProcess {
    /// The process type; empty for a user-provided command.
    pub r#type: String,
    /// The command: the executable and, below Platform API 0.10, further entries.
    pub command: Vec<OsString>,
    /// The arguments after the command.
    pub args: Vec<OsString>,
    /// Executed directly (`true`) or through bash.
    pub direct: bool,
    /// The buildpack that contributed the process; empty for a user-provided command.
    pub buildpack_id: String,
    /// `working-dir` from `metadata.toml`.
    pub working_dir: Option<PathBuf>,
}

impl LaunchProcess {
    fn from_metadata(process: &Process) -> Self {
        Self {
            r#type: process.r#type.clone(),
            command: strings(&process.command.entries()),
            args: strings(process.args.as_deref().unwrap_or_default()),
            direct: process.direct,
            buildpack_id: process.buildpack_id.clone(),
            working_dir: process.working_dir.as_ref().map(PathBuf::from),
        }
    }
}

impl Launcher {
    pub(crate) fn select(
        &self,
        argv0: &OsStr,
        user_args: &[OsString],
    ) -> Result<LaunchProcess, SelectError> {
        let name = Path::new(argv0)
            .file_name()
            .and_then(OsStr::to_str)
            .unwrap_or_default();
        let processes = &self.metadata.processes;
        if !processes.iter().any(|process| process.r#type == name) {
            return user_process(user_args);
        }
        let process = processes
            .iter()
            .find(|process| process.r#type == name && self.is_eligible(process))
            .ok_or_else(|| SelectError::NotEligible {
                process_type: name.to_owned(),
                exec_env: self.exec_env.clone(),
            })?;
        let mut process = LaunchProcess::from_metadata(process);
        if self.platform_api.has_command_arrays() {
            self.apply_user_args(&mut process, user_args)?;
        } else {
            process.args.extend_from_slice(user_args);
        }
        Ok(process)
    }

    /// From Platform API 0.15 a process runs only in the execution environments it lists
    /// (none listed, or `*`, means all).
    fn is_eligible(&self, process: &Process) -> bool {
        if !self.platform_api.has_exec_env() {
            return true;
        }
        match &process.exec_env {
            None => true,
            Some(envs) => {
                envs.is_empty() || envs.iter().any(|env| env == "*" || *env == self.exec_env)
            }
        }
    }

    /// Platform API 0.10 and later: extra command entries are always passed and user args
    /// replace the default args; for a one-entry command, buildpacks older than API 0.9 get
    /// the user args appended instead.
    fn apply_user_args(
        &self,
        process: &mut LaunchProcess,
        user_args: &[OsString],
    ) -> Result<(), SelectError> {
        if process.command.len() > 1 {
            let defaults = std::mem::take(&mut process.args);
            process.args = process.command.split_off(1);
            process.args.extend_from_slice(if user_args.is_empty() {
                &defaults
            } else {
                user_args
            });
            return Ok(());
        }
        if user_args.is_empty() {
            return Ok(());
        }
        let api = self.buildpack_api(&process.buildpack_id).ok_or_else(|| {
            SelectError::UnknownBuildpack {
                process_type: process.r#type.clone(),
                buildpack: process.buildpack_id.clone(),
            }
        })?;
        if api.overrides_process_args() {
            process.args = user_args.to_vec();
        } else {
            process.args.extend_from_slice(user_args);
        }
        Ok(())
    }
}

/// `-- cmd args…` runs `cmd` directly; `cmd args…` runs it through bash.
fn user_process(user_args: &[OsString]) -> Result<LaunchProcess, SelectError> {
    let (command, args, direct) = match user_args {
        [] => return Err(SelectError::NoCommand),
        [dashes, command, args @ ..] if dashes == "--" => (command, args, true),
        [command, args @ ..] => (command, args, false),
    };
    Ok(LaunchProcess {
        command: vec![command.clone()],
        args: args.to_vec(),
        direct,
        ..LaunchProcess::default()
    })
}

fn strings(values: &[String]) -> Vec<OsString> {
    values.iter().map(OsString::from).collect()
}

#[cfg(test)]
mod tests;
