//! The lifecycle's command line: turns `argv` in Go `flag` syntax and the `CNB_*` environment
//! into a phase's resolved inputs, installs the one logging subscriber, runs the phase and maps
//! any error to one `ERROR: failed to <action>: …` line and the spec's exit code. The only
//! place that decides a process exit status.
//!
//! Layer 5: may depend on everything below it except the launcher runtime.

mod analyze;
mod creator;
mod diff;
mod dispatch;
mod experimental;
mod export;
mod extend;
mod failure;
mod fleet;
mod goflag;
mod invocation;
mod logging;
mod output;
mod phases;
mod privileges;
mod progress;
mod rebase;
mod references;
mod restore;
mod stores;
mod usage;

pub use dispatch::lifecycle_main;
pub use failure::Failure;
pub use invocation::{Invocation, invocation};
