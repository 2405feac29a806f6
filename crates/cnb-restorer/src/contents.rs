//! Restoring cached contents (Go step 4 of spec-matrix.md §5.3) and layer SBOMs. Contents
//! come only from the cache: a restored cache=true layer whose recorded sha differs from the
//! cache's is removed; otherwise its tar is extracted. A cache entry that cannot be read or
//! extracted is skipped with a warning, and the layer's toml and directory are removed too,
//! so that metadata and contents come back together or not at all.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use cnb_cache::{Cache, restore_layer};
use cnb_files::group::GroupElement;
use cnb_layers::{BuildpackLayers, Layer, escape_id};

use crate::Error;
use crate::metadata::Shas;

/// Extracts the cached contents of each group buildpack's cache=true layers under `root`.
pub(crate) fn restore_contents(
    layers_dir: &Path,
    root: &Path,
    group: &[GroupElement],
    cache: &dyn Cache,
    shas: &Shas,
) -> Result<(), Error> {
    for buildpack in group {
        let id = &buildpack.id;
        let Some(cached) = cache.metadata().buildpack(id) else {
            continue;
        };
        let layers = BuildpackLayers::read(layers_dir, id).map_err(Error::ReadLayers)?;
        for layer in layers.layers() {
            let Some(cached_layer) = cached.layers.get(layer.name()) else {
                continue;
            };
            if !cached_layer.cache || !layer.toml_path().is_file() {
                continue;
            }
            let recorded = shas
                .get(&(id.clone(), layer.name().to_owned()))
                .map_or("", String::as_str);
            if recorded != cached_layer.sha {
                tracing::info!("Removing \"{}\", wrong sha", layer.identifier());
                tracing::debug!(
                    "Layer sha: \"{recorded}\", cache sha: \"{}\"",
                    cached_layer.sha
                );
                remove_layer(layer)?;
                continue;
            }
            tracing::info!("Restoring data for \"{}\" from cache", layer.identifier());
            if let Err(error) = restore_layer(cache, &cached_layer.sha, root) {
                tracing::warn!(
                    "Skipping restore for layer {}: {}",
                    layer.identifier(),
                    cnb_api::one_line(&error)
                );
                remove_layer(layer)?;
            }
        }
    }
    Ok(())
}

/// Extracts the cache's SBOM layer, then copies `<layers>/sbom/{cache,launch}/<bp>/<layer>/
/// sbom.*` to `<layers>/<bp>/<layer>.sbom.*` for group buildpacks with a layers directory,
/// and removes `<layers>/sbom`.
pub(crate) fn restore_sboms(
    layers_dir: &Path,
    root: &Path,
    group: &[GroupElement],
    cache: Option<&dyn Cache>,
) -> Result<(), Error> {
    if let Some(cache) = cache {
        let sha = &cache.metadata().sbom.sha;
        if !sha.is_empty() {
            tracing::info!("Restoring data for SBOM from cache");
            if let Err(error) = restore_layer(cache, sha, root) {
                tracing::warn!(
                    "Skipping restore for the SBOM layer: {}",
                    cnb_api::one_line(&error)
                );
            }
        }
    }
    let sbom_dir = layers_dir.join("sbom");
    for kind in ["cache", "launch"] {
        for buildpack in group {
            let escaped = escape_id(&buildpack.id);
            let destination = layers_dir.join(&escaped);
            if !destination.is_dir() {
                continue;
            }
            for (layer, file, path) in sbom_files(&sbom_dir.join(kind).join(&escaped)) {
                let target = destination.join(format!("{layer}.{file}"));
                fs::copy(&path, &target).map_err(Error::write(&target))?;
            }
        }
    }
    match fs::remove_dir_all(&sbom_dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(Error::Write {
            path: sbom_dir,
            source: error,
        }),
        _ => Ok(()),
    }
}

/// `(layer, file name, path)` of each `<dir>/<layer>/sbom.*json` regular file (Go's pattern).
fn sbom_files(dir: &Path) -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(layers) = fs::read_dir(dir) else {
        return found;
    };
    for layer in layers.flatten() {
        let Ok(files) = fs::read_dir(layer.path()) else {
            continue;
        };
        let layer_name = layer.file_name().to_string_lossy().into_owned();
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let is_file = file.file_type().is_ok_and(|kind| kind.is_file());
            if is_file && name.starts_with("sbom.") && name.ends_with("json") {
                found.push((layer_name.clone(), name, file.path()));
            }
        }
    }
    found.sort();
    found
}

/// Removes a layer's toml and directory.
fn remove_layer(layer: &Layer) -> Result<(), Error> {
    for (path, result) in [
        (layer.toml_path(), fs::remove_file(layer.toml_path())),
        (layer.path().to_owned(), fs::remove_dir_all(layer.path())),
    ] {
        match result {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(Error::Write {
                    path,
                    source: error,
                });
            }
            _ => {}
        }
    }
    Ok(())
}
