//! `group.toml`: the buildpacks and image extensions that passed detection, written by the
//! detector and read by the restorer, extender, builder and exporter.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `group.toml`: `[[group]]` buildpacks and `[[group-extensions]]` extensions, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// `[[group]]`: the buildpacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<GroupElement>,
    /// `[[group-extensions]]`: the image extensions (always optional, so the key is not written).
    #[serde(
        rename = "group-extensions",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_extensions: Vec<GroupElement>,
}

impl TomlFile for Group {
    const FILE: &'static str = "group.toml";
}

/// A buildpack or extension in `group.toml`, and in `metadata.toml` `[[buildpacks]]` /
/// `[[extensions]]`: `id`, `version`, `api`, `homepage?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupElement {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `api`: the Buildpack API it implements (the spec requires it; Go omits it when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

impl GroupElement {
    /// `id@version`, the form Go prints.
    pub fn display_name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}
