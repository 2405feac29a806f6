//! `/cnb/lifecycle/lifecycle`: one binary for every build phase. The phase is the name it is
//! called by (`/cnb/lifecycle/detector` is a symlink to it) or the first argument
//! (`lifecycle detect`).

use std::process::ExitCode;

fn main() -> ExitCode {
    cnb_cli::lifecycle_main(std::env::args_os().collect())
}
