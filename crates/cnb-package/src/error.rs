//! What can fail while packaging, each variant naming the file, layout or reference involved.

use std::io;
use std::path::PathBuf;

/// A packaging failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("failed to read {path}")]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// A file or directory could not be written.
    #[error("failed to write {path}")]
    Write {
        /// What was written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// A spec file (`lifecycle.toml`, `buildpack.toml`, `order.toml`) could not be read or
    /// encoded.
    #[error(transparent)]
    File(#[from] cnb_files::Error),
    /// The lifecycle install dir lacks something pack or kpack needs.
    #[error("{path} is not an installed lifecycle: {reason}")]
    NotInstalled {
        /// The `cnb/lifecycle` dir or `lifecycle.toml` looked at.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// A buildpack directory cannot go into a builder.
    #[error("buildpack {path}: {reason}")]
    Buildpack {
        /// The buildpack directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The order names a buildpack none of the buildpack directories provides.
    #[error("{path} names {id}@{version}, which no given buildpack provides")]
    UnknownBuildpack {
        /// The order file.
        path: PathBuf,
        /// The buildpack id.
        id: String,
        /// The buildpack version.
        version: String,
    },
    /// The base image layout cannot be used as a build image.
    #[error("build base {path}: {reason}")]
    Base {
        /// The layout directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing a layer's tar failed.
    #[error("failed to write the {layer} layer")]
    Layer {
        /// Which layer.
        layer: String,
        /// Why it failed.
        source: cnb_archive::Error,
    },
    /// Reading or writing an OCI layout failed.
    #[error(transparent)]
    Layout(#[from] cnb_layout::Error),
    /// The output directory exists and is not an OCI layout.
    #[error("{path} exists and is neither empty nor an OCI layout; refusing to write into it")]
    NotALayout {
        /// The output directory.
        path: PathBuf,
    },
    /// A reference does not parse.
    #[error("invalid {what}")]
    Reference {
        /// Which reference: `run image`, `publish target`.
        what: &'static str,
        /// Why it does not parse.
        source: cnb_image::ReferenceError,
    },
    /// Pushing to a registry failed.
    #[error("failed to publish {reference}")]
    Publish {
        /// The target reference.
        reference: String,
        /// What the store reported.
        source: cnb_image::StoreError,
    },
    /// A blob could not be copied from the layout to the registry.
    #[error("failed to copy blob {digest} to {reference}")]
    CopyBlob {
        /// The blob.
        digest: cnb_image::Digest,
        /// The target reference.
        reference: String,
        /// Why it failed.
        source: io::Error,
    },
    /// The registry client could not be set up.
    #[error("failed to set up the registry client")]
    Registry(#[from] cnb_registry::Error),
}

/// The result of packaging steps.
pub type Result<T, E = Error> = std::result::Result<T, E>;
