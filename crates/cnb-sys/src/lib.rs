//! Operating-system seams of the lifecycle: dropping root privileges to the build user and
//! handing it the volumes it must write. Later: running buildpack processes and `exec`.
//!
//! Layer 0: depends on nothing of ours; the only crate allowed `unsafe` (none needed yet).

mod privileges;

pub use privileges::{Error, ensure_owner, is_root, run_as};
