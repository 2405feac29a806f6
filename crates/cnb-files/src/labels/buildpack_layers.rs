//! A buildpack's layers in JSON form, shared by the lifecycle and cache metadata labels:
//! `{key, version, layers: {<name>: {sha, data, build, launch, cache}}, store?}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyzed::{BuildpackLayersMetadata, LayerMetadata};
use crate::store::Store;
use crate::value::{json_to_table, table_to_object};

/// A buildpack's entry in `buildpacks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildpackLayers {
    /// `key`: the buildpack ID.
    #[serde(default)]
    pub key: String,
    /// `version`.
    #[serde(default)]
    pub version: String,
    /// `layers`, by name.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub layers: BTreeMap<String, LabelLayer>,
    /// `store`: the buildpack's `store.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<LabelStore>,
}

/// A layer: `sha`, `data` (its `[metadata]`, `null` when none), `build`, `launch`, `cache`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelLayer {
    /// `sha`.
    #[serde(default)]
    pub sha: String,
    /// `data`.
    #[serde(default)]
    pub data: serde_json::Value,
    /// `build`.
    #[serde(default)]
    pub build: bool,
    /// `launch`.
    #[serde(default)]
    pub launch: bool,
    /// `cache`.
    #[serde(default)]
    pub cache: bool,
}

/// `store`: `{metadata}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelStore {
    /// `metadata` (`null` when none, as Go writes it).
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// A `metadata` table as label `data`; `null` when there is none, and when it nests deeper than
/// [`MAX_DATA_DEPTH`](crate::value::MAX_DATA_DEPTH) (dotted keys in a `<layer>.toml` can build
/// any depth): such data would not be restored anyway, and past 128 levels no JSON reader of
/// ours could read the label back (found by fuzzing).
fn table_to_json(table: Option<&toml::Table>) -> serde_json::Value {
    table
        .map(|table| serde_json::Value::Object(table_to_object(table)))
        .filter(|json| crate::value::json_to_table(json).is_some())
        .unwrap_or(serde_json::Value::Null)
}

impl From<&BuildpackLayersMetadata> for BuildpackLayers {
    fn from(toml: &BuildpackLayersMetadata) -> Self {
        let layers = toml.layers.iter().map(|(name, layer)| {
            let json = LabelLayer {
                sha: layer.sha.clone(),
                data: table_to_json(layer.metadata.as_ref()),
                build: layer.build,
                launch: layer.launch,
                cache: layer.cache,
            };
            (name.clone(), json)
        });
        Self {
            key: toml.key.clone(),
            version: toml.version.clone(),
            layers: layers.collect(),
            store: toml.store.as_ref().map(|store| LabelStore {
                metadata: table_to_json(store.metadata.as_ref()),
            }),
        }
    }
}

impl From<&BuildpackLayers> for BuildpackLayersMetadata {
    fn from(json: &BuildpackLayers) -> Self {
        let layers = json.layers.iter().map(|(name, layer)| {
            let toml = LayerMetadata {
                sha: layer.sha.clone(),
                metadata: json_to_table(&layer.data),
                build: layer.build,
                launch: layer.launch,
                cache: layer.cache,
            };
            (name.clone(), toml)
        });
        Self {
            key: json.key.clone(),
            version: json.version.clone(),
            layers: layers.collect(),
            store: json.store.as_ref().map(|store| Store {
                metadata: json_to_table(&store.metadata),
            }),
        }
    }
}
