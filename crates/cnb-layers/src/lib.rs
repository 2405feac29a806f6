//! The `<layers>` directory as buildpacks leave it (buildpack.md › Layers): one directory per
//! buildpack (`/` in its ID escaped to `_`), and in it the layers — a `<name>/` directory
//! and/or a `<name>.toml` — plus `store.toml`, `launch.toml`, `build.toml` and SBOM files.
//! Shared by the builder, restorer and exporter.
//!
//! Layer 2: depends on `cnb-files` only.

mod buildpack_layers;
mod error;
mod layer;

pub use buildpack_layers::{BuildpackLayers, escape_id};
pub use error::Error;
pub use layer::Layer;
