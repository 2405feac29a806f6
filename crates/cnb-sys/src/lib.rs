//! Operating-system seams of the lifecycle: dropping root privileges to the build user and
//! handing it the volumes it must write ([`run_as`], [`ensure_owner`]), and starting programs
//! the way the launcher must ([`process`]: `execve`, exec.d with its fd 3 pipe, init mode).
//!
//! Files that other processes read are replaced whole ([`replace_file`], [`StagedFile`]) and
//! directories rewritten by one process at a time ([`DirLock`]), so that a writer killed at any
//! moment leaves the old contents or the new ones. Large files written once for a later
//! process bypass the page cache where they can ([`DirectFile`]). Pipelines that go through
//! MiB-sized buffers block after block reuse them ([`BufferPool`]).
//!
//! Layer 0: depends on nothing of ours. The only crate allowed `unsafe`, and only in the
//! modules that say why (`process::exec`, `process::exec_d`).

mod buffer_pool;
mod dir_lock;
mod direct;
mod privileges;
mod staged;

pub mod process;

pub use buffer_pool::{BufferPool, PooledBuffer};
pub use dir_lock::DirLock;
pub use direct::DirectFile;
pub use privileges::{Error, ensure_owner, is_root, run_as};
pub use staged::{STAGED_PREFIX, StagedFile, replace_file, sweep_staged, sync_dir};
