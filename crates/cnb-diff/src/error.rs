//! Why two images could not be compared; each variant names the image as it was given.

use cnb_image::{Digest, StoreError};

/// A result with this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A comparison that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store could not read the image's manifest or config.
    #[error("reading {image}")]
    Read {
        /// The image, as given.
        image: String,
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// The reference names no image.
    #[error("{image} not found")]
    NotFound {
        /// The image, as given.
        image: String,
    },
    /// The manifest lists another number of layers than the config has diffIDs.
    #[error("{image} lists {layers} layers in its manifest but {diff_ids} diffIDs in its config")]
    LayerCount {
        /// The image, as given.
        image: String,
        /// Layers in the manifest.
        layers: usize,
        /// The diffIDs in the config.
        diff_ids: usize,
    },
    /// Opening a layer blob failed.
    #[error("opening layer {diff_id} of {image}")]
    OpenLayer {
        /// The image, as given.
        image: String,
        /// The layer.
        diff_id: Digest,
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// Reading a layer's tar failed.
    #[error("reading layer {diff_id} of {image}")]
    ReadLayer {
        /// The image, as given.
        image: String,
        /// The layer.
        diff_id: Digest,
        /// The cause.
        #[source]
        source: cnb_archive::Error,
    },
    /// A layer's tar does not hash to the diffID the config records: the image is corrupt, and
    /// what it holds cannot be told.
    #[error("layer {diff_id} of {image} does not match its diffID (its tar is {actual})")]
    DiffIdMismatch {
        /// The image, as given.
        image: String,
        /// The diffID in the config.
        diff_id: Digest,
        /// What the tar hashes to.
        actual: Digest,
    },
}
