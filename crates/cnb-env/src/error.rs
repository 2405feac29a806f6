//! Errors of reading env directories.

use std::path::PathBuf;

/// An env directory or file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing an env directory failed.
    #[error("reading env directory {path}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading an env file (or the target of a symlink in an env directory) failed.
    #[error("reading env file {path}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Checking for a layer's path directory failed.
    #[error("inspecting {path}")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
