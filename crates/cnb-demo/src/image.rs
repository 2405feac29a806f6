//! An app image as a registry holds it, read with skopeo (an independent reader): its layers
//! named after what the lifecycle put in them (from the `io.buildpacks.lifecycle.metadata`
//! label, matched by diffID), and the run image it sits on.

use std::process::Command;

use serde_json::Value;

use crate::tool::run_quiet;

const METADATA_LABEL: &str = "io.buildpacks.lifecycle.metadata";

/// One layer of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layer {
    /// What it holds: `run image`, `launcher`, `samples/greeting:greeting`, `app`, …
    pub(crate) name: String,
    /// The blob digest.
    pub(crate) digest: String,
    /// The blob size.
    pub(crate) size: u64,
}

/// The parts of an app image the demo shows.
#[derive(Debug, Clone)]
pub(crate) struct AppImage {
    /// The manifest's layers, bottom first.
    pub(crate) layers: Vec<Layer>,
    /// The config blob's digest.
    pub(crate) config_digest: String,
    /// The lifecycle metadata label's `runImage.topLayer` (a diffID).
    pub(crate) run_image_top_layer: String,
    /// The lifecycle metadata label's `runImage.reference`.
    pub(crate) run_image_reference: String,
}

impl AppImage {
    /// Reads `reference` (`host:port/repo:tag` on a plain-HTTP registry).
    pub(crate) fn inspect(reference: &str) -> Result<Self, String> {
        let manifest = skopeo_json(reference, &["--raw"])?;
        let config = skopeo_json(reference, &["--config", "--raw"])?;
        let label = config["config"]["Labels"][METADATA_LABEL]
            .as_str()
            .ok_or_else(|| format!("{reference} has no {METADATA_LABEL} label"))?;
        let metadata: Value = serde_json::from_str(label)
            .map_err(|err| format!("{reference}: {METADATA_LABEL} is not JSON: {err}"))?;
        Self::from_parts(&manifest, &config, &metadata)
            .ok_or_else(|| format!("{reference}: unexpected manifest or config"))
    }

    fn from_parts(manifest: &Value, config: &Value, metadata: &Value) -> Option<Self> {
        let diff_ids = config["rootfs"]["diff_ids"].as_array()?;
        let blobs = manifest["layers"].as_array()?;
        if diff_ids.len() != blobs.len() {
            return None;
        }
        let layers = blobs
            .iter()
            .zip(diff_ids)
            .map(|(blob, diff_id)| {
                Some(Layer {
                    name: layer_name(metadata, diff_id.as_str()?),
                    digest: blob["digest"].as_str()?.to_owned(),
                    size: blob["size"].as_u64()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            layers,
            config_digest: manifest["config"]["digest"].as_str()?.to_owned(),
            run_image_top_layer: metadata["runImage"]["topLayer"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            run_image_reference: metadata["runImage"]["reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// The name of the layer with `diff_id`, from the lifecycle metadata; layers it does not
/// name belong to the run image.
fn layer_name(metadata: &Value, diff_id: &str) -> String {
    let is = |value: &Value| value["sha"].as_str() == Some(diff_id);
    for (key, name) in [
        ("launcher", "launcher"),
        ("config", "lifecycle config"),
        ("process-types", "process types"),
        ("sbom", "sbom"),
    ] {
        if is(&metadata[key]) {
            return name.to_owned();
        }
    }
    if metadata["app"]
        .as_array()
        .is_some_and(|app| app.iter().any(is))
    {
        return "app".to_owned();
    }
    for buildpack in metadata["buildpacks"].as_array().into_iter().flatten() {
        let key = buildpack["key"].as_str().unwrap_or_default();
        for (layer, value) in buildpack["layers"].as_object().into_iter().flatten() {
            if is(value) {
                return format!("{key}:{layer}");
            }
        }
    }
    "run image".to_owned()
}

fn skopeo_json(reference: &str, flags: &[&str]) -> Result<Value, String> {
    let text = run_quiet(
        Command::new("skopeo")
            .args(["inspect", "--tls-verify=false"])
            .args(flags)
            .arg(format!("docker://{reference}")),
    )?;
    serde_json::from_str(&text).map_err(|err| format!("skopeo printed no JSON: {err}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_layers_by_diff_id_from_the_lifecycle_metadata() {
        let manifest = json!({
            "config": {"digest": "sha256:c0"},
            "layers": [
                {"digest": "sha256:b1", "size": 10},
                {"digest": "sha256:b2", "size": 20},
                {"digest": "sha256:b3", "size": 30},
                {"digest": "sha256:b4", "size": 40},
            ]
        });
        let config =
            json!({"rootfs": {"diff_ids": ["sha256:d1", "sha256:d2", "sha256:d3", "sha256:d4"]}});
        let metadata = json!({
            "launcher": {"sha": "sha256:d2"},
            "app": [{"sha": "sha256:d4"}],
            "buildpacks": [{"key": "samples/greeting", "layers": {"greeting": {"sha": "sha256:d3"}}}],
            "runImage": {"topLayer": "sha256:d1", "reference": "r@sha256:00"}
        });
        let image = AppImage::from_parts(&manifest, &config, &metadata).expect("parses");
        let names: Vec<&str> = image.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["run image", "launcher", "samples/greeting:greeting", "app"]
        );
        assert_eq!(image.layers[2].size, 30);
        assert_eq!(image.config_digest, "sha256:c0");
        assert_eq!(image.run_image_top_layer, "sha256:d1");
    }

    #[test]
    fn a_manifest_and_config_that_disagree_are_refused() {
        let manifest = json!({"config": {"digest": "sha256:c0"}, "layers": []});
        let config = json!({"rootfs": {"diff_ids": ["sha256:d1"]}});
        assert!(AppImage::from_parts(&manifest, &config, &json!({})).is_none());
    }
}
