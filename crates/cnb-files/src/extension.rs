//! `extension.toml`, the image extension descriptor: like `buildpack.toml` without an order.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::buildpack::{ModuleInfo, Target};

/// `extension.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDescriptor {
    /// `api`: the Buildpack API, checked with `cnb_api::check_buildpack_api`.
    pub api: String,
    /// `[extension]`.
    pub extension: ModuleInfo,
    /// `[[targets]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `[metadata]`: extension-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}

impl TomlFile for ExtensionDescriptor {
    const FILE: &'static str = "extension.toml";
}
