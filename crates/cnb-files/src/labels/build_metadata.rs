//! `io.buildpacks.build.metadata`: the processes, buildpacks, extensions and launcher of the
//! build, made by the exporter from `metadata.toml`. Go's JSON keys differ from the TOML ones
//! (`buildpackID`), `args` is `null` when absent, and `api` is left out of the buildpacks.

use serde::{Deserialize, Serialize};

use crate::JsonLabel;
use crate::bom::BomEntry;
use crate::group::GroupElement;
use crate::labels::BUILD_METADATA;
use crate::launch::Command;
use crate::metadata::{BuildMetadata, Process};
use crate::value::table_to_object;

/// The build metadata label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildMetadataLabel {
    /// `bom` (Platform API < 0.9 only): the legacy bill of materials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom: Option<serde_json::Value>,
    /// `buildpacks`: the group.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub buildpacks: Vec<LabelModule>,
    /// `extensions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<LabelModule>,
    /// `launcher`.
    #[serde(default)]
    pub launcher: LauncherMetadata,
    /// `processes`.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub processes: Vec<LabelProcess>,
    /// `buildpack-default-process-type`.
    #[serde(
        rename = "buildpack-default-process-type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub buildpack_default_process_type: Option<String>,
}

impl JsonLabel for BuildMetadataLabel {
    const LABEL: &'static str = BUILD_METADATA;
}

impl BuildMetadataLabel {
    /// The label Go derives from `metadata.toml` and the launcher's own metadata. `bom` is
    /// set only when `metadata.toml` has one; at Platform API < 0.9 Go writes it even when
    /// empty, which the caller can do by setting it.
    pub fn from_build_metadata(build: &BuildMetadata, launcher: LauncherMetadata) -> Self {
        let bom = (!build.bom.is_empty())
            .then(|| serde_json::Value::Array(build.bom.iter().map(bom_entry_json).collect()));
        Self {
            bom,
            buildpacks: build.buildpacks.iter().map(LabelModule::from).collect(),
            extensions: build.extensions.iter().map(LabelModule::from).collect(),
            launcher,
            processes: build.processes.iter().map(LabelProcess::from).collect(),
            buildpack_default_process_type: build.buildpack_default_process_type.clone(),
        }
    }
}

fn bom_entry_json(entry: &BomEntry) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    object.insert("name".into(), entry.name.clone().into());
    if let Some(version) = &entry.version {
        object.insert("version".into(), version.clone().into());
    }
    let metadata = entry.metadata.as_ref().map(table_to_object);
    object.insert(
        "metadata".into(),
        metadata.map_or(serde_json::Value::Null, Into::into),
    );
    let buildpack = entry
        .buildpack
        .as_ref()
        .map(LabelModule::from)
        .unwrap_or_default();
    object.insert(
        "buildpack".into(),
        serde_json::to_value(buildpack).unwrap_or_default(),
    );
    serde_json::Value::Object(object)
}

/// A buildpack or extension: `id`, `version`, `homepage?`, plus `api?` and `optional?`, which
/// Go leaves out (the spec lists `api`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelModule {
    /// `id`.
    #[serde(default)]
    pub id: String,
    /// `version`.
    #[serde(default)]
    pub version: String,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// `api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `optional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

impl From<&GroupElement> for LabelModule {
    fn from(element: &GroupElement) -> Self {
        Self {
            id: element.id.clone(),
            version: element.version.clone(),
            homepage: element.homepage.clone(),
            api: None,
            optional: None,
        }
    }
}

/// A process: `type`, `command`, `args` (`null` when absent), `direct`, `default?`,
/// `buildpackID`, `working-dir?`, `exec-env?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelProcess {
    /// `type`.
    pub r#type: String,
    /// `command`: an array from Platform API 0.10 on, a string before.
    pub command: Command,
    /// `args`.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// `direct`.
    #[serde(default)]
    pub direct: bool,
    /// `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// `buildpackID`.
    #[serde(rename = "buildpackID", default)]
    pub buildpack_id: String,
    /// `working-dir`.
    #[serde(
        rename = "working-dir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// `exec-env`.
    #[serde(rename = "exec-env", default, skip_serializing_if = "Option::is_none")]
    pub exec_env: Option<Vec<String>>,
}

impl From<&Process> for LabelProcess {
    fn from(process: &Process) -> Self {
        Self {
            r#type: process.r#type.clone(),
            command: process.command.clone(),
            args: process.args.clone(),
            direct: process.direct,
            default: process.default,
            buildpack_id: process.buildpack_id.clone(),
            working_dir: process.working_dir.clone(),
            exec_env: process.exec_env.clone(),
        }
    }
}

/// `launcher`: `version`, `source.git.{repository, commit}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherMetadata {
    /// `version`.
    #[serde(default)]
    pub version: String,
    /// `source`.
    #[serde(default)]
    pub source: LauncherSource,
}

/// `launcher.source`: `git`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherSource {
    /// `git`.
    #[serde(default)]
    pub git: GitMetadata,
}

/// `launcher.source.git`: `repository`, `commit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitMetadata {
    /// `repository`.
    #[serde(default)]
    pub repository: String,
    /// `commit`.
    #[serde(default)]
    pub commit: String,
}
