//! `system.toml` (Platform API 0.15): buildpacks the detector adds before and after every
//! order group.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `system.toml`: the `[system]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemToml {
    /// `[system]`.
    #[serde(default)]
    pub system: System,
}

impl TomlFile for SystemToml {
    const FILE: &'static str = "system.toml";
}

/// `[system]`: `pre` and `post`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// `[system.pre]`: prepended to each group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<SystemBuildpacks>,
    /// `[system.post]`: appended to each group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<SystemBuildpacks>,
}

impl System {
    /// The `pre` buildpacks, empty when absent.
    pub fn pre_buildpacks(&self) -> &[SystemBuildpack] {
        self.pre.as_ref().map_or(&[], |pre| &pre.buildpacks)
    }

    /// The `post` buildpacks, empty when absent.
    pub fn post_buildpacks(&self) -> &[SystemBuildpack] {
        self.post.as_ref().map_or(&[], |post| &post.buildpacks)
    }
}

/// `[system.pre]` or `[system.post]`: `[[…buildpacks]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemBuildpacks {
    /// `[[system.pre.buildpacks]]` / `[[system.post.buildpacks]]`.
    #[serde(default)]
    pub buildpacks: Vec<SystemBuildpack>,
}

/// A system buildpack: `id`, `version`, `optional?`. The spec defaults `optional` to false;
/// Go ignores it, so every system buildpack is required there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemBuildpack {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `optional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}
