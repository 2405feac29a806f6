//! `cnb-sbom <package> <binary> <target> <out-dir>`: writes `<binary>.sbom.{cdx,spdx,syft}.json`
//! for what the release build of `<package>` for `<target>` links into `<binary>` (`make
//! install` runs it from the workspace root). `CARGO` and `RUSTC` name the tools to ask
//! (`cargo run` sets `CARGO`); `SOURCE_DATE_EPOCH` is the documents' time (else
//! 1980-01-01T00:00:01Z). Prints the files written; an error is one line on stderr.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use cnb_sbom::{Bill, CargoQuery, DEFAULT_CREATED};

const USAGE: &str = "usage: cnb-sbom <package> <binary> <target> <out-dir>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [package, binary, target, out] = args.as_slice() else {
        let _ = writeln!(std::io::stderr(), "{USAGE}");
        return ExitCode::from(2);
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "a build tool outside the lifecycle: cargo's own variables name its tools and the reproducible-builds time"
    )]
    let (cargo, rustc, epoch) = (
        std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")),
        std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc")),
        std::env::var("SOURCE_DATE_EPOCH").ok(),
    );
    let epoch = epoch
        .as_deref()
        .map(str::trim)
        .filter(|epoch| !epoch.is_empty());
    let created = match epoch.map(str::parse) {
        None => DEFAULT_CREATED,
        Some(Ok(seconds)) => seconds,
        Some(Err(_)) => {
            let _ = writeln!(
                std::io::stderr(),
                "ERROR: SOURCE_DATE_EPOCH {:?} is not a number of seconds",
                epoch.unwrap_or_default()
            );
            return ExitCode::from(2);
        }
    };
    let query = CargoQuery {
        workspace: Path::new("."),
        cargo: &cargo,
        rustc: &rustc,
        package,
        target,
        binary: Path::new(binary),
        created,
    };
    match Bill::from_cargo(&query).and_then(|bill| bill.write_all(Path::new(out))) {
        Ok(written) => {
            let mut stdout = std::io::stdout();
            for path in written {
                let _ = writeln!(stdout, "{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}", cnb_api::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
