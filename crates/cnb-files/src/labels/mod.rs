//! The image labels the lifecycle reads and writes, as JSON. Each type implements
//! [`JsonLabel`](crate::JsonLabel) with its label name.

mod build_metadata;
mod buildpack_layers;
mod cache_metadata;
mod lifecycle_metadata;
mod project_metadata;

pub use build_metadata::{
    BuildMetadataLabel, GitMetadata, LabelModule, LabelProcess, LauncherMetadata, LauncherSource,
};
pub use buildpack_layers::{BuildpackLayers, LabelLayer, LabelStore};
pub use cache_metadata::CacheMetadata;
pub use lifecycle_metadata::{LabelRunImage, LabelStack, LifecycleMetadata};
pub use project_metadata::{LabelSource, ProjectMetadataLabel};

/// `io.buildpacks.lifecycle.metadata`.
pub const LIFECYCLE_METADATA: &str = "io.buildpacks.lifecycle.metadata";
/// `io.buildpacks.build.metadata`.
pub const BUILD_METADATA: &str = "io.buildpacks.build.metadata";
/// `io.buildpacks.project.metadata`.
pub const PROJECT_METADATA: &str = "io.buildpacks.project.metadata";
/// `io.buildpacks.lifecycle.cache.metadata`, also the volume cache's metadata file name.
pub const CACHE_METADATA: &str = "io.buildpacks.lifecycle.cache.metadata";

/// Go decodes `null` into an empty slice or map; serde would refuse it.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let value: Option<T> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}
