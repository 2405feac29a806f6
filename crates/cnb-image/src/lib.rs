//! The OCI image model every image-touching crate shares: content digests, media types and
//! descriptors (OCI image-spec `descriptor.md`, `media-types.md`). Manifests, configs,
//! references and the `ImageStore`/`BlobWriter` seam join them here.
//!
//! Layer 1: depends on nothing of ours; no I/O beyond hashing.

mod descriptor;
mod digest;
mod media_type;

pub use descriptor::{Descriptor, Platform};
pub use digest::{Digest, DigestError, Sha256Writer};
pub use media_type::MediaType;
