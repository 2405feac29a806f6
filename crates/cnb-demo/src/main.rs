//! `cnb-demo [--lifecycle <dir>] [--testdata <dir>]`: the demo `make demo` runs (see the
//! library docs). Defaults: the lifecycle `make install DESTDIR=target/demo-install` lays out,
//! and this repository's `testdata`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cnb_demo::{Console, Options};

const USAGE: &str = "usage: cnb-demo [--lifecycle <cnb/lifecycle dir>] [--testdata <dir>]";

fn main() -> ExitCode {
    // First, before any thread starts, so that every thread blocks the signals.
    if let Err(err) = cnb_demo::watch_signals() {
        print_error(&format!("cannot watch for Ctrl-C: {err}"));
        return ExitCode::FAILURE;
    }
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            print_error(&format!("{message}\n{USAGE}"));
            return ExitCode::from(2);
        }
    };
    let console = Console::new(Box::new(std::io::stdout()), use_color());
    match cnb_demo::run(&options, &console) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err.to_string());
            ExitCode::FAILURE
        }
    }
}

fn print_error(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "cnb-demo: {message}");
}

/// Colour on a terminal, unless `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    #[expect(
        clippy::disallowed_methods,
        reason = "NO_COLOR is the demo's own display switch, not a platform input"
    )]
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    std::io::stdout().is_terminal() && !no_color
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut options = Options {
        lifecycle_dir: repo.join("target/demo-install/cnb/lifecycle"),
        testdata_dir: repo.join("testdata"),
    };
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--lifecycle" => options.lifecycle_dir = value("--lifecycle")?,
            "--testdata" => options.testdata_dir = value("--testdata")?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|arg| (*arg).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags_override_the_default_dirs() {
        let options = parse(args(&["--lifecycle", "/l", "--testdata", "/t"])).expect("valid");
        assert_eq!(options.lifecycle_dir, Path::new("/l"));
        assert_eq!(options.testdata_dir, Path::new("/t"));
        let defaults = parse(args(&[])).expect("valid");
        assert!(
            defaults
                .lifecycle_dir
                .ends_with("target/demo-install/cnb/lifecycle")
        );
    }

    #[test]
    fn unknown_or_incomplete_arguments_are_refused() {
        assert_eq!(
            parse(args(&["--lifecycle"])).expect_err("no value"),
            "--lifecycle needs a value"
        );
        assert_eq!(
            parse(args(&["-x"])).expect_err("unknown"),
            "unknown argument \"-x\""
        );
    }
}
