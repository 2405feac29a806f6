//! The lifecycle metadata label after a rebase: `runImage.topLayer` and `reference` from the
//! new base; from P0.12 the new run image must be named in the label (`runImage` or the
//! deprecated `stack`), or with `-force` becomes its image, mirrors cleared. Also the
//! Platform API the app image records, which decides how it is validated.

use cnb_api::{PlatformApi, Version};
use cnb_files::labels::{LabelStack, LifecycleMetadata};
use cnb_files::run::RunImageForExport;
use cnb_image::{Image, ImageRef};

use crate::{Error, Result};

/// `topLayer` and `reference` from the new base; from P0.12 a name the label does not
/// list fails, or with `-force` becomes the label's run image.
pub(crate) fn update_metadata(
    metadata: &mut LifecycleMetadata,
    run_name: &str,
    new_base: &Image,
    api: PlatformApi,
    force: bool,
) -> Result<()> {
    let top = new_base.config.rootfs.diff_ids.last().copied();
    metadata.run_image.top_layer = top.map(|id| id.to_string()).unwrap_or_default();
    metadata.run_image.reference = new_base.identity().name(&new_base.manifest.reference);
    if !api.rebase_tracks_run_image_name() || names(metadata, run_name) {
        return Ok(());
    }
    let existing = existing_run_image(metadata);
    if !force {
        return Err(Error::RunImageNotInMetadata {
            name: run_name.to_owned(),
            existing,
        });
    }
    tracing::warn!(
        "rebase app image: new base image '{run_name}' not found in existing run image metadata: {existing}"
    );
    metadata.run_image.image = Some(run_name.to_owned());
    metadata.run_image.mirrors = Some(Vec::new());
    metadata.stack = Some(LabelStack {
        run_image: RunImageForExport {
            image: Some(run_name.to_owned()),
            mirrors: Some(Vec::new()),
        },
    });
    Ok(())
}

/// Whether the label lists `name` as its run image or a mirror (in `runImage` or `stack`),
/// comparing names as Go's `Contains` does: fully qualified, with the tag (`latest` when
/// none), a digest ignored.
fn names(metadata: &LifecycleMetadata, name: &str) -> bool {
    let wanted = comparable(name);
    let run = &metadata.run_image;
    let listed =
        run.image
            .iter()
            .chain(run.mirrors.iter().flatten())
            .chain(metadata.stack.iter().flat_map(|stack| {
                stack
                    .run_image
                    .image
                    .iter()
                    .chain(stack.run_image.mirrors.iter().flatten())
            }));
    listed
        .filter(|listed| !listed.is_empty())
        .any(|listed| comparable(listed) == wanted)
}

/// `name` without its digest, fully qualified with its tag; as given when it does not parse.
fn comparable(name: &str) -> String {
    let without_digest = name.split_once("@sha256:").map_or(name, |(name, _)| name);
    ImageRef::parse(without_digest).map_or_else(|_| name.to_owned(), |image| image.to_string())
}

/// The label's run image metadata as JSON for messages, or `not found`.
fn existing_run_image(metadata: &LifecycleMetadata) -> String {
    if metadata
        .run_image
        .image
        .as_deref()
        .is_some_and(|i| !i.is_empty())
    {
        return serde_json::to_string(&metadata.run_image).unwrap_or_default();
    }
    match &metadata.stack {
        Some(stack) => serde_json::to_string(&stack.run_image).unwrap_or_default(),
        None => "not found".to_owned(),
    }
}

/// The app image's recorded Platform API; `None` when it records none.
pub(crate) fn app_platform_api(app: &Image, source: &ImageRef) -> Result<Option<PlatformApi>> {
    let Some(value) = app
        .config
        .env(cnb_api::env::PLATFORM_API)
        .filter(|value| !value.is_empty())
    else {
        return Ok(None);
    };
    let version: Version = value.parse().map_err(|_| Error::AppPlatformApi {
        reference: source.to_string(),
        value: value.to_owned(),
    })?;
    Ok(Some(PlatformApi::recorded(version)))
}

#[cfg(test)]
mod tests;
