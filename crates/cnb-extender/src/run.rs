//! RUN: the command through the SHELL (shell form) or as given (exec form), as the image's
//! current USER, in its WORKDIR, with the Env and the ARGs in scope, and nothing else of the
//! lifecycle's own environment; its output goes to the lifecycle's.

use std::path::Path;
use std::process::{Command, Stdio};

use cnb_dockerfile::{Command as Instr, Instruction, ShellOrExec};
use cnb_sys::process::{Confinement, confine};

use crate::error::StepError;
use crate::scope;
use crate::state::State;
use crate::users::Users;

/// Runs the RUN `instruction` in `root`.
pub(crate) fn run(root: &Path, state: &State, instruction: &Instruction) -> Result<(), StepError> {
    let Instr::Run { command, flags, .. } = &instruction.command else {
        return Ok(());
    };
    if let Some(flag) = flags.first() {
        return Err(StepError::Unsupported {
            what: format!("RUN --{}", flag.name),
        });
    }
    let argv: Vec<String> = match command {
        ShellOrExec::Shell(_) => {
            let mut argv = state.shell();
            argv.push(instruction.run_script().unwrap_or_default());
            argv
        }
        ShellOrExec::Exec(argv) => argv.clone(),
    };
    let Some((program, arguments)) = argv.split_first() else {
        return Err(StepError::Invalid {
            what: "RUN command",
            value: "[]".to_owned(),
        });
    };
    let account = Users::read(root)?.account(state.user())?;
    let workdir = state.workdir();
    scope::create_dirs(root, &workdir).map_err(StepError::io("creating", &workdir))?;
    let mut child = Command::new(program);
    child
        .args(arguments)
        .env_clear()
        .envs(state.run_env(&account.home))
        .stdin(Stdio::null());
    confine(
        &mut child,
        &Confinement {
            root: root.to_owned(),
            cwd: workdir,
            uid: account.uid,
            gid: account.gid,
            groups: account.groups,
        },
    )?;
    tracing::debug!("Running {argv:?} as {}:{}", account.uid, account.gid);
    let status = child.status().map_err(|source| StepError::Spawn {
        program: program.into(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(StepError::Failed {
            status: status.to_string(),
        })
    }
}
