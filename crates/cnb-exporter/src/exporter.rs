//! The export: the run image, then the buildpacks' launch layers, the SBOM, the app slices,
//! the launcher, the launcher config and the process types, each reused from the previous
//! image when unchanged; then labels and runtime config; then one manifest under every tag and
//! report.toml.

use std::path::Path;

use cnb_archive::{Owner, add_dir};
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::build::BuildToml;
use cnb_files::group::Group;
use cnb_files::group::GroupElement;
use cnb_files::labels::{LabelRunImage, LabelStack, LifecycleMetadata};
use cnb_files::metadata::BuildMetadata;
use cnb_files::project_metadata::ProjectMetadata;
use cnb_files::report::{BuildReport, ImageReport, Report};
use cnb_image::{ImageIdentity, ImageRef, ImageStore, StoreError};

use crate::image::{ImageBuilder, Lender};
use crate::settings::{self, Labels};
use crate::{Error, ExporterConfig, Result, sbom};

mod extended;
mod layers;

pub use extended::ExtendedRunImage;
use layers::{made, sha_of};

/// Names an image by reference and identity, as the label's `runImage.reference` records it
/// (`<repository>@<digest>` in a registry, the image ID in a daemon).
pub type NameImage<'a> = &'a (dyn Fn(&ImageRef, &ImageIdentity) -> String + Sync);

/// The exporter phase over an injected store.
pub struct Exporter<'a> {
    config: ExporterConfig,
    store: &'a dyn ImageStore,
    name_image: NameImage<'a>,
    extended: Option<ExtendedRunImage<'a>>,
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
            extended: None,
        }
    }

    /// Puts the extensions' layers of the extended run image on top of the run image, and
    /// its config in place of the run image's when `analyzed.toml` says the run image is
    /// extended (Platform API 0.12).
    #[must_use]
    pub fn with_extended_run_image(mut self, extended: ExtendedRunImage<'a>) -> Self {
        self.extended = Some(extended);
        self
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
        group.check_buildpack_apis()?;
        let analyzed = Analyzed::read(&config.analyzed_path)
            .map_err(|error| Error::ReadAnalyzed(Box::new(error)))?;
        let build = BuildMetadata::read(&config.layers_dir.join("config").join("metadata.toml"))
            .map_err(|error| Error::ReadMetadata(Box::new(error)))?;
        let project = ProjectMetadata::read_optional(&config.project_metadata_path)
            .map_err(|error| Error::ReadProjectMetadata(Box::new(error)))?
            .unwrap_or_default();
        config
            .compression
            .check_cpu()
            .map_err(|error| Error::Compression(Box::new(error)))?;
        // Checked before anything is uploaded; Go finds out only after the layers.
        let entrypoint = settings::entrypoint(&build, config.process_type.as_deref())?;
        if api.copies_lifecycle_sboms() {
            sbom::copy_for(config)?;
        }

        let run_ref = config.run_image.clone();
        let read_run = |source| Error::ReadRunImage {
            reference: run_ref.to_string(),
            source,
        };
        let mut run = self
            .store
            .read_image(&run_ref, &config.platform)
            .map_err(|error| read_run(Some(Box::new(error))))?
            .ok_or_else(|| read_run(None))?;
        let extended = self.read_extended()?;
        let extend = analyzed
            .run_image
            .as_ref()
            .is_some_and(|run_image| run_image.extend == Some(true));
        let previous = self.previous_image()?;
        let orig = &analyzed.metadata;

        // The label names the run image as it was, before any extension layer.
        let mut lifecycle = self.run_image_label(&run_ref, &run);
        if extend && api.extends_run_image() {
            let extended = extended.as_ref().ok_or(Error::MissingExtendedRunImage)?;
            tracing::debug!("Using config from extensions...");
            run.config.config = extended.config.config.clone();
        }
        let mut image = ImageBuilder::new(
            self.store,
            config.output_image.clone(),
            &run_ref,
            run,
            previous,
            config.compression,
        )?;
        if let Some(extended) = &extended {
            self.extension_layers(&mut image, extended)?;
        }
        let owner = Owner::new(config.uid, config.gid);
        let mut buildpacks = Vec::with_capacity(group.group.len());
        for buildpack in &group.group {
            buildpacks.push(self.buildpack_layers(&mut image, buildpack, orig, owner)?);
        }
        let sbom = if api.exports_sbom_layers() {
            let dir = config.layers_dir.join("sbom").join("launch");
            dir.is_dir().then(|| {
                let previous: Vec<&str> = orig.sbom.iter().map(|sha| sha.sha.as_str()).collect();
                image.add(
                    "buildpacksio/lifecycle:launch.sbom",
                    "Software Bill-of-Materials",
                    &previous,
                    move |sink| add_dir(sink, Path::new("/"), &dir, owner),
                )
            })
        } else {
            None
        };
        let app = self.app_layers(&mut image, &build, orig, owner)?;
        let lifecycle_layers = self.lifecycle_layers(&mut image, &build, orig);

        image.make_layers()?;
        for buildpack in buildpacks {
            lifecycle.buildpacks.push(buildpack.label(&image));
        }
        lifecycle.sbom = sbom.map(|handle| sha_of(made(&image, handle)));
        lifecycle.app = layers::app_label(&image, &app);
        lifecycle_layers.label(&image, &mut lifecycle);

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
        let build_report = self.build_report(&group)?;
        self.save(image, build_report)
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
                reference: (self.name_image)(run_ref, &run.identity()),
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

    /// The previous image, if it exists and is not corrupt. One whose manifest cannot be
    /// fetched, or a store that cannot answer at all, fails the export, as Go fails to open
    /// the app image then; one we may not read, or without this platform's image, is not
    /// there (as in Go).
    fn previous_image(&self) -> Result<Option<Lender>> {
        let Some(reference) = self.config.previous_image.as_ref() else {
            return Ok(None);
        };
        let image = match self.store.read_image(reference, &self.config.platform) {
            Ok(image) => image,
            Err(StoreError::Unauthorized { .. } | StoreError::NoMatchingPlatform { .. }) => None,
            Err(source @ (StoreError::Unavailable(_) | StoreError::ReadManifest { .. })) => {
                return Err(Error::ReadPreviousImage {
                    reference: reference.to_string(),
                    source: Box::new(source),
                });
            }
            Err(error) => {
                tracing::info!("Reusing layers from image '{reference}'");
                tracing::warn!(
                    "Previous image '{reference}' is not readable: {}",
                    cnb_api::one_line(&error)
                );
                return Ok(None);
            }
        };
        if let Some(ImageIdentity::DaemonId(id)) = image.as_ref().map(cnb_image::Image::identity) {
            tracing::debug!("Reusing layers from image with id '{}'", id.hex());
        } else {
            tracing::info!("Reusing layers from image '{reference}'");
        }
        Ok(image.map(|image| Lender::new(reference.clone(), &image)))
    }

    /// Before Platform API 0.9, report.toml's `[build]` bill of materials: every group
    /// buildpack's `build.toml` `[[bom]]`, each entry naming its buildpack.
    fn build_report(&self, group: &Group) -> Result<Option<BuildReport>> {
        if self.config.platform_api.moves_legacy_bom_to_sbom() {
            return Ok(None);
        }
        let mut bom = Vec::new();
        for buildpack in &group.group {
            let path = self
                .config
                .layers_dir
                .join(cnb_layers::escape_id(&buildpack.id))
                .join("build.toml");
            let build = BuildToml::read_optional(&path)
                .map_err(|error| Error::ReadMetadata(Box::new(error)))?
                .unwrap_or_default();
            let owner = GroupElement {
                id: buildpack.id.clone(),
                version: buildpack.version.clone(),
                ..GroupElement::default()
            };
            bom.extend(build.bom.into_iter().map(|mut entry| {
                entry.buildpack = Some(owner.clone());
                entry
            }));
        }
        Ok(Some(BuildReport { bom }))
    }

    /// Writes the image under every tag, logs the `*** Images` lines and writes the report.
    fn save(&self, image: ImageBuilder<'_>, build: Option<BuildReport>) -> Result<Report> {
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
        let (identity, size) = image.save(
            &targets,
            &created,
            config.platform_api.records_layer_history(),
        )?;
        let names: Vec<String> = if config.tag_names.len() == targets.len() {
            config.tag_names.clone()
        } else {
            targets.iter().map(ToString::to_string).collect()
        };
        tracing::info!("*** Images ({}):", identity.short());
        for name in &names {
            tracing::info!("      {name}");
        }
        match identity {
            ImageIdentity::Manifest(digest) => tracing::debug!("*** Digest: {digest}"),
            ImageIdentity::DaemonId(id) => tracing::debug!("*** Image ID: {}", id.hex()),
        }
        tracing::debug!("*** Manifest Size: {size}");
        let report = Report {
            build,
            image: ImageReport {
                tags: names,
                image_id: identity.image_id(),
                digest: identity.manifest_digest().map(ToString::to_string),
                manifest_size: i64::try_from(size).ok(),
            },
        };
        report
            .write(&config.report_path)
            .map_err(|error| Error::WriteReport(Box::new(error)))?;
        Ok(report)
    }
}
