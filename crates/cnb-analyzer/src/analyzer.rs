//! [`Analyzer`]: the phase itself.

use std::path::PathBuf;

use cnb_api::PlatformApi;
use cnb_files::analyzed::{Analyzed, ImageIdentifier, LayersMetadata, RunImage, TargetMetadata};
use cnb_files::labels::LifecycleMetadata;
use cnb_files::{JsonLabel, TomlFile};
use cnb_image::{Action, Image, ImageIdentity, ImageRef, ImageStore, Platform, StoreError};

use crate::Error;
use crate::access::{check_read, check_write, is_denied};

/// How `analyzed.toml` names an image found in the store: `<repository>@<digest>` for a
/// registry, `<layout path>@<digest>` for an OCI layout, the image ID for a daemon.
pub type NameImage<'a> = &'a dyn Fn(&ImageRef, &ImageIdentity) -> String;

/// The previous image's layers metadata, its name as analyzed.toml records it, and the image.
type PreviousImage = (LayersMetadata, String, Option<(ImageRef, Image)>);

/// What the analyzer needs, resolved by the caller.
#[derive(Debug, Clone)]
pub struct AnalyzerConfig {
    /// The Platform API in use.
    pub platform_api: PlatformApi,
    /// Where to write `analyzed.toml`.
    pub analyzed_path: PathBuf,
    /// The output image.
    pub output_image: ImageRef,
    /// Additional tags the exporter will write.
    pub additional_tags: Vec<ImageRef>,
    /// The previous image (by default the output image).
    pub previous_image: Option<ImageRef>,
    /// The run image as the platform named it (recorded as `run-image.image`).
    pub run_image_name: String,
    /// The run image, parsed.
    pub run_image: ImageRef,
    /// The cache image, if any.
    pub cache_image: Option<ImageRef>,
    /// `-skip-layers`: do not restore the previous SBOM layer.
    pub skip_layers: bool,
    /// Whether to check access to the app, previous and run images (not in an OCI layout;
    /// the cache image is always checked).
    pub check_access: bool,
    /// The platform an index is resolved to.
    pub platform: Platform,
    /// Where the previous image's SBOM layer is extracted; its entries carry absolute paths,
    /// so this is `/` in a real build.
    pub sbom_root: PathBuf,
}

/// The analyzer phase.
pub struct Analyzer<'a> {
    config: AnalyzerConfig,
    store: &'a dyn ImageStore,
    cache_store: &'a dyn ImageStore,
    name_image: NameImage<'a>,
}

impl<'a> Analyzer<'a> {
    /// An analyzer reading and checking images through `store`.
    pub fn new(
        config: AnalyzerConfig,
        store: &'a dyn ImageStore,
        name_image: NameImage<'a>,
    ) -> Self {
        Self {
            config,
            store,
            cache_store: store,
            name_image,
        }
    }

    /// Checks write access to the cache image through `store` instead (the registries, when
    /// the app images are in an OCI layout).
    #[must_use]
    pub fn with_cache_store(mut self, store: &'a dyn ImageStore) -> Self {
        self.cache_store = store;
        self
    }

    /// Runs the phase and writes `analyzed.toml`; returns what it wrote.
    pub fn run(&self) -> Result<Analyzed, Error> {
        self.check_access()?;
        let (metadata, previous_reference, previous) = self.previous_image()?;
        let restores_sbom =
            self.config.platform_api.restores_sbom_layer() && !self.config.skip_layers;
        if let Some(previous) = previous.as_ref().filter(|_| restores_sbom) {
            self.restore_sbom(previous, &metadata)?;
        }
        let analyzed = Analyzed {
            image: Some(ImageIdentifier {
                reference: previous_reference,
            }),
            build_image: None,
            metadata,
            run_image: Some(self.run_image()?),
        };
        analyzed
            .write(&self.config.analyzed_path)
            .map_err(|source| Error::WriteAnalyzed {
                path: self.config.analyzed_path.clone(),
                source: Box::new(source),
            })?;
        Ok(analyzed)
    }

    /// Write access to the output image, its tags and the cache image; read access to the
    /// previous and run images.
    fn check_access(&self) -> Result<(), Error> {
        let config = &self.config;
        let mut writes: Vec<(&dyn ImageStore, &ImageRef)> = Vec::new();
        if config.check_access {
            for reference in config.previous_image.iter().chain([&config.run_image]) {
                if let Err(source) = check_read(self.store, reference) {
                    if is_denied(&source, Action::Read) {
                        return Err(Error::ReadAccess {
                            reference: reference.to_string(),
                            source,
                        });
                    }
                    tracing::debug!("read check of {reference} failed: {source}");
                }
            }
            let outputs = std::iter::once(&config.output_image).chain(&config.additional_tags);
            writes.extend(outputs.map(|reference| (self.store, reference)));
        }
        // The cache image is in a registry even when the app image is in a layout.
        writes.extend(
            config
                .cache_image
                .iter()
                .map(|reference| (self.cache_store, reference)),
        );
        for (store, reference) in writes {
            check_write(store, reference).map_err(|source| Error::WriteAccess {
                reference: reference.to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// The previous image's layers metadata and reference. As in Go, an image whose manifest
    /// cannot be fetched (or a store that cannot answer at all) fails the phase; one that is
    /// found but corrupt (a config or manifest that does not parse, a config that cannot be
    /// read) or whose label is unreadable is ignored with a warning; an index without this
    /// platform's image is not found.
    fn previous_image(&self) -> Result<PreviousImage, Error> {
        let none = || Ok((LayersMetadata::default(), String::new(), None));
        let Some(reference) = &self.config.previous_image else {
            return none();
        };
        let image = match self.store.read_image(reference, &self.config.platform) {
            Ok(Some(image)) => image,
            Ok(None) | Err(StoreError::NoMatchingPlatform { .. }) => {
                tracing::info!("Image with name \"{reference}\" not found");
                return none();
            }
            Err(
                source @ (StoreError::ReadManifest { .. }
                | StoreError::Unauthorized { .. }
                | StoreError::Unavailable(_)),
            ) => {
                return Err(Error::ReadPreviousImage {
                    reference: reference.to_string(),
                    source,
                });
            }
            Err(error) => {
                tracing::warn!(
                    "Ignoring image \"{reference}\" because it was corrupt: {}",
                    cnb_api::one_line(&error)
                );
                return none();
            }
        };
        let metadata = match image.label(LifecycleMetadata::LABEL) {
            None => LayersMetadata::default(),
            Some(text) => match LifecycleMetadata::from_label(text) {
                Ok(label) => LayersMetadata::from(&label),
                Err(error) => {
                    tracing::warn!("Ignoring the metadata of image \"{reference}\": {error}");
                    return none();
                }
            },
        };
        let name = (self.name_image)(reference, &image.identity());
        tracing::debug!("Found image with identifier \"{name}\"");
        Ok((metadata, name, Some((reference.clone(), image))))
    }

    /// Extracts the previous image's SBOM layer, when its metadata names one.
    fn restore_sbom(
        &self,
        (reference, image): &(ImageRef, Image),
        metadata: &LayersMetadata,
    ) -> Result<(), Error> {
        let Some(diff_id) = metadata.sbom.as_ref().map(|sbom| sbom.sha.as_str()) else {
            return Ok(());
        };
        if diff_id.is_empty() {
            return Ok(());
        }
        let sbom_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::RestoreSbom {
            reference: reference.to_string(),
            diff_id: diff_id.to_owned(),
            source,
        };
        let position = image
            .config
            .rootfs
            .diff_ids
            .iter()
            .position(|id| id.to_string() == diff_id);
        let blob = position.and_then(|index| image.manifest.manifest.layers.get(index));
        let Some(blob) = blob else {
            tracing::warn!("Previous image \"{reference}\" has no SBOM layer {diff_id}");
            return Ok(());
        };
        tracing::info!("Restoring data for SBOM from previous image");
        let Some(reader) = self
            .store
            .open_blob(reference, &blob.digest)
            .map_err(|error| sbom_error(error.into()))?
        else {
            tracing::warn!("Previous image \"{reference}\" lacks the SBOM layer blob");
            return Ok(());
        };
        cnb_archive::extract(reader, &self.config.sbom_root)
            .map_err(|error| sbom_error(error.into()))
    }

    /// The run image's identity, and from Platform API 0.12 its name and target.
    fn run_image(&self) -> Result<RunImage, Error> {
        let config = &self.config;
        let reference = &config.run_image;
        let image = self
            .store
            .read_image(reference, &config.platform)
            .map_err(|source| Error::ReadRunImage {
                reference: reference.to_string(),
                source,
            })?;
        let mut run_image = RunImage::default();
        if let Some(image) = &image {
            run_image.reference = (self.name_image)(reference, &image.identity());
        } else {
            tracing::info!("Image with name \"{reference}\" not found");
        }
        if config.platform_api.uses_run_toml() {
            let image = image.ok_or_else(|| Error::RunImageNotFound {
                reference: reference.to_string(),
            })?;
            let base = &image.config;
            let target = TargetMetadata::of_image(
                &base.os,
                &base.architecture,
                base.variant.as_deref(),
                |key| base.label(key),
            );
            if target.os.is_empty() {
                return Err(Error::RunImageWithoutOs {
                    reference: reference.to_string(),
                });
            }
            run_image.image = Some(config.run_image_name.clone());
            run_image.target = Some(target);
        }
        Ok(run_image)
    }
}
