//! What a phase's command line and environment ask for, worked out without side effects: the
//! Platform API check, Go `flag` parsing and input resolution. [`crate::lifecycle_main`] acts on
//! the answer; fuzzing and tests call [`invocation`] directly.

use std::io;
use std::path::PathBuf;

use cnb_api::{ExitKind, Phase, PlatformApi, UnsupportedApi};
use cnb_platform::{EnvSource, FlagValues, Inputs, flags_for, parse_bool};

use crate::goflag::{self, FlagError};
use crate::{Failure, usage};

/// What a command line asks a phase to do.
#[derive(Debug)]
pub enum Invocation {
    /// `-h` or `-help`: print this usage text to stdout and exit 0.
    Help(String),
    /// `-version`: print the version line to stdout and exit 0.
    Version,
    /// Flags that do not parse: print the usage text to stderr, then fail (exit 2).
    BadFlags(String, Failure),
    /// Run the phase with these inputs (their warnings not yet logged).
    Run(Box<Inputs>),
}

/// Checks the Platform API in `env`, parses `args` (without the program name or verb) as
/// `phase`'s flags and resolves its inputs; `cwd` is asked for only when relative paths must
/// be made absolute. Errors are the phase's exit kind and one line.
pub fn invocation(
    phase: Phase,
    args: &[String],
    env: &dyn EnvSource,
    cwd: impl FnOnce() -> io::Result<PathBuf>,
) -> Result<Invocation, Failure> {
    let api = match cnb_platform::platform_api(env) {
        Ok(api) => api,
        Err(unsupported) => return without_api(phase, args, &unsupported),
    };
    let values = match goflag::parse(&flags_for(phase, api), args) {
        Ok(values) => values,
        Err(FlagError::Help) => return Ok(Invocation::Help(usage::text(phase, api))),
        Err(error) => {
            let failure =
                Failure::message(ExitKind::Usage, format!("failed to parse flags: {error}"));
            return Ok(Invocation::BadFlags(usage::text(phase, api), failure));
        }
    };
    if wants_version(&values) {
        return Ok(Invocation::Version);
    }
    let cwd =
        cwd().map_err(|error| Failure::new(ExitKind::Failed, Some("resolve inputs"), &error))?;
    let mut inputs = cnb_platform::resolve(phase, api, &values, env, &cwd)
        .map_err(|error| Failure::new(error.kind(), error.action(), &error))?;
    for arg in values
        .positionals()
        .iter()
        .filter(|arg| arg.starts_with('-'))
    {
        inputs.warnings.push(cnb_api::one_line_text(&format!(
            "unconsumed flag-like positional arg: {arg} (it is not read as a flag; flags go before the first positional argument)"
        )));
    }
    Ok(Invocation::Run(Box::new(inputs)))
}

/// Without a usable Platform API only `-version` and `-h` are answered (with the newest API's
/// flags); everything else fails with the API error (exit 11), before any other input is read.
fn without_api(
    phase: Phase,
    args: &[String],
    unsupported: &UnsupportedApi,
) -> Result<Invocation, Failure> {
    let latest = PlatformApi::latest();
    match goflag::parse(&flags_for(phase, latest), args) {
        Ok(values) if wants_version(&values) => Ok(Invocation::Version),
        Err(FlagError::Help) => Ok(Invocation::Help(usage::text(phase, latest))),
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
