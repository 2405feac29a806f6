//! `plan.toml`: the detector's resolved plan, one entry per dependency name with its providers
//! and all its requirements. Read by the extender and the builder.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::build_plan::Require;

/// `plan.toml`: `[[entries]]` (possibly none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// `[[entries]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<PlanEntry>,
}

impl TomlFile for Plan {
    const FILE: &'static str = "plan.toml";
}

/// One dependency: `[[entries.providers]]` and `[[entries.requires]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    /// `[[entries.providers]]`.
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// `[[entries.requires]]`.
    #[serde(default)]
    pub requires: Vec<Require>,
}

/// A provider: `id`, `version`, `extension?` (absent means a buildpack).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `extension`: whether the provider is an image extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<bool>,
}

impl Provider {
    /// Whether the provider is an image extension.
    pub fn is_extension(&self) -> bool {
        self.extension.unwrap_or(false)
    }
}
