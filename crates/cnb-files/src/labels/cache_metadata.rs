//! `io.buildpacks.lifecycle.cache.metadata`: what the cache holds, as a label on the cache
//! image and as the file `committed/io.buildpacks.lifecycle.cache.metadata` of a volume cache.

use serde::{Deserialize, Serialize};

use crate::JsonLabel;
use crate::analyzed::LayerSha;
use crate::labels::{BuildpackLayers, CACHE_METADATA};

/// The cache metadata: `{sbom: {sha}, buildpacks: [...]}`. Go always writes `sbom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheMetadata {
    /// `sbom`: the cached SBOM layer.
    #[serde(default)]
    pub sbom: LayerSha,
    /// `buildpacks`: cached layers per buildpack.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub buildpacks: Vec<BuildpackLayers>,
}

impl JsonLabel for CacheMetadata {
    const LABEL: &'static str = CACHE_METADATA;
}

impl CacheMetadata {
    /// The entry of buildpack `id`, if any.
    pub fn buildpack(&self, id: &str) -> Option<&BuildpackLayers> {
        self.buildpacks.iter().find(|buildpack| buildpack.key == id)
    }
}
