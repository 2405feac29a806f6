//! The layer swap itself, on values: the new config and layer list from the app image, the
//! new base and the label's top layer, and the label sync. Nothing here touches a store.

use cnb_image::{Descriptor, History, Image, ImageConfig};

use crate::{Error, Result};

const STACK_PREFIX: &str = "io.buildpacks.stack.";
const BASE_PREFIX: &str = "io.buildpacks.base.";
const OS_VERSION: &str = "os.version";

/// The rebased image before it is written: its config and its layers, base first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Swapped {
    /// The app's config with the new base's layers, history and platform.
    pub(crate) config: ImageConfig,
    /// The new base's layer descriptors, then the app's above the old top layer.
    pub(crate) layers: Vec<Descriptor>,
}

/// Replaces the layers of `app` up to and including `top_layer` (a diffID) with those of
/// `new_base`. The config stays the app's, except the diffIDs, the platform (os, arch,
/// variant, os.version come from the new base, as go-containerregistry's rebase does) and
/// the history (the new base's, then the app's entries above the old top layer; dropped when
/// either history does not line up with its layers).
pub(crate) fn swap_base(app: &Image, new_base: &Image, top_layer: &str) -> Result<Swapped> {
    let app_name = app.manifest.reference.to_string();
    let app_ids = layer_ids(app, &app_name)?;
    let base_ids = layer_ids(new_base, &new_base.manifest.reference.to_string())?;
    if base_ids.is_empty() {
        return Err(Error::EmptyRunImage {
            reference: new_base.manifest.reference.to_string(),
        });
    }
    let Some(top) = app_ids.iter().position(|id| id.to_string() == top_layer) else {
        return Err(Error::TopLayerNotFound {
            reference: app_name,
            top_layer: top_layer.to_owned(),
        });
    };
    let mut config = app.config.clone();
    config.rootfs.diff_ids = base_ids
        .iter()
        .chain(&app_ids[top + 1..])
        .copied()
        .collect();
    config
        .architecture
        .clone_from(&new_base.config.architecture);
    config.os.clone_from(&new_base.config.os);
    config.variant.clone_from(&new_base.config.variant);
    match new_base.config.other.get(OS_VERSION) {
        Some(version) => config.other.insert(OS_VERSION.to_owned(), version.clone()),
        None => config.other.remove(OS_VERSION),
    };
    config.history = splice_history(&app.config, &new_base.config, top).unwrap_or_default();
    let layers = new_base
        .manifest
        .manifest
        .layers
        .iter()
        .chain(&app.manifest.manifest.layers[top + 1..])
        .cloned()
        .collect();
    Ok(Swapped { config, layers })
}

fn layer_ids(image: &Image, name: &str) -> Result<Vec<cnb_image::Digest>> {
    let ids = &image.config.rootfs.diff_ids;
    let layers = image.manifest.manifest.layers.len();
    if ids.len() != layers {
        return Err(Error::LayerCountMismatch {
            reference: name.to_owned(),
            layers,
            diff_ids: ids.len(),
        });
    }
    Ok(ids.clone())
}

/// The new base's history, then the app's entries after the one for layer `top`; `None`
/// when a history does not have exactly one non-empty entry per layer.
fn splice_history(app: &ImageConfig, new_base: &ImageConfig, top: usize) -> Option<Vec<History>> {
    let lines_up = |config: &ImageConfig| {
        config
            .history
            .iter()
            .filter(|entry| !entry.empty_layer)
            .count()
            == config.rootfs.diff_ids.len()
    };
    if app.history.is_empty() || !lines_up(app) || !lines_up(new_base) {
        return None;
    }
    let top_entry = app
        .history
        .iter()
        .enumerate()
        .filter(|(_, entry)| !entry.empty_layer)
        .nth(top)
        .map(|(index, _)| index)?;
    Some(
        new_base
            .history
            .iter()
            .chain(&app.history[top_entry + 1..])
            .cloned()
            .collect(),
    )
}

/// Drops the `io.buildpacks.stack.*` labels of `config` (and `io.buildpacks.base.*` when
/// `with_base`) and copies those of `new_base` in their place.
pub(crate) fn sync_labels(config: &mut ImageConfig, new_base: &ImageConfig, with_base: bool) {
    let synced =
        |key: &str| key.starts_with(STACK_PREFIX) || (with_base && key.starts_with(BASE_PREFIX));
    let mut labels = config.labels();
    labels.retain(|key, _| !synced(key));
    for (key, value) in new_base.labels() {
        if synced(&key) {
            labels.insert(key, value);
        }
    }
    config.config.labels = Some(labels);
}

#[cfg(test)]
mod tests;
