//! Which run image a rebase moves to when the platform names none: the label's run image and
//! its mirrors, the one on the app image's registry first (spec-matrix §9, "Rebaser: the
//! same mirror choice against the label").

use cnb_api::PlatformApi;
use cnb_files::labels::LifecycleMetadata;
use cnb_files::run::RunImageForExport;
use cnb_image::{ImageRef, ImageStore};

use crate::{Error, Result};

/// The run image and mirrors the label records: `runImage` (P≥0.12, when it names an image),
/// else the deprecated `stack.runImage`; `None` when neither names one.
pub(crate) fn run_image_from_label(
    api: PlatformApi,
    metadata: &LifecycleMetadata,
) -> Option<RunImageForExport> {
    let run = &metadata.run_image;
    if api.rebase_tracks_run_image_name() && run.image.as_deref().is_some_and(|i| !i.is_empty()) {
        return Some(RunImageForExport {
            image: run.image.clone(),
            mirrors: run.mirrors.clone(),
        });
    }
    metadata
        .stack
        .as_ref()
        .map(|stack| stack.run_image.clone())
        .filter(|run| !run.image_name().is_empty())
}

/// Picks from `run` (the image, then its mirrors) the first readable name on `registry` (the
/// app image's), else the first readable name anywhere, with cnb-image's shared
/// [`select_run_image`](cnb_image::select_run_image); readable means the store has a manifest
/// under the name.
pub fn choose_run_image(
    store: &dyn ImageStore,
    registry: &str,
    run: &RunImageForExport,
) -> Result<String> {
    let names: Vec<&str> = std::iter::once(run.image_name())
        .chain(run.mirror_names().iter().map(String::as_str))
        .filter(|name| !name.is_empty())
        .collect();
    let readable = |image: &ImageRef| {
        store
            .read_manifest_raw(image, None)
            .is_ok_and(|found| found.is_some())
    };
    cnb_image::select_run_image(&names, registry, readable)
        .map(str::to_owned)
        .ok_or_else(|| Error::NoAccessibleRunImage {
            candidates: names.join(", "),
        })
}

/// The run image names the label of `source` records (the image, then its mirrors, as
/// [`choose_run_image`] would consider them), so that a caller can resolve credentials for
/// their registries before dropping privileges. Empty when the image or its label cannot be
/// read: the rebase itself reports that.
pub fn recorded_run_images(
    store: &dyn ImageStore,
    api: PlatformApi,
    source: &ImageRef,
    platform: &cnb_image::Platform,
) -> Vec<String> {
    let Ok(Some(app)) = store.read_image(source, platform) else {
        return Vec::new();
    };
    let label = app
        .label(cnb_files::labels::LIFECYCLE_METADATA)
        .unwrap_or_default();
    let Ok(metadata) = <LifecycleMetadata as cnb_files::JsonLabel>::from_label(label) else {
        return Vec::new();
    };
    run_image_from_label(api, &metadata)
        .map(|run| {
            std::iter::once(run.image_name().to_owned())
                .chain(run.mirror_names().iter().cloned())
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
