//! Errors of reading and changing a `<layers>` directory.

use std::path::PathBuf;

/// A `<layers>` directory could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing a buildpack's layers directory failed.
    #[error("reading buildpack layers directory {path}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A layer's `<layer>.toml` or the buildpack's `store.toml` is unreadable or malformed.
    #[error(transparent)]
    File(#[from] cnb_files::Error),
    /// Renaming a layer out of the way failed.
    #[error("renaming {from} to {to}")]
    Rename {
        /// The old path.
        from: PathBuf,
        /// The new path.
        to: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
