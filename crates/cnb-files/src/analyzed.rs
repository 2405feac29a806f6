//! `analyzed.toml`: the previous image, the run image (with its target) and the build image,
//! written by the analyzer and updated by the detector and restorer. `[metadata]` is the
//! previous image's lifecycle label in TOML form (the keys differ from the JSON label:
//! `run-image`/`top-layer`/`metadata` against `runImage`/`topLayer`/`data`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::stack::Stack;
use crate::store::Store;

/// `analyzed.toml`. Go always writes `[metadata]` with its `config`, `launcher`,
/// `process-types` and `run-image` tables, so those are plain fields here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analyzed {
    /// `[image]`: the previous image, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageIdentifier>,
    /// `[build-image]`: recorded for the restorer when extensions extend the build image.
    #[serde(
        rename = "build-image",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub build_image: Option<ImageIdentifier>,
    /// `[metadata]`: the previous image's layers.
    #[serde(default)]
    pub metadata: LayersMetadata,
    /// `[run-image]`.
    #[serde(rename = "run-image", default, skip_serializing_if = "Option::is_none")]
    pub run_image: Option<RunImage>,
}

impl TomlFile for Analyzed {
    const FILE: &'static str = "analyzed.toml";
}

impl Analyzed {
    /// The previous image reference, empty when there is none.
    pub fn previous_image_ref(&self) -> &str {
        self.image
            .as_ref()
            .map_or("", |image| image.reference.as_str())
    }

    /// The run image reference, empty when unknown.
    pub fn run_image_ref(&self) -> &str {
        self.run_image
            .as_ref()
            .map_or("", |run| run.reference.as_str())
    }
}

/// `[image]` or `[build-image]`: `reference` (a digest reference, a daemon image ID, or a
/// layout `path@sha256:…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageIdentifier {
    /// `reference`.
    #[serde(default)]
    pub reference: String,
}

/// `[run-image]`: `reference`, `image?`, `extend?`, `[run-image.target]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImage {
    /// `reference`.
    #[serde(default)]
    pub reference: String,
    /// `image`: the name the platform or an extension gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `extend`: whether the extender extends the run image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<bool>,
    /// `[run-image.target]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetMetadata>,
}

/// A base image's target: `id?`, `os`, `arch`, `arch-variant?` (Go's key; the spec says
/// `variant`), `[distro]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetMetadata {
    /// `id`: `io.buildpacks.base.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `os`.
    #[serde(default)]
    pub os: String,
    /// `arch`.
    #[serde(default)]
    pub arch: String,
    /// `arch-variant`.
    #[serde(
        rename = "arch-variant",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arch_variant: Option<String>,
    /// `[distro]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<OsDistro>,
}

impl TargetMetadata {
    /// The target a base image describes (platform.md › Target Data; Go
    /// `GetTargetMetadata`): `os`, `architecture` and `variant` from its config, the target ID
    /// and distribution from its `io.buildpacks.base.*` labels (`label` looks one up); the
    /// distro is set when either distro label is.
    pub fn of_image<'a>(
        os: &str,
        arch: &str,
        variant: Option<&str>,
        label: impl Fn(&str) -> Option<&'a str>,
    ) -> Self {
        use crate::labels::{DISTRO_NAME, DISTRO_VERSION, TARGET_ID};
        let name = label(DISTRO_NAME);
        let version = label(DISTRO_VERSION);
        let distro = (name.is_some() || version.is_some()).then(|| OsDistro {
            name: name.unwrap_or_default().to_owned(),
            version: version.unwrap_or_default().to_owned(),
        });
        Self {
            id: label(TARGET_ID).map(str::to_owned),
            os: os.to_owned(),
            arch: arch.to_owned(),
            arch_variant: variant
                .filter(|variant| !variant.is_empty())
                .map(str::to_owned),
            distro,
        }
    }
}

/// `[run-image.target.distro]`: `name`, `version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsDistro {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `version`.
    #[serde(default)]
    pub version: String,
}

/// `[metadata]`: the lifecycle label of the previous image, in TOML form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayersMetadata {
    /// `[[metadata.app]]`: one per app slice layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app: Vec<LayerSha>,
    /// `[metadata.sbom]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<LayerSha>,
    /// `[[metadata.buildpacks]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildpacks: Vec<BuildpackLayersMetadata>,
    /// `[metadata.config]`.
    #[serde(default)]
    pub config: LayerSha,
    /// `[metadata.launcher]`.
    #[serde(default)]
    pub launcher: LayerSha,
    /// `[metadata.process-types]`.
    #[serde(rename = "process-types", default)]
    pub process_types: LayerSha,
    /// `[metadata.run-image]`.
    #[serde(rename = "run-image", default)]
    pub run_image: RunImageForRebase,
    /// `[metadata.stack]` (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
}

impl LayersMetadata {
    /// The entry of buildpack `id`, if any.
    pub fn buildpack(&self, id: &str) -> Option<&BuildpackLayersMetadata> {
        self.buildpacks.iter().find(|buildpack| buildpack.key == id)
    }
}

/// A layer known by its diffID: `sha` (same key in TOML and JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSha {
    /// `sha`: `sha256:…` of the uncompressed layer.
    #[serde(default)]
    pub sha: String,
}

/// `[metadata.run-image]`: `top-layer`, `reference`, `image?`, `mirrors?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImageForRebase {
    /// `top-layer`: diffID of the run image's top layer.
    #[serde(rename = "top-layer", default)]
    pub top_layer: String,
    /// `reference`.
    #[serde(default)]
    pub reference: String,
    /// `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `mirrors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirrors: Option<Vec<String>>,
}

/// A buildpack's layers: `key` (the buildpack ID), `version`, `layers`, `store?`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildpackLayersMetadata {
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `version`.
    #[serde(default)]
    pub version: String,
    /// `layers`, by name.
    #[serde(default)]
    pub layers: BTreeMap<String, LayerMetadata>,
    /// `store`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<Store>,
}

/// A layer: `sha`, `metadata?` (its `<layer>.toml` `[metadata]`), and the three flags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerMetadata {
    /// `sha`.
    #[serde(default)]
    pub sha: String,
    /// `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_base_images_target_comes_from_its_config_and_labels() {
        let labels = BTreeMap::from([
            ("io.buildpacks.base.distro.name", "ubuntu"),
            ("io.buildpacks.base.id", "my-target"),
        ]);
        let target =
            TargetMetadata::of_image("linux", "arm64", Some("v8"), |key| labels.get(key).copied());
        assert_eq!(target.os, "linux");
        assert_eq!(target.arch, "arm64");
        assert_eq!(target.arch_variant.as_deref(), Some("v8"));
        assert_eq!(target.id.as_deref(), Some("my-target"));
        let distro = target.distro.unwrap();
        assert_eq!(
            (distro.name.as_str(), distro.version.as_str()),
            ("ubuntu", "")
        );

        let bare = TargetMetadata::of_image("linux", "amd64", Some(""), |_| None);
        assert_eq!(
            (bare.distro, bare.arch_variant, bare.id),
            (None, None, None)
        );
    }
}
