//! [`Restorer`]: the phase itself.

use std::path::PathBuf;

use cnb_api::PlatformApi;
use cnb_cache::Cache;
use cnb_files::TomlFile;
use cnb_files::analyzed::{Analyzed, ImageIdentifier, RunImage, TargetMetadata};
use cnb_files::group::Group;
use cnb_files::labels::CacheMetadata;
use cnb_files::run::Run;
use cnb_image::{ImageConfig, ImageIdentity, ImageRef, ImageStore, Platform};

use crate::Error;
use crate::base_image::save_base_image;
use crate::contents::{restore_contents, restore_sboms};
use crate::metadata::{restore_layer_metadata, restore_stores};

/// What the restorer needs, resolved by the caller.
#[derive(Debug, Clone)]
pub struct RestorerConfig {
    /// The Platform API in use.
    pub platform_api: PlatformApi,
    /// `<layers>`.
    pub layers_dir: PathBuf,
    /// `analyzed.toml`; a missing file only warns.
    pub analyzed_path: PathBuf,
    /// `group.toml`.
    pub group_path: PathBuf,
    /// `run.toml`: an analyzed run image listed there is re-checked for readability.
    pub run_path: PathBuf,
    /// `-skip-layers`: restore `store.toml` only.
    pub skip_layers: bool,
    /// `-build-image` (Platform API 0.10): saved for the extender, its digest reference
    /// recorded in `analyzed.toml`.
    pub build_image: Option<ImageRef>,
    /// Whether to check that the analyzed run image is readable (registry mode).
    pub check_run_image: bool,
    /// `-layout`: the app's images are in an OCI layout, and the run image is never extended
    /// (as in the Go lifecycle).
    pub use_layout: bool,
    /// The platform an index is resolved to.
    pub platform: Platform,
    /// Where cached tars are extracted; their entries carry absolute paths, so this is `/`
    /// in a real build.
    pub extract_root: PathBuf,
}

/// The images the restorer reads and writes.
#[derive(Clone, Copy)]
pub struct RestorerStores<'a> {
    /// Registries: `-build-image`, the run image to extend, the run image re-check.
    pub registry: &'a dyn ImageStore,
    /// The app's images (the registry, or the OCI layout with `-layout`): a run image that
    /// extensions switched to is resolved there.
    pub images: &'a dyn ImageStore,
    /// How `analyzed.toml` names an image of `images` (`<repository>@<digest>`, or the
    /// layout path and digest).
    pub name_image: &'a dyn Fn(&ImageRef, &ImageIdentity) -> String,
    /// Where base images are saved for the extender (`cnb_layout::LayoutStore::base_images`).
    pub base_images: &'a dyn ImageStore,
}

/// The restorer phase.
pub struct Restorer<'a> {
    config: RestorerConfig,
    stores: RestorerStores<'a>,
    cache: Option<&'a dyn Cache>,
}

impl<'a> Restorer<'a> {
    /// A restorer reading images through `stores` and layers from `cache`.
    pub fn new(
        config: RestorerConfig,
        stores: RestorerStores<'a>,
        cache: Option<&'a dyn Cache>,
    ) -> Self {
        Self {
            config,
            stores,
            cache,
        }
    }

    /// Runs the phase.
    pub fn run(&self) -> Result<(), Error> {
        let config = &self.config;
        let group =
            Group::read(&config.group_path).map_err(|error| Error::ReadGroup(Box::new(error)))?;
        group.check_buildpack_apis()?;
        let analyzed = match Analyzed::read(&config.analyzed_path) {
            Ok(analyzed) => Some(self.update_analyzed(analyzed, &group)?),
            Err(error) => {
                tracing::warn!("Not using analyzed data, usable file not found: {error}");
                None
            }
        };
        let app = analyzed
            .map(|analyzed| analyzed.metadata)
            .unwrap_or_default();
        let empty = CacheMetadata::default();
        let cache_metadata = if let Some(cache) = self.cache {
            if !cache.exists() {
                tracing::info!("Layer cache not found");
            }
            cache.metadata()
        } else {
            tracing::debug!("Usable cache not provided, using empty cache metadata");
            &empty
        };
        restore_stores(&config.layers_dir, &group.group, &app)?;
        if config.skip_layers {
            tracing::info!("Skipping buildpack layer analysis");
            return Ok(());
        }
        let shas = restore_layer_metadata(
            &config.layers_dir,
            config.platform_api,
            &group.group,
            &app,
            cache_metadata,
        )?;
        if let Some(cache) = self.cache {
            restore_contents(
                &config.layers_dir,
                &config.extract_root,
                &group.group,
                cache,
                &shas,
            )?;
        }
        if config.platform_api.restores_sbom_layer() {
            restore_sboms(
                &config.layers_dir,
                &config.extract_root,
                &group.group,
                self.cache,
            )?;
        }
        Ok(())
    }

    /// Saves the build image for the extender and records it, re-checks the run image, then
    /// saves the run image when extensions extend it, or resolves it when they switched it to
    /// one the analyzer never saw (Go `restoreCmd.Exec`); writes analyzed.toml back.
    fn update_analyzed(&self, mut analyzed: Analyzed, group: &Group) -> Result<Analyzed, Error> {
        let config = &self.config;
        let api = config.platform_api;
        if let Some(reference) = config
            .build_image
            .as_ref()
            .filter(|_| api.has_image_extensions())
        {
            tracing::debug!("Pulling builder image metadata for {reference}...");
            let image = self.save_base(reference, |source| Error::PullBuildImage {
                reference: reference.to_string(),
                source,
            })?;
            analyzed.build_image = Some(ImageIdentifier {
                reference: reference.with_digest(image.digest()).to_string(),
            });
        }
        if config.check_run_image && api.restorer_checks_run_image() {
            self.check_run_image(&analyzed)?;
        }
        let Some(run_image) = analyzed.run_image.as_mut() else {
            return self.write(analyzed);
        };
        let name = run_image.image.clone().unwrap_or_default();
        let extend = run_image.extend == Some(true);
        if api.extends_run_image() && !config.use_layout && extend {
            tracing::debug!("Pulling run image metadata for {name}...");
            let reference = parse_run_image(&name)?;
            let image = self.save_base(&reference, |source| Error::PullRunImage {
                reference: name.clone(),
                source,
            })?;
            run_image.reference = reference.with_digest(image.digest()).to_string();
            run_image.target = Some(target_of(&image.config));
        } else if api.has_image_extensions()
            && !group.group_extensions.is_empty()
            && !name.is_empty()
            && run_image
                .target
                .as_ref()
                .is_none_or(|target| target.os.is_empty())
        {
            tracing::debug!("Updating run image info in analyzed metadata...");
            self.resolve_run_image(&name, run_image)?;
        }
        self.write(analyzed)
    }

    fn write(&self, analyzed: Analyzed) -> Result<Analyzed, Error> {
        let path = &self.config.analyzed_path;
        analyzed.write(path).map_err(Error::file(path))?;
        Ok(analyzed)
    }

    /// Saves the image `reference` names from the registry into the base images.
    fn save_base(
        &self,
        reference: &ImageRef,
        error: impl Fn(Option<cnb_image::StoreError>) -> Error,
    ) -> Result<cnb_image::Image, Error> {
        save_base_image(
            self.stores.registry,
            self.stores.base_images,
            reference,
            &self.config.platform,
        )
        .map_err(|source| error(Some(source)))?
        .ok_or_else(|| error(None))
    }

    /// A run image extensions switched to (no target yet): its digest reference, and from
    /// Platform API 0.12 its target.
    fn resolve_run_image(&self, name: &str, run_image: &mut RunImage) -> Result<(), Error> {
        let reference = parse_run_image(name)?;
        let missing = |source| Error::GetRunImage {
            reference: name.to_owned(),
            source,
        };
        let image = self
            .stores
            .images
            .read_image(&reference, &self.config.platform)
            .map_err(|error| missing(Some(error)))?
            .ok_or_else(|| missing(None))?;
        run_image.reference = (self.stores.name_image)(&reference, &image.identity());
        if self.config.platform_api.uses_run_toml() {
            run_image.target = Some(target_of(&image.config));
        }
        Ok(())
    }

    /// The analyzed run image, when `run.toml` lists it, must still be readable.
    fn check_run_image(&self, analyzed: &Analyzed) -> Result<(), Error> {
        let Some(name) = analyzed
            .run_image
            .as_ref()
            .and_then(|run| run.image.as_deref())
        else {
            return Ok(());
        };
        let run = Run::read_optional(&self.config.run_path)
            .map_err(|error| Error::ReadRun(Box::new(error)))?
            .unwrap_or_default();
        if run.find(name, cnb_image::image_name).is_none() {
            return Ok(());
        }
        let readable = ImageRef::parse(name).is_ok_and(|reference| {
            matches!(
                self.stores.registry.read_manifest_raw(&reference, None),
                Ok(Some(_))
            )
        });
        if readable {
            Ok(())
        } else {
            Err(Error::RunImageNotAccessible {
                reference: name.to_owned(),
            })
        }
    }
}

fn parse_run_image(name: &str) -> Result<ImageRef, Error> {
    ImageRef::parse(name).map_err(|source| Error::ParseRunImage { source })
}

/// The target a base image's config describes.
fn target_of(config: &ImageConfig) -> TargetMetadata {
    TargetMetadata::of_image(
        &config.os,
        &config.architecture,
        config.variant.as_deref(),
        |key| config.label(key),
    )
}
