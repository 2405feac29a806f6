//! `/cnb/lifecycle/launcher`: the ENTRYPOINT of every app image, also reached through the
//! `/cnb/process/<type>` symlinks. Everything but `launcher -version` is `cnb_launcher::main`,
//! which returns only when the process could not be started (or, in init mode, has ended).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // Only under its own name: `/cnb/process/web --version` is for the app.
    let called_as_launcher = args
        .first()
        .and_then(|argv0| Path::new(argv0).file_name())
        .is_some_and(|name| name == "launcher");
    if called_as_launcher
        && matches!(&args[1..], [flag] if flag == "-version" || flag == "--version")
    {
        let _ = writeln!(std::io::stdout(), "{}", cnb_api::version_line());
        return ExitCode::SUCCESS;
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "the launcher's environment is the app's: it is read once, here, and handed on"
    )]
    let environ = std::env::vars_os().collect();
    ExitCode::from(cnb_launcher::main(&args, environ))
}
