//! What can fail while writing an SBOM, each variant naming the command or file involved.

use std::io;
use std::path::PathBuf;

/// An SBOM failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file (`Cargo.lock`, the binary) could not be read.
    #[error("failed to read {path}")]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// An SBOM file could not be written.
    #[error("failed to write {path}")]
    Write {
        /// What was written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// `cargo metadata`, `cargo tree` or `rustc -vV` failed, or answered what cannot be read
    /// (as did `Cargo.lock`).
    #[error("{command}: {reason}")]
    Query {
        /// The command or file.
        command: String,
        /// What went wrong.
        reason: String,
    },
}

/// The result of SBOM steps.
pub type Result<T, E = Error> = std::result::Result<T, E>;
