//! From `argv` to a finished phase: which phase (argv[0] or `lifecycle <verb>`), the Platform
//! API check, flag parsing, input resolution, logging, then the phase itself. `lifecycle diff`
//! is this lifecycle's own command beside the phases (no symlink, no Platform API).

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use cnb_api::{ExitKind, Phase, version_line};
use cnb_platform::{EnvSource, ProcessEnv};

use crate::invocation::{Invocation, invocation};
use crate::{Failure, diff, logging, output, phases};

/// The `main` of the multi-call `lifecycle` binary.
pub fn lifecycle_main(args: Vec<OsString>) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    match run(&args, &ProcessEnv) {
        Ok(code) => code,
        Err(failure) => {
            logging::init(cnb_platform::LogLevel::Info, false);
            tracing::error!("{}", failure.message);
            ExitCode::from(failure.kind.code())
        }
    }
}

fn run(args: &[String], env: &dyn EnvSource) -> Result<ExitCode, Failure> {
    let program = args.first().map_or("lifecycle", String::as_str);
    let name = Path::new(program)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    if let Some(phase) = Phase::from_binary(name) {
        return run_phase(phase, &args[1.min(args.len())..], env).map(|()| ExitCode::SUCCESS);
    }
    if args.get(1).map(String::as_str) == Some(diff::VERB) {
        return diff::run(&args[2..], env);
    }
    run_verb(args, env).map(|()| ExitCode::SUCCESS)
}

/// `lifecycle <verb> …` for a phase's verb.
fn run_verb(args: &[String], env: &dyn EnvSource) -> Result<(), Failure> {
    match args.get(1).map(String::as_str) {
        None => Err(Failure::message(
            ExitKind::InvalidArgs,
            "failed to parse arguments: expected a phase, e.g. lifecycle detect",
        )),
        Some("-version" | "--version") => {
            output::stdout(&format!("{}\n", version_line()));
            Ok(())
        }
        Some(verb) => match Phase::from_verb(verb) {
            Some(phase) => run_phase(phase, &args[2..], env),
            None => Err(Failure::message(
                ExitKind::InvalidArgs,
                format!(
                    "failed to recognize phase: {verb} (valid phases: detect, analyze, restore, build, export, rebase, create, extend; other commands: diff)"
                ),
            )),
        },
    }
}

fn run_phase(phase: Phase, args: &[String], env: &dyn EnvSource) -> Result<(), Failure> {
    match invocation(phase, args, env, std::env::current_dir)? {
        Invocation::Help(usage) => {
            output::stdout(&usage);
            Ok(())
        }
        Invocation::Version => {
            output::stdout(&format!("{}\n", version_line()));
            Ok(())
        }
        Invocation::BadFlags(usage, failure) => {
            output::stderr(&usage);
            Err(failure)
        }
        Invocation::Run(inputs) => {
            logging::init(inputs.log_level, inputs.no_color);
            for warning in &inputs.warnings {
                tracing::warn!("{warning}");
            }
            tracing::debug!("Starting {phase}...");
            phases::run(&inputs)
        }
    }
}
