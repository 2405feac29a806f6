//! `io.buildpacks.lifecycle.metadata`: the diffIDs of every exported layer, the buildpacks'
//! layer metadata and the run image, for layer reuse and rebase. Field order and
//! always-written keys follow Go's encoding.

use serde::{Deserialize, Serialize};

use crate::JsonLabel;
use crate::analyzed::{self, LayerSha};
use crate::labels::{BuildpackLayers, LIFECYCLE_METADATA};
use crate::run::RunImageForExport;

/// The lifecycle metadata label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LifecycleMetadata {
    /// `app`: one per app slice layer.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub app: Vec<LayerSha>,
    /// `sbom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<LayerSha>,
    /// `buildpacks`: launch layers per buildpack.
    #[serde(default, deserialize_with = "crate::labels::null_as_default")]
    pub buildpacks: Vec<BuildpackLayers>,
    /// `config`.
    #[serde(default)]
    pub config: LayerSha,
    /// `launcher`.
    #[serde(default)]
    pub launcher: LayerSha,
    /// `process-types`.
    #[serde(rename = "process-types", default)]
    pub process_types: LayerSha,
    /// `runImage`.
    #[serde(rename = "runImage", default)]
    pub run_image: LabelRunImage,
    /// `stack` (deprecated; Go still writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<LabelStack>,
}

impl JsonLabel for LifecycleMetadata {
    const LABEL: &'static str = LIFECYCLE_METADATA;
}

/// `runImage`: `topLayer`, `reference`, `image?`, `mirrors?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRunImage {
    /// `topLayer`.
    #[serde(rename = "topLayer", default)]
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

/// `stack`: `runImage {image?, mirrors?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelStack {
    /// `runImage`.
    #[serde(rename = "runImage", default)]
    pub run_image: RunImageForExport,
}

impl From<&analyzed::LayersMetadata> for LifecycleMetadata {
    fn from(toml: &analyzed::LayersMetadata) -> Self {
        let run = &toml.run_image;
        Self {
            app: toml.app.clone(),
            sbom: toml.sbom.clone(),
            buildpacks: toml.buildpacks.iter().map(BuildpackLayers::from).collect(),
            config: toml.config.clone(),
            launcher: toml.launcher.clone(),
            process_types: toml.process_types.clone(),
            run_image: LabelRunImage {
                top_layer: run.top_layer.clone(),
                reference: run.reference.clone(),
                image: run.image.clone(),
                mirrors: run.mirrors.clone(),
            },
            stack: toml.stack.as_ref().map(|stack| LabelStack {
                run_image: stack.run_image.clone(),
            }),
        }
    }
}

impl From<&LifecycleMetadata> for analyzed::LayersMetadata {
    fn from(label: &LifecycleMetadata) -> Self {
        let run = &label.run_image;
        Self {
            app: label.app.clone(),
            sbom: label.sbom.clone(),
            buildpacks: label
                .buildpacks
                .iter()
                .map(analyzed::BuildpackLayersMetadata::from)
                .collect(),
            config: label.config.clone(),
            launcher: label.launcher.clone(),
            process_types: label.process_types.clone(),
            run_image: analyzed::RunImageForRebase {
                top_layer: run.top_layer.clone(),
                reference: run.reference.clone(),
                image: run.image.clone(),
                mirrors: run.mirrors.clone(),
            },
            stack: label.stack.as_ref().map(|stack| crate::stack::Stack {
                run_image: stack.run_image.clone(),
            }),
        }
    }
}
