//! The restorer's wiring: the cache (`-cache-image` in a registry, else `-cache-dir`) and the
//! stores connected before privileges drop, then the phase (42).

use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_cache::{Cache, ImageCache, VolumeCache};
use cnb_image::{ImageIdentity, ImageRef};
use cnb_platform::Inputs;
use cnb_restorer::{Restorer, RestorerConfig};

use crate::stores::{Stores, own_platform};
use crate::{Failure, privileges};

/// Runs the restorer.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let invalid = |message: String| {
        Failure::message(
            ExitKind::InvalidArgs,
            format!("failed to resolve inputs: {message}"),
        )
    };
    let parse = |text: &str| ImageRef::parse(text).map_err(|error| invalid(error.to_string()));
    let cache_image = inputs.cache_image.as_deref().map(parse).transpose()?;
    let build_image = inputs.build_image.as_deref().map(parse).transpose()?;
    let images: Vec<String> = inputs
        .cache_image
        .iter()
        .chain(&inputs.build_image)
        .cloned()
        .collect();
    let stores = Stores::connect(inputs, &images, ExitKind::RestoreError)?;
    privileges::prepare(inputs)?;

    let cache: Option<Box<dyn Cache + '_>> = match (cache_image, &inputs.cache_dir) {
        (Some(reference), _) => Some(Box::new(ImageCache::open(&stores.registry, reference))),
        (None, Some(dir)) => Some(Box::new(VolumeCache::open(dir))),
        (None, None) => None,
    };
    let config = RestorerConfig {
        platform_api: inputs.platform_api,
        layers_dir: inputs.layers_dir.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        group_path: inputs.group_path.clone(),
        run_path: inputs.run_path.clone(),
        skip_layers: inputs.skip_layers,
        build_image,
        check_run_image: stores.layout.is_none(),
        platform: own_platform(),
        extract_root: PathBuf::from("/"),
    };
    let name_image = |reference: &ImageRef, identity: &ImageIdentity| identity.name(reference);
    Restorer::new(config, &stores.registry, cache.as_deref(), &name_image)
        .run()
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}
