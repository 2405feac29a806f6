//! `/cnb/lifecycle/launcher`: the ENTRYPOINT of every app image. It answers `-version` and
//! checks the Platform API; launching processes is not built yet and fails with exit 82
//! rather than pretending to run anything.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.as_slice(), [flag] if flag == "-version" || flag == "--version") {
        let _ = writeln!(std::io::stdout(), "{}", cnb_api::version_line());
        return ExitCode::SUCCESS;
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "the launcher has no cnb-platform; it reads its own few variables"
    )]
    let requested = std::env::var(cnb_api::env::PLATFORM_API).ok();
    if let Err(unsupported) = cnb_api::check_platform_api(requested.as_deref()) {
        let _ = writeln!(std::io::stderr(), "ERROR: failed to launch: {unsupported}");
        return ExitCode::from(unsupported.kind().code());
    }
    let _ = writeln!(
        std::io::stderr(),
        "ERROR: failed to launch: the launcher is not implemented yet in this lifecycle"
    );
    ExitCode::from(cnb_api::ExitKind::LaunchError.code())
}
