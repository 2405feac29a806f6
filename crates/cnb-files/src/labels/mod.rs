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
/// `io.buildpacks.base.id`: a base image's target ID.
pub const TARGET_ID: &str = "io.buildpacks.base.id";
/// `io.buildpacks.base.distro.name`.
pub const DISTRO_NAME: &str = "io.buildpacks.base.distro.name";
/// `io.buildpacks.base.distro.version`.
pub const DISTRO_VERSION: &str = "io.buildpacks.base.distro.version";
/// `io.buildpacks.rebasable`: whether an image's layers may move to a new base.
pub const REBASABLE: &str = "io.buildpacks.rebasable";

/// Go decodes `null` into an empty slice or map; serde would refuse it.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let value: Option<T> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}
