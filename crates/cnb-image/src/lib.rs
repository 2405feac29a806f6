//! The OCI image model every image-touching crate shares: content digests, media types and
//! descriptors (OCI image-spec `descriptor.md`, `media-types.md`), manifests and indexes,
//! the image config, image references parsed the way the Go lifecycle parses them, and the
//! synchronous [`ImageStore`]/[`BlobWriter`] seam that registry, layout and daemon backends
//! implement, [`ImageIdentity`], what a store knows an image by, and [`Progress`], how stores
//! report long transfers to whoever watches them.
//!
//! Layer 1: depends on nothing of ours; no I/O beyond hashing and the `Read`/`Write` values
//! backends hand out. Never depends on an async runtime or an HTTP client.

mod blob_digest;
mod config;
mod descriptor;
mod digest;
mod error;
mod identity;
mod manifest;
mod media_type;
mod platform;
mod progress;
mod reference;
mod run_image;
mod store;

pub use blob_digest::{BlobDigest, BlobDigestError};
pub use config::{History, ImageConfig, RootFs, RuntimeConfig, rfc3339_utc};
pub use descriptor::Descriptor;
pub use digest::{Digest, DigestError, Sha256Writer};
pub use error::{Action, BoxError, StoreError};
pub use identity::ImageIdentity;
pub use manifest::{Index, Manifest, ParseError};
pub use media_type::MediaType;
pub use platform::Platform;
pub use progress::{Direction, Meter, Progress, Silent, Transfer, Watch};
pub use reference::{
    DEFAULT_REGISTRY, DEFAULT_TAG, Identifier, ImageRef, ReferenceError, Repository, image_name,
};
pub use run_image::select_run_image;
pub use store::{BlobWriter, CONFIG_LIMIT, Image, ImageStore, MANIFEST_LIMIT, ResolvedManifest};
