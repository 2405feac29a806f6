//! Prints `lifecycle.toml`, the descriptor pack and kpack read from a lifecycle release: the
//! supported API versions and the lifecycle version. `make install` runs it.

use std::io::Write;
use std::process::ExitCode;

use cnb_files::TomlFile;
use cnb_files::lifecycle::LifecycleDescriptor;

fn main() -> ExitCode {
    match LifecycleDescriptor::for_lifecycle(cnb_api::LIFECYCLE_VERSION).to_toml() {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {error}");
            ExitCode::FAILURE
        }
    }
}
