//! Who made each layer of an app image, from its `io.buildpacks.lifecycle.metadata` label: the
//! run image's layers (up to `runImage.topLayer`), each buildpack's layers
//! (`buildpacks[].layers[<name>]`), the app slices, the SBOM layer, the launcher, the
//! lifecycle's config layer and the process-types layer. Layers the label does not account
//! for (an image built otherwise, a label that does not parse) have no owner.

use std::fmt;

use cnb_files::JsonLabel;
use cnb_files::labels::LifecycleMetadata;
use cnb_image::{Digest, ImageConfig};

/// Who made a layer. Layers of two images are paired by owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    /// The run image's layer at this position (from 1).
    RunImage(usize),
    /// A buildpack's layer.
    Buildpack {
        /// The buildpack ID.
        id: String,
        /// The layer name.
        layer: String,
    },
    /// An app slice (from 1), of how many.
    App(usize, usize),
    /// The SBOM layer.
    Sbom,
    /// The launcher.
    Launcher,
    /// The lifecycle's config layer (`/cnb/...` metadata).
    Config,
    /// The process-types layer (`/cnb/process`).
    ProcessTypes,
    /// Not in the label: the layer at this position of its image (from 1).
    Unknown(usize),
}

impl Owner {
    /// What pairs this layer with the other image's: the owner, an app slice by position
    /// alone (the other build may have cut more slices).
    pub(crate) fn key(&self) -> Self {
        match self {
            Self::App(index, _) => Self::App(*index, 0),
            other => other.clone(),
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RunImage(index) => write!(f, "run image layer {index}"),
            Self::Buildpack { id, layer } => write!(f, "buildpack {id} layer {layer}"),
            Self::App(_, 1) => f.write_str("app"),
            Self::App(index, count) => write!(f, "app slice {index} of {count}"),
            Self::Sbom => f.write_str("SBOM"),
            Self::Launcher => f.write_str("launcher"),
            Self::Config => f.write_str("lifecycle config"),
            Self::ProcessTypes => f.write_str("process types"),
            Self::Unknown(index) => write!(f, "layer {index}"),
        }
    }
}

/// The owner of each layer of `config`, in layer order.
pub(crate) fn owners(config: &ImageConfig) -> Vec<Owner> {
    let diff_ids = &config.rootfs.diff_ids;
    let metadata = config
        .label(LifecycleMetadata::LABEL)
        .and_then(|text| LifecycleMetadata::from_label(text).ok())
        .unwrap_or_default();
    let named = named_layers(&metadata);
    let top = parse(&metadata.run_image.top_layer)
        .and_then(|top| diff_ids.iter().position(|diff_id| *diff_id == top));
    diff_ids
        .iter()
        .enumerate()
        .map(|(index, diff_id)| match top {
            Some(top) if index <= top => Owner::RunImage(index + 1),
            _ => named
                .iter()
                .find(|(sha, _)| sha == diff_id)
                .map_or(Owner::Unknown(index + 1), |(_, owner)| owner.clone()),
        })
        .collect()
}

/// Every layer the label names, with its owner.
fn named_layers(metadata: &LifecycleMetadata) -> Vec<(Digest, Owner)> {
    let mut named = Vec::new();
    for buildpack in &metadata.buildpacks {
        for (layer, entry) in &buildpack.layers {
            named.push((
                &entry.sha,
                Owner::Buildpack {
                    id: buildpack.key.clone(),
                    layer: layer.clone(),
                },
            ));
        }
    }
    let slices = metadata.app.len();
    for (index, slice) in metadata.app.iter().enumerate() {
        named.push((&slice.sha, Owner::App(index + 1, slices)));
    }
    if let Some(sbom) = &metadata.sbom {
        named.push((&sbom.sha, Owner::Sbom));
    }
    named.push((&metadata.launcher.sha, Owner::Launcher));
    named.push((&metadata.config.sha, Owner::Config));
    named.push((&metadata.process_types.sha, Owner::ProcessTypes));
    named
        .into_iter()
        .filter_map(|(sha, owner)| parse(sha).map(|digest| (digest, owner)))
        .collect()
}

fn parse(sha: &str) -> Option<Digest> {
    sha.parse().ok()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn digest(n: u8) -> Digest {
        Digest::of(&[n])
    }

    #[test]
    fn each_layer_is_named_after_what_the_label_says_made_it() {
        let mut config = ImageConfig::default();
        config.rootfs.diff_ids = (1..=9).map(digest).collect();
        let label = serde_json::json!({
            "runImage": {"topLayer": digest(2).to_string(), "reference": "run"},
            "buildpacks": [{"key": "samples/hello", "version": "1", "layers": {
                "deps": {"sha": digest(3).to_string(), "launch": true},
                "cache-only": {"sha": "", "cache": true}
            }}],
            "app": [{"sha": digest(7).to_string()}],
            "sbom": {"sha": digest(8).to_string()},
            "launcher": {"sha": digest(4).to_string()},
            "config": {"sha": digest(5).to_string()},
            "process-types": {"sha": digest(6).to_string()}
        });
        config.set_label("io.buildpacks.lifecycle.metadata", &label.to_string());
        let names: Vec<String> = owners(&config).iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "run image layer 1",
                "run image layer 2",
                "buildpack samples/hello layer deps",
                "launcher",
                "lifecycle config",
                "process types",
                "app",
                "SBOM",
                "layer 9",
            ]
        );
    }

    #[test]
    fn without_a_label_no_layer_has_an_owner() {
        let mut config = ImageConfig::default();
        config.rootfs.diff_ids = vec![digest(1), digest(2)];
        config.set_label("io.buildpacks.lifecycle.metadata", "not json");
        assert_eq!(owners(&config), [Owner::Unknown(1), Owner::Unknown(2)]);
    }
}
