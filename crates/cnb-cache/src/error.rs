//! What a cache operation failed at.

use std::path::PathBuf;

/// A failed cache operation; each variant names the entry, file or image involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cache has no layer with this diffID.
    #[error("cache has no layer {diff_id}")]
    MissingLayer {
        /// The diffID asked for.
        diff_id: String,
    },
    /// A cache file could not be opened, read or written.
    #[error("accessing {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `-cache-dir` names something that is not a directory.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A layer's contents do not hash to the diffID it is stored under.
    #[error("layer {diff_id} has diffID {actual}")]
    DiffIdMismatch {
        /// The diffID the cache recorded.
        diff_id: String,
        /// The diffID of the stored bytes.
        actual: String,
    },
    /// A layer could not be extracted.
    #[error("extracting layer {diff_id}")]
    Extract {
        /// The layer.
        diff_id: String,
        /// The cause.
        #[source]
        source: cnb_archive::Error,
    },
    /// The cache metadata could not be encoded.
    #[error("encoding cache metadata")]
    EncodeMetadata(#[source] cnb_files::Error),
    /// The cache image store failed.
    #[error("cache image {reference}")]
    Store {
        /// The cache image.
        reference: String,
        /// The cause.
        #[source]
        source: cnb_image::StoreError,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
