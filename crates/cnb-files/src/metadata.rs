//! `<layers>/config/metadata.toml`: the build's outcome, written by the builder and read by the
//! exporter (which turns it into the config layer and the build metadata label) and the
//! launcher.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::bom::BomEntry;
use crate::group::GroupElement;
use crate::launch::{Command, Label, Slice};

/// `metadata.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildMetadata {
    /// `buildpack-default-process-type`: the last buildpack-declared default.
    #[serde(
        rename = "buildpack-default-process-type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub buildpack_default_process_type: Option<String>,
    /// `[[bom]]` (deprecated; Platform API < 0.9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bom: Vec<BomEntry>,
    /// `[[buildpacks]]`: the group's buildpacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildpacks: Vec<GroupElement>,
    /// `[[extensions]]`: the group's extensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<GroupElement>,
    /// `[[labels]]`: buildpack-provided image labels (Go keeps them here, not in the label).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// `[[processes]]`: every buildpack's processes, sorted by type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Process>,
    /// `[[slices]]`: every buildpack's slices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<Slice>,
}

impl TomlFile for BuildMetadata {
    const FILE: &'static str = "metadata.toml";
}

/// A `[[processes]]` entry of `metadata.toml`. Go always writes `direct` and `buildpack-id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// `type`.
    pub r#type: String,
    /// `command`: an array from Platform API 0.10 on, a string before.
    pub command: Command,
    /// `args`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// `direct`.
    #[serde(default)]
    pub direct: bool,
    /// `default` (Go drops it when merging processes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// `buildpack-id`: the contributing buildpack.
    #[serde(rename = "buildpack-id", default)]
    pub buildpack_id: String,
    /// `working-dir`.
    #[serde(
        rename = "working-dir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// `exec-env` (Platform API 0.15): absent means `["*"]`.
    #[serde(rename = "exec-env", default, skip_serializing_if = "Option::is_none")]
    pub exec_env: Option<Vec<String>>,
}
