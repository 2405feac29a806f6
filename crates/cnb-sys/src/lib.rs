//! Operating-system seams of the lifecycle: dropping root privileges to the build user and
//! handing it the volumes it must write ([`run_as`], [`ensure_owner`]), and starting programs
//! the way the launcher must ([`process`]: `execve`, exec.d with its fd 3 pipe, init mode).
//!
//! Layer 0: depends on nothing of ours. The only crate allowed `unsafe`, and only in the
//! modules that say why (`process::exec`, `process::exec_d`).

mod privileges;

pub mod process;

pub use privileges::{Error, ensure_owner, is_root, run_as};
