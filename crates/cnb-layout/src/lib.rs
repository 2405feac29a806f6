//! An [`ImageStore`](cnb_image::ImageStore) over OCI image layout directories
//! (image-spec `image-layout.md`). Each image reference maps to its own layout directory under
//! a root, as the platform spec's "Map an image reference to a path in the layout directory"
//! says: `<root>/<registry>/<repository>/<tag>` or `<root>/<registry>/<repository>/sha256/<hex>`.
//!
//! On command lines, `oci:<path>[:<tag>|@<digest>]` names an image in one layout directory
//! ([`OciPath`]).
//!
//! Sparse layouts (a manifest and config without the base layers) read fine: a missing blob
//! is "not present", not an error. Writing puts blobs in place first and `index.json` last,
//! with an `org.opencontainers.image.ref.name` annotation naming the tag.
//!
//! Layer 3 (adapter): depends on cnb-image only; no network, no async.

mod error;
mod layout;
mod oci_path;
mod path;
mod store;
mod writer;

pub use error::Error;
pub use layout::{Layout, REF_NAME_ANNOTATION};
pub use oci_path::{OCI_PREFIX, OciPath, Selector};
pub use path::layout_path;
pub use store::{LayoutStore, base_image_dir};
