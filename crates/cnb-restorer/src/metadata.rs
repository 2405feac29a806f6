//! Restoring `store.toml` and layer metadata (Go steps 1–3 of spec-matrix.md §5.3): the
//! previous image's metadata decides which launch layers come back; the cache metadata which
//! cache layers do. Restored tomls carry `[metadata]` only: a buildpack must set `[types]`
//! again, or the layer is ignored.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use cnb_api::PlatformApi;
use cnb_files::TomlFile;
use cnb_files::analyzed::{BuildpackLayersMetadata, LayerMetadata, LayersMetadata};
use cnb_files::group::GroupElement;
use cnb_files::labels::CacheMetadata;
use cnb_files::layer::LayerContentMetadata;
use cnb_layers::escape_id;

use crate::Error;

/// The sha each restored layer was recorded with, by buildpack ID and layer name.
pub(crate) type Shas = BTreeMap<(String, String), String>;

/// Writes `store.toml` for each group buildpack the previous image has one for.
pub(crate) fn restore_stores(
    layers_dir: &Path,
    group: &[GroupElement],
    app: &LayersMetadata,
) -> Result<(), Error> {
    for buildpack in group {
        let Some(store) = app
            .buildpack(&buildpack.id)
            .and_then(|bp| bp.store.as_ref())
        else {
            continue;
        };
        let dir = layers_dir.join(escape_id(&buildpack.id));
        fs::create_dir_all(&dir).map_err(Error::write(&dir))?;
        let path = dir.join("store.toml");
        store.write(&path).map_err(Error::file(&path))?;
    }
    Ok(())
}

/// Writes the layer tomls the restore matrix brings back, for each group buildpack.
pub(crate) fn restore_layer_metadata(
    layers_dir: &Path,
    api: PlatformApi,
    group: &[GroupElement],
    app: &LayersMetadata,
    cache: &CacheMetadata,
) -> Result<Shas, Error> {
    let mut shas = Shas::new();
    for buildpack in group {
        let id = &buildpack.id;
        let dir = layers_dir.join(escape_id(id));
        let app_layers = app
            .buildpack(id)
            .map(|bp| bp.layers.clone())
            .unwrap_or_default();
        let cached_layers = cache
            .buildpack(id)
            .map(|bp| BuildpackLayersMetadata::from(bp).layers)
            .unwrap_or_default();
        for (name, layer) in &app_layers {
            let identifier = format!("{id}:{name}");
            if !layer.launch {
                tracing::debug!(
                    "Not restoring metadata for \"{identifier}\", marked as launch=false"
                );
                continue;
            }
            if layer.build && !layer.cache {
                tracing::debug!(
                    "Not restoring metadata for \"{identifier}\", marked as build=true, cache=false"
                );
                continue;
            }
            if layer.cache && !cached_layers.get(name).is_some_and(|cached| cached.cache) {
                tracing::debug!(
                    "Not restoring metadata for \"{identifier}\", marked as cache=true, but not found in cache"
                );
                continue;
            }
            tracing::info!("Restoring metadata for \"{identifier}\" from app image");
            write_layer_toml(&dir, name, layer)?;
            shas.insert((id.clone(), name.clone()), layer.sha.clone());
        }
        for (name, layer) in &cached_layers {
            let identifier = format!("{id}:{name}");
            if !layer.cache {
                tracing::debug!("Not restoring \"{identifier}\" from cache, marked as cache=false");
                continue;
            }
            if layer.launch
                && (app_layers.contains_key(name) || !api.restores_launch_cache_layers_from_cache())
            {
                tracing::debug!("Not restoring \"{identifier}\" from cache, marked as launch=true");
                continue;
            }
            tracing::info!("Restoring metadata for \"{identifier}\" from cache");
            write_layer_toml(&dir, name, layer)?;
            shas.insert((id.clone(), name.clone()), layer.sha.clone());
        }
    }
    Ok(shas)
}

/// `<dir>/<name>.toml` with the layer's `[metadata]` and no `[types]`.
fn write_layer_toml(dir: &Path, name: &str, layer: &LayerMetadata) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(Error::write(dir))?;
    let path = dir.join(format!("{name}.toml"));
    let content = LayerContentMetadata {
        types: None,
        metadata: layer.metadata.clone(),
    };
    content.write(&path).map_err(Error::file(&path))
}
