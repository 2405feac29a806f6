//! [`StoreError`]: what an image store operation failed at, whichever backend ran it.

use std::fmt;

use crate::manifest::ParseError;
use crate::{Digest, MediaType};

/// The error a backend reports, boxed so that stores stay object-safe.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What an [`ImageStore`](crate::ImageStore) operation failed at. Messages name the reference or digest and
/// never carry credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store refused our credentials, or we had none it accepts.
    #[error("not authorized to {action} {reference}")]
    Unauthorized {
        /// `read` or `write`.
        action: Action,
        /// The image or repository.
        reference: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The store could not answer at all: unreachable, refused, or an error of its own (a
    /// daemon that is not running, a socket we may not open), as opposed to an image that is
    /// missing or does not parse. Phases fail on it where the Go lifecycle fails to open an
    /// image; the message is the cause's.
    #[error(transparent)]
    Unavailable(BoxError),
    /// Reading a manifest or index failed.
    #[error("reading manifest of {reference}")]
    ReadManifest {
        /// The image.
        reference: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A manifest, index or config did not parse.
    #[error("parsing {reference}")]
    Parse {
        /// The image.
        reference: String,
        /// The cause.
        #[source]
        source: ParseError,
    },
    /// The reference names something that is neither an image manifest nor an index.
    #[error("{reference} has unsupported media type {media_type}")]
    UnsupportedMediaType {
        /// The image.
        reference: String,
        /// What it has.
        media_type: MediaType,
    },
    /// An index has no manifest for the wanted platform.
    #[error("{reference} has no image for platform {platform} (it offers {offered})")]
    NoMatchingPlatform {
        /// The index.
        reference: String,
        /// `os/arch[/variant]`.
        platform: Box<str>,
        /// The platforms the index has images for, comma-separated.
        offered: Box<str>,
    },
    /// Reading a blob failed.
    #[error("reading blob {digest} of {reference}")]
    ReadBlob {
        /// The image.
        reference: String,
        /// The blob.
        digest: Digest,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A config is larger than any real one may be.
    #[error("config {digest} of {reference} is larger than {} MiB", limit >> 20)]
    ConfigTooLarge {
        /// The image.
        reference: String,
        /// The blob.
        digest: Digest,
        /// The most accepted, in bytes.
        limit: u64,
    },
    /// A blob has another size than its descriptor says.
    #[error("blob {digest} of {reference} is not the {expected} bytes its descriptor says")]
    SizeMismatch {
        /// The image.
        reference: String,
        /// The blob.
        digest: Digest,
        /// The size the descriptor gives.
        expected: u64,
    },
    /// Deleting a manifest failed, or the store cannot delete.
    #[error("deleting {reference}")]
    DeleteManifest {
        /// The manifest, as `<repository>@<digest>`.
        reference: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A blob that must be present is not.
    #[error("blob {digest} of {reference} is missing")]
    MissingBlob {
        /// The image.
        reference: String,
        /// The blob.
        digest: Digest,
    },
    /// Writing a blob failed.
    #[error("writing blob to {reference}")]
    WriteBlob {
        /// The image or repository.
        reference: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A blob's streamed upload was cut off, and the store kept no copy of its bytes to send
    /// them again: the caller, which said it could ([`BlobWriter::can_write_again`]), writes
    /// the blob again. Nothing of it was committed.
    ///
    /// [`BlobWriter::can_write_again`]: crate::BlobWriter::can_write_again
    #[error("the upload of a blob to {reference} was cut off")]
    WriteAgain {
        /// The image or repository.
        reference: String,
        /// Why the upload stopped.
        #[source]
        source: BoxError,
    },
    /// Writing a manifest or tag failed.
    #[error("writing manifest of {reference}")]
    WriteManifest {
        /// The image.
        reference: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
}

/// What was being attempted when access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pull.
    Read,
    /// Push.
    Write,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}
