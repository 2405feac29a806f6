//! `store.toml`: buildpack data kept across builds in the image label (`buildpacks[].store`)
//! and handed back by the restorer.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `store.toml`: `[metadata]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Store {
    /// `[metadata]`: buildpack-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}

impl TomlFile for Store {
    const FILE: &'static str = "store.toml";
}
