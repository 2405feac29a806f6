//! The layers the exporter makes: each buildpack's launch layers (reused from the previous
//! image when unchanged, or lent by it when the buildpack left only the toml), the app slices,
//! and the lifecycle's own launcher, config and process-types layers. Each is planned on the
//! image builder; the labels take their diffIDs once the builder has made them all.

use std::path::Path;
use std::sync::Arc;

use cnb_archive::{AppSlices, Owner, add_dir, add_launcher, add_process_types};
use cnb_files::analyzed::{LayerSha, LayersMetadata};
use cnb_files::labels::{
    BuildpackLayers as LabelBuildpack, LabelLayer, LabelStore, LifecycleMetadata,
};
use cnb_files::metadata::BuildMetadata;
use cnb_files::value::table_to_object;
use cnb_image::Digest;
use cnb_layers::BuildpackLayers;

use super::Exporter;
use crate::image::{ImageBuilder, LayerHandle};
use crate::{Error, Result};

/// A buildpack's label entry, with the diffIDs of its new layers still to come.
pub(super) struct PlannedBuildpack {
    entry: LabelBuildpack,
    layers: Vec<(String, LayerHandle)>,
}

impl PlannedBuildpack {
    /// The label entry, with the layers' diffIDs.
    pub(super) fn label(mut self, image: &ImageBuilder<'_>) -> LabelBuildpack {
        for (name, handle) in self.layers {
            if let Some(layer) = self.entry.layers.get_mut(&name) {
                layer.sha = made(image, handle).to_string();
            }
        }
        self.entry
    }
}

/// The lifecycle's own layers.
pub(super) struct LifecycleLayers {
    launcher: LayerHandle,
    config: LayerHandle,
    process_types: Option<LayerHandle>,
}

impl LifecycleLayers {
    /// Records their diffIDs in the label.
    pub(super) fn label(&self, image: &ImageBuilder<'_>, lifecycle: &mut LifecycleMetadata) {
        lifecycle.launcher = sha_of(made(image, self.launcher));
        lifecycle.config = sha_of(made(image, self.config));
        if let Some(handle) = self.process_types {
            lifecycle.process_types = sha_of(made(image, handle));
        }
    }
}

/// The diffID of a layer the builder has made.
pub(super) fn made(image: &ImageBuilder<'_>, handle: LayerHandle) -> Digest {
    image
        .diff_id(handle)
        .expect("labels are filled only after every layer is made")
}

/// The app layers' label entries; logs how many were reused.
pub(super) fn app_label(image: &ImageBuilder<'_>, handles: &[LayerHandle]) -> Vec<LayerSha> {
    let reused = handles
        .iter()
        .filter(|handle| image.was_reused(**handle))
        .count();
    if reused > 0 {
        tracing::info!("Reused {reused}/{} app layer(s)", handles.len());
    }
    if reused < handles.len() {
        tracing::info!(
            "Added {}/{} app layer(s)",
            handles.len() - reused,
            handles.len()
        );
    }
    handles
        .iter()
        .map(|handle| sha_of(made(image, *handle)))
        .collect()
}

impl<'a> Exporter<'a> {
    /// Plans the launcher, launcher config and process-types layers.
    pub(super) fn lifecycle_layers(
        &self,
        image: &mut ImageBuilder<'a>,
        build: &BuildMetadata,
        orig: &LayersMetadata,
    ) -> LifecycleLayers {
        let config = &self.config;
        let owner = Owner::new(config.uid, config.gid);
        let launcher_path = config.launcher_path.clone();
        let launcher = image.add(
            "buildpacksio/lifecycle:launcher",
            "Buildpacks Application Launcher",
            &[orig.launcher.sha.as_str()],
            move |sink| add_launcher(sink, &launcher_path),
        );
        let config_dir = config.layers_dir.join("config");
        let config_layer = image.add(
            "buildpacksio/lifecycle:config",
            "Buildpacks Launcher Config",
            &[orig.config.sha.as_str()],
            move |sink| add_dir(sink, Path::new("/"), &config_dir, owner),
        );
        let process_types = (!build.processes.is_empty()).then(|| {
            let types: Vec<String> = build.processes.iter().map(|p| p.r#type.clone()).collect();
            image.add(
                "buildpacksio/lifecycle:process-types",
                "Buildpacks Process Types",
                &[orig.process_types.sha.as_str()],
                move |sink| {
                    let types: Vec<&str> = types.iter().map(String::as_str).collect();
                    add_process_types(sink, &types)
                },
            )
        });
        LifecycleLayers {
            launcher,
            config: config_layer,
            process_types,
        }
    }

    /// Plans one buildpack's launch layers; returns its label entry to be completed.
    pub(super) fn buildpack_layers(
        &self,
        image: &mut ImageBuilder<'a>,
        buildpack: &cnb_files::group::GroupElement,
        orig: &LayersMetadata,
        owner: Owner,
    ) -> Result<PlannedBuildpack> {
        let read = |source| Error::ReadLayers {
            buildpack: buildpack.id.clone(),
            source: Box::new(source),
        };
        let dir = BuildpackLayers::read(&self.config.layers_dir, &buildpack.id).map_err(read)?;
        let previous = orig
            .buildpacks
            .iter()
            .find(|entry| entry.key == buildpack.id);
        let store = dir.store().map_err(read)?;
        let mut entry = LabelBuildpack {
            key: buildpack.id.clone(),
            version: buildpack.version.clone(),
            store: store.map(|store| LabelStore {
                metadata: json(store.metadata.as_ref()),
            }),
            ..LabelBuildpack::default()
        };
        let mut planned = Vec::new();
        for layer in dir.layers() {
            let metadata = layer.metadata().map_err(read)?;
            let types = metadata.types.clone().unwrap_or_default();
            if !types.launch.unwrap_or(false) {
                continue;
            }
            let id = layer.identifier();
            let created_by = format!(
                "Layer: '{}', Created by buildpack: {}@{}",
                layer.name(),
                buildpack.id,
                buildpack.version
            );
            let previous_sha = previous
                .and_then(|entry| entry.layers.get(layer.name()))
                .map(|layer| layer.sha.as_str());
            let sha = if layer.has_contents() {
                let path = layer.path().to_owned();
                let handle = image.add(id, &created_by, previous_sha.as_slice(), move |sink| {
                    add_dir(sink, Path::new("/"), &path, owner)
                });
                planned.push((layer.name().to_owned(), handle));
                String::new()
            } else {
                if types.cache.unwrap_or(false) {
                    return Err(Error::CacheLayerWithoutContents {
                        layer: id.to_owned(),
                    });
                }
                let sha = previous_sha.ok_or_else(|| Error::NoPreviousLayer {
                    layer: id.to_owned(),
                })?;
                image.reuse(id, &created_by, sha)?;
                sha.to_owned()
            };
            let label = LabelLayer {
                sha,
                data: json(metadata.metadata.as_ref()),
                build: types.build.unwrap_or(false),
                launch: true,
                cache: types.cache.unwrap_or(false),
            };
            entry.layers.insert(layer.name().to_owned(), label);
        }
        Ok(PlannedBuildpack {
            entry,
            layers: planned,
        })
    }

    /// Plans the app dir's slice layers.
    pub(super) fn app_layers(
        &self,
        image: &mut ImageBuilder<'a>,
        build: &BuildMetadata,
        orig: &LayersMetadata,
        owner: Owner,
    ) -> Result<Vec<LayerHandle>> {
        let slices: Vec<Vec<String>> = build.slices.iter().map(|s| s.paths.clone()).collect();
        let app = AppSlices::partition(Path::new("/"), &self.config.app_dir, &slices)
            .map_err(Error::archive("app"))?;
        let app = Arc::new(app);
        let previous: Vec<&str> = orig.app.iter().map(|sha| sha.sha.as_str()).collect();
        Ok((0..app.len())
            .map(|index| {
                let (id, created_by) = (format!("slice-{}", index + 1), app.created_by(index));
                let app = Arc::clone(&app);
                image.add(&id, &created_by, &previous, move |sink| {
                    app.write(index, sink, owner)
                })
            })
            .collect())
    }
}

pub(super) fn sha_of(diff_id: Digest) -> LayerSha {
    LayerSha {
        sha: diff_id.to_string(),
    }
}

fn json(table: Option<&toml::Table>) -> serde_json::Value {
    table.map_or(serde_json::Value::Null, |table| {
        serde_json::Value::Object(table_to_object(table))
    })
}
