//! The layers the exporter makes: each buildpack's launch layers (reused from the previous
//! image when unchanged, or lent by it when the buildpack left only the toml), the app slices,
//! and the lifecycle's own launcher, config and process-types layers.

use std::path::Path;

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
use crate::image::ImageBuilder;
use crate::{Error, Result};

impl Exporter<'_> {
    /// The launcher, launcher config and process-types layers.
    pub(super) fn lifecycle_layers(
        &self,
        image: &mut ImageBuilder<'_>,
        build: &BuildMetadata,
        orig: &LayersMetadata,
        lifecycle: &mut LifecycleMetadata,
    ) -> Result<()> {
        let config = &self.config;
        let owner = Owner::new(config.uid, config.gid);
        let launcher = &config.launcher_path;
        let sha = image.add(
            "buildpacksio/lifecycle:launcher",
            "Buildpacks Application Launcher",
            &[orig.launcher.sha.as_str()],
            &|sink| add_launcher(sink, launcher),
        )?;
        lifecycle.launcher = sha_of(sha);
        let config_dir = config.layers_dir.join("config");
        let sha = image.add(
            "buildpacksio/lifecycle:config",
            "Buildpacks Launcher Config",
            &[orig.config.sha.as_str()],
            &|sink| add_dir(sink, Path::new("/"), &config_dir, owner),
        )?;
        lifecycle.config = sha_of(sha);
        if !build.processes.is_empty() {
            let types: Vec<&str> = build.processes.iter().map(|p| p.r#type.as_str()).collect();
            let sha = image.add(
                "buildpacksio/lifecycle:process-types",
                "Buildpacks Process Types",
                &[orig.process_types.sha.as_str()],
                &|sink| add_process_types(sink, &types),
            )?;
            lifecycle.process_types = sha_of(sha);
        }

        Ok(())
    }

    /// Exports one buildpack's launch layers; returns its label entry.
    pub(super) fn buildpack_layers(
        &self,
        image: &mut ImageBuilder<'_>,
        buildpack: &cnb_files::group::GroupElement,
        orig: &LayersMetadata,
        owner: Owner,
    ) -> Result<LabelBuildpack> {
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
                let path = layer.path();
                image
                    .add(id, &created_by, previous_sha.as_slice(), &|sink| {
                        add_dir(sink, Path::new("/"), path, owner)
                    })?
                    .to_string()
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
        Ok(entry)
    }

    /// The app dir as slice layers; returns their diffIDs.
    pub(super) fn app_layers(
        &self,
        image: &mut ImageBuilder<'_>,
        build: &BuildMetadata,
        orig: &LayersMetadata,
        owner: Owner,
    ) -> Result<Vec<LayerSha>> {
        let slices: Vec<Vec<String>> = build.slices.iter().map(|s| s.paths.clone()).collect();
        let app = AppSlices::partition(Path::new("/"), &self.config.app_dir, &slices).map_err(
            |source| Error::Archive {
                layer: "app".to_owned(),
                source: Box::new(source),
            },
        )?;
        let previous: Vec<&str> = orig.app.iter().map(|sha| sha.sha.as_str()).collect();
        let mut shas = Vec::with_capacity(app.len());
        let reused_before = image.reused();
        for index in 0..app.len() {
            let id = format!("slice-{}", index + 1);
            let sha = image.add(&id, &app.created_by(index), &previous, &|sink| {
                app.write(index, sink, owner)
            })?;
            shas.push(sha_of(sha));
        }
        let reused = image.reused() - reused_before;
        if reused > 0 {
            tracing::info!("Reused {reused}/{} app layer(s)", shas.len());
        }
        if reused < shas.len() {
            tracing::info!("Added {}/{} app layer(s)", shas.len() - reused, shas.len());
        }
        Ok(shas)
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
