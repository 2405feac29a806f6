//! The restorer's wiring, one for the `restorer` command and the creator: the cache image and
//! build image validated (3) before anything is connected; then, with the stores open and
//! privileges dropped, the cache (`-cache-image` in a registry, else `-cache-dir`), the base
//! images saved for the extender under `<kaniko-dir>/cache/base`, and the phase (42).

use std::path::PathBuf;

use cnb_api::{ExitKind, Phase};
use cnb_cache::{Cache, ImageCache, VolumeCache};
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_image::{ImageIdentity, ImageRef, Platform};
use cnb_layout::LayoutStore;
use cnb_platform::Inputs;
use cnb_restorer::{Restorer, RestorerConfig, RestorerStores};

use crate::references::parse_optional;
use crate::stores::Stores;
use crate::{Failure, privileges};

/// Runs the restorer.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let targets = RestoreTargets::resolve(inputs)?;
    let stores = Stores::connect(inputs, &targets.images(), ExitKind::RestoreError)?;
    privileges::prepare(inputs)?;
    restore(inputs, &targets, &stores)
}

/// The images the restorer reads, validated.
pub(crate) struct RestoreTargets {
    cache_image: Option<ImageRef>,
    build_image: Option<ImageRef>,
    /// Every image named, for the keychain.
    names: Vec<String>,
}

impl RestoreTargets {
    /// Validates `-cache-image` and `-build-image` (3 for a bad one).
    pub(crate) fn resolve(inputs: &Inputs) -> Result<Self, Failure> {
        // The run image analyzed.toml names may be saved or resolved for image extensions.
        let run_image = Analyzed::read_optional(&inputs.analyzed_path)
            .ok()
            .flatten()
            .and_then(|analyzed| analyzed.run_image)
            .and_then(|run_image| run_image.image);
        Ok(Self {
            cache_image: parse_optional(inputs.cache_image.as_deref())?,
            build_image: parse_optional(inputs.build_image.as_deref())?,
            names: inputs
                .cache_image
                .iter()
                .chain(&inputs.build_image)
                .chain(&run_image)
                .filter(|name| !name.is_empty())
                .cloned()
                .collect(),
        })
    }

    /// Every image named, for the keychain.
    pub(crate) fn images(&self) -> Vec<String> {
        self.names.clone()
    }
}

/// Restores the layer metadata, the cached layers and `store.toml`.
pub(crate) fn restore(
    inputs: &Inputs,
    targets: &RestoreTargets,
    stores: &Stores,
) -> Result<(), Failure> {
    // A cache that cannot be opened fails the phase (1), as in Go.
    let cache: Option<Box<dyn Cache + '_>> = match (&targets.cache_image, &inputs.cache_dir) {
        (Some(reference), _) => Some(Box::new(
            ImageCache::open(&stores.registry, reference.clone()).map_err(|error| {
                Failure::new(ExitKind::Failed, Some("create image cache"), &error)
            })?,
        )),
        (None, Some(dir)) => Some(Box::new(VolumeCache::open(dir).map_err(|error| {
            Failure::new(ExitKind::Failed, Some("create volume cache"), &error)
        })?)),
        (None, None) => None,
    };
    let config = RestorerConfig {
        platform_api: inputs.platform_api,
        layers_dir: inputs.layers_dir.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        group_path: inputs.group_path.clone(),
        run_path: inputs.run_path.clone(),
        skip_layers: inputs.skip_layers,
        build_image: targets.build_image.clone(),
        // The restorer re-checks the run image (Platform API 0.14); Go's creator does not,
        // and nothing is checked in a layout or a daemon.
        check_run_image: inputs.phase == Phase::Restorer && !stores.local_images(),
        use_layout: stores.layout.is_some(),
        platform: Platform::own(),
        extract_root: PathBuf::from("/"),
    };
    let name_image =
        |reference: &ImageRef, identity: &ImageIdentity| stores.name_image(reference, identity);
    let base_images = LayoutStore::base_images(&inputs.kaniko_dir);
    let restorer_stores = RestorerStores {
        registry: &stores.registry,
        images: stores.images(),
        name_image: &name_image,
        base_images: &base_images,
    };
    Restorer::new(config, restorer_stores, cache.as_deref())
        .run()
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}
