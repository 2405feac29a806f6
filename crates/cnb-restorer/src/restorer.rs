//! [`Restorer`]: the phase itself.

use std::path::PathBuf;

use cnb_api::PlatformApi;
use cnb_cache::Cache;
use cnb_files::TomlFile;
use cnb_files::analyzed::{Analyzed, ImageIdentifier};
use cnb_files::group::Group;
use cnb_files::labels::CacheMetadata;
use cnb_files::run::Run;
use cnb_image::{Digest, ImageRef, ImageStore, Platform};

use crate::Error;
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
    /// `-build-image`: its digest reference is recorded in `analyzed.toml`.
    pub build_image: Option<ImageRef>,
    /// Whether to check that the analyzed run image is readable (registry mode).
    pub check_run_image: bool,
    /// The platform an index is resolved to.
    pub platform: Platform,
    /// Where cached tars are extracted; their entries carry absolute paths, so this is `/`
    /// in a real build.
    pub extract_root: PathBuf,
}

/// The restorer phase.
pub struct Restorer<'a> {
    config: RestorerConfig,
    store: &'a dyn ImageStore,
    cache: Option<&'a dyn Cache>,
    name_image: &'a dyn Fn(&ImageRef, &Digest) -> String,
}

impl<'a> Restorer<'a> {
    /// A restorer reading images through `store` and layers from `cache`.
    pub fn new(
        config: RestorerConfig,
        store: &'a dyn ImageStore,
        cache: Option<&'a dyn Cache>,
        name_image: &'a dyn Fn(&ImageRef, &Digest) -> String,
    ) -> Self {
        Self {
            config,
            store,
            cache,
            name_image,
        }
    }

    /// Runs the phase.
    pub fn run(&self) -> Result<(), Error> {
        let config = &self.config;
        let group =
            Group::read(&config.group_path).map_err(|error| Error::ReadGroup(Box::new(error)))?;
        group.check_buildpack_apis()?;
        let analyzed = match Analyzed::read(&config.analyzed_path) {
            Ok(analyzed) => Some(self.update_analyzed(analyzed)?),
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

    /// Re-checks the run image and records the build image, then writes analyzed.toml back.
    fn update_analyzed(&self, mut analyzed: Analyzed) -> Result<Analyzed, Error> {
        let config = &self.config;
        if config.check_run_image && config.platform_api.restorer_checks_run_image() {
            self.check_run_image(&analyzed)?;
        }
        if let Some(reference) = &config.build_image {
            let read_error = |source| Error::ReadBuildImage {
                reference: reference.to_string(),
                source,
            };
            let image = self
                .store
                .read_manifest(reference, &config.platform)
                .map_err(|error| read_error(Some(error)))?
                .ok_or_else(|| read_error(None))?;
            analyzed.build_image = Some(ImageIdentifier {
                reference: (self.name_image)(reference, &image.digest),
            });
        }
        analyzed
            .write(&config.analyzed_path)
            .map_err(Error::file(&config.analyzed_path))?;
        Ok(analyzed)
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
        let listed = run.images.iter().any(|entry| {
            entry.image_name() == name || entry.mirror_names().iter().any(|mirror| mirror == name)
        });
        if !listed {
            return Ok(());
        }
        let readable = ImageRef::parse(name).is_ok_and(|reference| {
            matches!(self.store.read_manifest_raw(&reference, None), Ok(Some(_)))
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
