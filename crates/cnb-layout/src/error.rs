//! What a layout operation failed at; each variant carries the path it touched.

use std::io;
use std::path::PathBuf;

/// A failed layout operation. Wrapped in a [`cnb_image::StoreError`] by the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading `index.json`, a blob or another layout file failed.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// `index.json` is not an image index.
    #[error("parsing {path}")]
    ParseIndex {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: cnb_image::ParseError,
    },
    /// `index.json` lists no manifest.
    #[error("{path} lists no manifest")]
    EmptyIndex {
        /// The file.
        path: PathBuf,
    },
    /// A blob's bytes do not hash to its name.
    #[error("blob {path} does not match its digest")]
    Corrupt {
        /// The blob file.
        path: PathBuf,
    },
    /// Creating a directory failed.
    #[error("creating directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Writing a file failed.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A tag reference where only digests name layouts (the base images of the extender).
    #[error("{reference} is not a digest reference")]
    NotADigest {
        /// The reference.
        reference: String,
    },
    /// A reference whose path would leave the layout root.
    #[error("{reference} has no layout path (empty, '.' or '..' component)")]
    UnsafeReference {
        /// The reference.
        reference: String,
    },
    /// A manifest to write does not parse.
    #[error("parsing the manifest to write")]
    ParseManifest {
        /// The cause.
        #[source]
        source: cnb_image::ParseError,
    },
    /// A command-line `oci:` image that does not parse.
    #[error("'{text}' is not an OCI layout path (oci:<path>[:<tag>|@<digest>]): {reason}")]
    BadOciPath {
        /// What was given.
        text: String,
        /// Why not.
        reason: &'static str,
    },
    /// The directory holds no `index.json`.
    #[error("{path} is not an OCI layout (no index.json)")]
    NotALayout {
        /// The directory.
        path: PathBuf,
    },
    /// No image in the layout carries the tag.
    #[error("{path} has no image tagged '{tag}' (tags: {tags})")]
    NoSuchTag {
        /// The layout.
        path: PathBuf,
        /// The tag asked for.
        tag: String,
        /// The tags there are, comma-separated, or `none`.
        tags: String,
    },
}
