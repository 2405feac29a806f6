//! `build.toml`, written by a buildpack's `bin/build`: unmet plan entries and the deprecated
//! `[[bom]]`.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::bom::BomEntry;

/// `build.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildToml {
    /// `[[bom]]` (deprecated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bom: Vec<BomEntry>,
    /// `[[unmet]]`: plan entries the buildpack left for later buildpacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<Unmet>,
}

impl TomlFile for BuildToml {
    const FILE: &'static str = "build.toml";
}

/// An `[[unmet]]` entry: `name`, which must be in the buildpack's plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmet {
    /// `name`.
    pub name: String,
}
