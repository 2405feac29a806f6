//! The restorer phase (platform.md › restorer; buildpack.md › Layer Types): for each buildpack
//! of the group, `store.toml` from the previous image, layer metadata by the restore matrix
//! (spec-matrix.md §5.3), and the contents and SBOMs of cached layers from a volume or image
//! cache. Before that, it saves `-build-image` for the extender (an OCI layout under
//! `<kaniko-dir>/cache/base`) and records its digest reference, re-checks that the analyzed
//! run image is readable (Platform API 0.14), saves the run image when extensions extend it
//! and resolves a run image extensions switched to (digest reference and target).
//!
//! Layer 4 (connected phase): images come through an injected
//! [`ImageStore`](cnb_image::ImageStore) and the cache through a
//! [`Cache`](cnb_cache::Cache); never depends on cnb-platform or an adapter.

mod base_image;
mod contents;
mod error;
mod metadata;
mod restorer;

pub use error::Error;
pub use restorer::{Restorer, RestorerConfig, RestorerStores};
