//! The export: the run image, then the buildpacks' launch layers, the SBOM, the app slices,
//! the launcher, the launcher config and the process types, each reused from the previous
//! image when unchanged; then labels and runtime config; then one manifest under every tag and
//! report.toml.

use std::path::Path;

use cnb_archive::{AppSlices, Owner, add_dir, add_launcher, add_process_types};
use cnb_files::TomlFile;
use cnb_files::analyzed::{Analyzed, LayerSha, LayersMetadata};
use cnb_files::group::Group;
use cnb_files::labels::{
    BuildpackLayers as LabelBuildpack, LabelLayer, LabelRunImage, LabelStack, LabelStore,
    LifecycleMetadata,
};
use cnb_files::metadata::BuildMetadata;
use cnb_files::project_metadata::ProjectMetadata;
use cnb_files::report::{ImageReport, Report};
use cnb_files::value::table_to_object;
use cnb_image::{Digest, ImageRef, ImageStore};
use cnb_layers::BuildpackLayers;

use crate::image::{ImageBuilder, Lender};
use crate::settings::{self, Labels};
use crate::{Error, ExporterConfig, Result, sbom};

/// Names an image by reference and manifest digest, as the label's `runImage.reference`
/// records it (`<repository>@<digest>` in a registry).
pub type NameImage<'a> = &'a (dyn Fn(&ImageRef, &Digest) -> String + Sync);

/// The exporter phase over an injected store.
pub struct Exporter<'a> {
    config: ExporterConfig,
    store: &'a dyn ImageStore,
    name_image: NameImage<'a>,
}

impl<'a> Exporter<'a> {
    /// An exporter writing through `store`.
    pub fn new(
        config: ExporterConfig,
        store: &'a dyn ImageStore,
        name_image: NameImage<'a>,
    ) -> Self {
        Self {
            config,
            store,
            name_image,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ExporterConfig {
        &self.config
    }

    /// Builds and saves the app image, then writes report.toml.
    pub fn run(&self) -> Result<Report> {
        let config = &self.config;
        let api = config.platform_api;
        let group =
            Group::read(&config.group_path).map_err(|error| Error::ReadGroup(Box::new(error)))?;
        let analyzed = Analyzed::read(&config.analyzed_path)
            .map_err(|error| Error::ReadAnalyzed(Box::new(error)))?;
        let build = BuildMetadata::read(&config.layers_dir.join("config").join("metadata.toml"))
            .map_err(|error| Error::ReadMetadata(Box::new(error)))?;
        let project = ProjectMetadata::read_optional(&config.project_metadata_path)
            .map_err(|error| Error::ReadMetadata(Box::new(error)))?
            .unwrap_or_default();
        // Checked before anything is uploaded; Go finds out only after the layers.
        let entrypoint = settings::entrypoint(&build, config.process_type.as_deref())?;
        if api.copies_lifecycle_sboms() {
            sbom::copy_lifecycle_sboms(&config.launcher_sbom_dir, &config.layers_dir)?;
        }

        let run_ref = config.run_image.clone();
        let read_run = |source| Error::ReadRunImage {
            reference: run_ref.to_string(),
            source,
        };
        let run = self
            .store
            .read_image(&run_ref, &config.platform)
            .map_err(|error| read_run(Some(Box::new(error))))?
            .ok_or_else(|| read_run(None))?;
        let previous = self.previous_image();
        let orig = &analyzed.metadata;

        let mut lifecycle = self.run_image_label(&run_ref, &run);
        let mut image = ImageBuilder::new(
            self.store,
            config.output_image.clone(),
            &run_ref,
            run,
            previous,
        )?;
        let owner = Owner::new(config.uid, config.gid);
        for buildpack in &group.group {
            let entry = self.buildpack_layers(&mut image, buildpack, orig, owner)?;
            lifecycle.buildpacks.push(entry);
        }
        if api.copies_sbom_files() {
            let dir = config.layers_dir.join("sbom").join("launch");
            if dir.is_dir() {
                let previous: Vec<&str> = orig.sbom.iter().map(|sha| sha.sha.as_str()).collect();
                let sha = image.add(
                    "buildpacksio/lifecycle:launch.sbom",
                    "Software Bill-of-Materials",
                    &previous,
                    &|sink| add_dir(sink, Path::new("/"), &dir, owner),
                )?;
                lifecycle.sbom = Some(sha_of(sha));
            }
        }
        lifecycle.app = self.app_layers(&mut image, &build, orig, owner)?;
        self.lifecycle_layers(&mut image, &build, orig, &mut lifecycle)?;

        let labels = Labels {
            lifecycle: &lifecycle,
            build: &build,
            launcher: config.launcher_metadata.clone(),
            project: &project,
            exec_env: &config.exec_env,
        };
        labels.apply(image.config_mut(), api)?;
        settings::apply_runtime(
            image.config_mut(),
            api,
            &config.layers_dir,
            &config.app_dir,
            entrypoint,
        );
        self.save(image)
    }

    /// The label's run image part: top layer, reference, name and mirrors, and `stack`.
    fn run_image_label(&self, run_ref: &ImageRef, run: &cnb_image::Image) -> LifecycleMetadata {
        let config = &self.config;
        let mut lifecycle = LifecycleMetadata {
            run_image: LabelRunImage {
                top_layer: run
                    .config
                    .rootfs
                    .diff_ids
                    .last()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                reference: (self.name_image)(run_ref, &run.digest()),
                image: None,
                mirrors: None,
            },
            stack: Some(LabelStack {
                run_image: config.run_image_for_export.clone(),
            }),
            ..LifecycleMetadata::default()
        };
        if config.platform_api.uses_run_toml() {
            lifecycle
                .run_image
                .image
                .clone_from(&config.run_image_for_export.image);
            lifecycle
                .run_image
                .mirrors
                .clone_from(&config.run_image_for_export.mirrors);
        }

        lifecycle
    }

    /// The launcher, launcher config and process-types layers.
    fn lifecycle_layers(
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

    /// The previous image, if it can be read.
    fn previous_image(&self) -> Option<Lender> {
        let reference = self.config.previous_image.as_ref()?;
        tracing::info!("Reusing layers from image '{reference}'");
        match self.store.read_image(reference, &self.config.platform) {
            Ok(Some(image)) => Some(Lender::new(reference.clone(), &image)),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!("Previous image '{reference}' is not readable: {error}");
                None
            }
        }
    }

    /// Exports one buildpack's launch layers; returns its label entry.
    fn buildpack_layers(
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
    fn app_layers(
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

    /// Writes the image under every tag, logs the `*** Images` lines and writes the report.
    fn save(&self, image: ImageBuilder<'_>) -> Result<Report> {
        let config = &self.config;
        let mut targets = vec![config.output_image.clone()];
        targets.extend(config.additional_tags.iter().cloned());
        tracing::info!(
            "Saving {}...",
            config
                .tag_names
                .first()
                .map_or_else(|| config.output_image.to_string(), Clone::clone)
        );
        let created = settings::created(config.created);
        let (digest, size) = image.save(
            &targets,
            &created,
            config.platform_api.records_layer_history(),
        )?;
        let names: Vec<String> = if config.tag_names.len() == targets.len() {
            config.tag_names.clone()
        } else {
            targets.iter().map(ToString::to_string).collect()
        };
        tracing::info!("*** Images ({digest}):");
        for name in &names {
            tracing::info!("      {name}");
        }
        tracing::debug!("*** Digest: {digest}");
        tracing::debug!("*** Manifest Size: {size}");
        let report = Report {
            build: None,
            image: ImageReport {
                tags: names,
                image_id: None,
                digest: Some(digest.to_string()),
                manifest_size: i64::try_from(size).ok(),
            },
        };
        report
            .write(&config.report_path)
            .map_err(|error| Error::WriteReport(Box::new(error)))?;
        Ok(report)
    }
}

fn sha_of(diff_id: Digest) -> LayerSha {
    LayerSha {
        sha: diff_id.to_string(),
    }
}

fn json(table: Option<&toml::Table>) -> serde_json::Value {
    table.map_or(serde_json::Value::Null, |table| {
        serde_json::Value::Object(table_to_object(table))
    })
}
