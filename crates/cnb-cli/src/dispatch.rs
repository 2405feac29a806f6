//! From `argv` to a finished phase: which phase (argv[0] or `lifecycle <verb>`), the Platform
//! API check, flag parsing, input resolution, logging, then the phase itself.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use cnb_api::{ExitKind, Phase, PlatformApi, UnsupportedApi};
use cnb_platform::{EnvSource, FlagValues, ProcessEnv, flags_for, parse_bool};

use crate::goflag::{self, FlagError};
use cnb_api::version_line;

use crate::{Failure, logging, output, phases, usage};

/// The `main` of the multi-call `lifecycle` binary.
pub fn lifecycle_main(args: Vec<OsString>) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    match run(&args, &ProcessEnv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            logging::init(cnb_platform::LogLevel::Info, false);
            tracing::error!("{}", failure.message);
            ExitCode::from(failure.kind.code())
        }
    }
}

fn run(args: &[String], env: &dyn EnvSource) -> Result<(), Failure> {
    let program = args.first().map_or("lifecycle", String::as_str);
    let name = Path::new(program)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    if let Some(phase) = Phase::from_binary(name) {
        return run_phase(phase, &args[1.min(args.len())..], env);
    }
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
                    "failed to recognize phase: {verb} (valid phases: detect, analyze, restore, build, export, rebase, create, extend)"
                ),
            )),
        },
    }
}

fn run_phase(phase: Phase, args: &[String], env: &dyn EnvSource) -> Result<(), Failure> {
    let api = match cnb_platform::platform_api(env) {
        Ok(api) => api,
        Err(unsupported) => return answer_without_api(phase, args, &unsupported),
    };
    let values = match goflag::parse(&flags_for(phase, api), args) {
        Ok(values) => values,
        Err(FlagError::Help) => {
            output::stdout(&usage::text(phase, api));
            return Ok(());
        }
        Err(error) => {
            output::stderr(&usage::text(phase, api));
            return Err(Failure::message(
                ExitKind::Usage,
                format!("failed to parse flags: {error}"),
            ));
        }
    };
    if wants_version(&values) {
        output::stdout(&format!("{}\n", version_line()));
        return Ok(());
    }
    let cwd = std::env::current_dir()
        .map_err(|error| Failure::new(ExitKind::Failed, Some("resolve inputs"), &error))?;
    let inputs = cnb_platform::resolve(phase, api, &values, env, &cwd)
        .map_err(|error| Failure::new(error.kind(), error.action(), &error))?;
    logging::init(inputs.log_level, inputs.no_color);
    for warning in &inputs.warnings {
        tracing::warn!("{warning}");
    }
    for arg in values
        .positionals()
        .iter()
        .filter(|arg| arg.starts_with('-'))
    {
        tracing::warn!(
            "unconsumed flag-like positional arg: {arg} (it is not read as a flag; flags go before the first positional argument)"
        );
    }
    tracing::debug!("Starting {phase}...");
    phases::run(&inputs)
}

/// Without a usable Platform API only `-version` and `-h` are answered (with the newest API's
/// flags); everything else fails with the API error (exit 11), before any other input is read.
fn answer_without_api(
    phase: Phase,
    args: &[String],
    unsupported: &UnsupportedApi,
) -> Result<(), Failure> {
    let latest = PlatformApi::latest();
    match goflag::parse(&flags_for(phase, latest), args) {
        Ok(values) if wants_version(&values) => {
            output::stdout(&format!("{}\n", version_line()));
            Ok(())
        }
        Err(FlagError::Help) => {
            output::stdout(&usage::text(phase, latest));
            Ok(())
        }
        _ => {
            let action = match unsupported {
                UnsupportedApi::PlatformUnset => "get platform API version",
                _ => "set platform API",
            };
            Err(Failure::new(unsupported.kind(), Some(action), unsupported))
        }
    }
}

fn wants_version(values: &FlagValues) -> bool {
    values.last("version").and_then(parse_bool).unwrap_or(false)
}
