//! The runtime of `/cnb/lifecycle/launcher`, the ENTRYPOINT of every app image
//! (platform.md › launcher; buildpack.md › Launch). [`main`] does what the binary does:
//! read the launcher's few variables ([`Settings`]), check the Platform API and the
//! buildpacks' APIs against `<layers>/config/metadata.toml` ([`Launcher::load`]), pick the
//! process from `argv[0]` or the user's command ([`Launcher::process_for`]), build the launch
//! environment and run exec.d ([`Launcher::prepare`]), then replace itself with the process
//! (directly, or through one `bash` that sources profile.d and `<app>/.profile`). As PID 1
//! with `CNB_LAUNCHER_INIT=true` it instead supervises the process (opt-in init mode).
//!
//! Layer 4 (a phase): depends only on `cnb-api`, `cnb-env`, `cnb-files` and `cnb-sys`, and
//! never on anything that logs through a subscriber, talks to a network or runs async code;
//! warnings and errors go to stderr through a tiny writer of its own.

mod direct;
mod environment;
mod error;
pub mod exec_d;
mod launcher;
mod output;
mod process;
mod run;
mod settings;
mod shell;

pub use error::{Error, SelectError};
pub use launcher::{BASH, CNB_PATH_DIRS, Launcher};
pub use process::LaunchProcess;
pub use run::main;
pub use settings::{DEFAULT_APP_DIR, DEFAULT_EXEC_ENV, DEFAULT_LAYERS_DIR, Settings};
