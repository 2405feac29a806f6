//! `<layers>/<buildpack>/<layer>.toml`: a layer's `[types]` and `[metadata]`. Buildpacks write
//! it; the restorer writes back `[metadata]` alone.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result, TomlFile};

/// Layer content metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerContentMetadata {
    /// `[types]`: absent in a restored file, which the buildpack must fill in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<LayerTypes>,
    /// `[metadata]`: buildpack-specific data (Buildpack API 0.12 puts `exec-env` here; Go
    /// ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}

impl TomlFile for LayerContentMetadata {
    const FILE: &'static str = "<layer>.toml";

    /// Parses the file, refusing top-level `launch`, `build` or `cache` keys as Go does
    /// ([`Error::MisplacedLayerFlags`]).
    fn parse(text: &str, path: &Path) -> Result<Self> {
        let parse_error = |source| Error::Parse {
            path: path.to_owned(),
            source,
        };
        // Parsed twice: the typed parse keeps line numbers in its errors.
        let layer = toml::from_str(text).map_err(parse_error)?;
        let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        if has_top_level_flags(&table) {
            return Err(Error::MisplacedLayerFlags {
                path: path.to_owned(),
            });
        }
        Ok(layer)
    }
}

impl LayerContentMetadata {
    /// Whether `[types] launch = true`.
    pub fn launch(&self) -> bool {
        self.types
            .as_ref()
            .is_some_and(|types| types.launch == Some(true))
    }

    /// Whether `[types] build = true`.
    pub fn build(&self) -> bool {
        self.types
            .as_ref()
            .is_some_and(|types| types.build == Some(true))
    }

    /// Whether `[types] cache = true`.
    pub fn cache(&self) -> bool {
        self.types
            .as_ref()
            .is_some_and(|types| types.cache == Some(true))
    }
}

/// Whether a parsed `<layer>.toml` sets any of the flags at the top level instead of under
/// `[types]`.
pub fn has_top_level_flags(table: &toml::Table) -> bool {
    ["launch", "build", "cache"]
        .iter()
        .any(|key| table.contains_key(*key))
}

/// `[types]`: each flag absent means `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerTypes {
    /// `launch`: export the layer in the app image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<bool>,
    /// `build`: expose the layer to later buildpacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<bool>,
    /// `cache`: keep the layer in the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_top_level_flags_with_the_path() {
        let path = Path::new("/layers/bp/l.toml");
        let err = LayerContentMetadata::parse("launch = true\n", path).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the launch, cache and build flags should be in the types table of /layers/bp/l.toml"
        );
    }

    #[test]
    fn reads_flags_from_types() {
        let layer = LayerContentMetadata::parse(
            "[types]\nlaunch = true\ncache = false\n[metadata]\nv = 1\n",
            Path::new("l.toml"),
        )
        .unwrap();
        assert!(layer.launch() && !layer.cache() && !layer.build());
        let restored = LayerContentMetadata {
            types: None,
            metadata: layer.metadata,
        };
        assert_eq!(restored.to_toml().unwrap(), "[metadata]\nv = 1\n");
    }
}
