//! The extended run image, as the exporter reads it: an OCI layout at
//! `<extended>/run/<hex of its manifest digest>/` with `index.json` (one manifest), the
//! manifest (the base image's layers, then the extensions'), the extended config, and the
//! blobs of the new layers only (the base's stay in the registry). It replaces whatever an
//! earlier run left in `<extended>/run`.

use std::path::{Path, PathBuf};

use cnb_image::{Descriptor, Digest, History, ImageConfig, Manifest, MediaType, RuntimeConfig};
use cnb_layout::Layout;

use crate::base::Base;
use crate::error::Error;
use crate::layers::NewLayer;

/// What Go's extender puts in the history of an extension's layer: the instruction and the
/// extension.
fn history_entry(layer: &NewLayer) -> History {
    History {
        created_by: Some(format!(
            "Layer: '{}', Created by extension: {}",
            layer.created_by, layer.extension
        )),
        ..History::default()
    }
}

/// The extended image's config: the base's with the Dockerfiles' runtime config, one history
/// entry per layer (the base's without empty-layer entries, or blank ones when they do not
/// match its layers, as Go normalises them) and the new diffIDs. Its creation time is the zero
/// time, as Go's.
pub(crate) fn extended_config(
    base: &Base,
    runtime: RuntimeConfig,
    author: Option<String>,
    layers: &[NewLayer],
) -> ImageConfig {
    let mut config = base.config.clone();
    config.config = runtime;
    if author.is_some() {
        config.author = author;
    }
    let base_layers = config.rootfs.diff_ids.len();
    let kept: Vec<History> = config
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .cloned()
        .collect();
    config.history = if kept.len() == base_layers {
        kept
    } else {
        vec![History::default(); base_layers]
    };
    config.history.extend(layers.iter().map(history_entry));
    config
        .rootfs
        .diff_ids
        .extend(layers.iter().map(|layer| layer.layer.diff_id));
    config.created = Some("0001-01-01T00:00:00Z".to_owned());
    config
}

/// Writes the extended image under `<extended>/run`; returns its manifest digest and its
/// layout directory.
pub(crate) fn write(
    extended_dir: &Path,
    base: &Base,
    config: &ImageConfig,
    layers: &[NewLayer],
) -> Result<(Digest, PathBuf), Error> {
    let run_dir = extended_dir.join("run");
    let io_error = |source| Error::WriteOutput {
        path: run_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&run_dir).map_err(io_error)?;
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(&run_dir)
        .map_err(io_error)?;
    let layout = Layout::new(staging.path());
    layout.init()?;
    let docker = base.manifest.media_type == Some(MediaType::DockerManifest);
    let config_bytes = config.to_json();
    let config_digest = layout.put_blob(&config_bytes)?;
    let config_type = if docker {
        MediaType::DockerConfig
    } else {
        MediaType::OciConfig
    };
    let mut descriptors = base.manifest.layers.clone();
    for layer in layers {
        let target = layout.blob_path(&layer.layer.digest);
        if !target.exists() && std::fs::hard_link(&layer.blob, &target).is_err() {
            std::fs::copy(&layer.blob, &target).map_err(io_error)?;
        }
        let media_type = if docker {
            MediaType::DockerLayerGzip
        } else {
            layer.layer.media_type.clone()
        };
        descriptors.push(Descriptor::new(
            media_type,
            layer.layer.digest,
            layer.layer.size,
        ));
    }
    let manifest_type = base
        .manifest
        .media_type
        .clone()
        .unwrap_or(MediaType::OciManifest);
    let manifest = Manifest::new(
        manifest_type.clone(),
        Descriptor::new(config_type, config_digest, config_bytes.len() as u64),
        descriptors,
    );
    let manifest_bytes = manifest.to_json();
    let digest = layout.put_blob(&manifest_bytes)?;
    layout.write_index(
        &Descriptor::new(manifest_type, digest, manifest_bytes.len() as u64),
        "latest",
    )?;
    let target = run_dir.join(digest.hex());
    for entry in std::fs::read_dir(&run_dir)
        .map_err(io_error)?
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if path != staging.path() {
            std::fs::remove_dir_all(&path).map_err(io_error)?;
        }
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &target).map_err(io_error)?;
    Ok((digest, target))
}
