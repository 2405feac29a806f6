//! What `/cnb/lifecycle/launcher` does, start to exec.

use std::ffi::OsString;

use crate::output::Output;
use crate::{Error, Launcher, Settings};

/// Runs the launcher for `args` (`argv`, `argv[0]` included) in the container environment
/// `environ`. On success this process has become the app and never returns; what it returns
/// is an exit status: the app's own in init mode, otherwise the failure's (1, 11, 12 or 82),
/// after printing `ERROR: failed to <action>: …` on stderr.
pub fn main(args: &[OsString], environ: Vec<(OsString, OsString)>) -> u8 {
    let settings = Settings::from_environ(&environ);
    let output = Output::new(settings.no_color);
    match launch(&settings, args, environ, output) {
        Ok(code) => code,
        Err(error) => {
            output.error(&format!(
                "failed to {}: {}",
                error.action(),
                cnb_api::one_line(&error)
            ));
            error.kind().code()
        }
    }
}

fn launch(
    settings: &Settings,
    args: &[OsString],
    environ: Vec<(OsString, OsString)>,
    output: Output,
) -> Result<u8, Error> {
    let launcher = Launcher::load(settings)?;
    if let Some(process_type) = &settings.process_type {
        output.warn(&format!(
            "CNB_PROCESS_TYPE is not supported in Platform API {}",
            launcher.platform_api()
        ));
        output.warn(&format!(
            "Run with ENTRYPOINT '{process_type}' to invoke the '{process_type}' process type"
        ));
    }
    let default_argv0 = OsString::from("launcher");
    let (argv0, user_args) = args.split_first().unwrap_or((&default_argv0, &[]));
    let process = launcher.process_for(argv0, user_args)?;
    let program = launcher.prepare(&process, environ, argv0)?;
    if settings.init && cnb_sys::process::is_init() {
        return cnb_sys::process::run_as_init(&program).map_err(Error::Init);
    }
    let mode = if process.direct { "direct" } else { "bash" };
    Err(Error::Exec {
        mode,
        source: cnb_sys::process::exec(&program),
    })
}
