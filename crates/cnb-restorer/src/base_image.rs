//! Saving a base image for the extender (platform.md › restorer; Go `pullSparse`): the image a
//! reference names, resolved to the build's platform, copied from a registry into the store of
//! base images (`<kaniko-dir>/cache/base/<manifest digest>`, an OCI layout) under the same
//! digest: the config and every layer first, the manifest exactly as the registry serves it
//! last. Blobs already there (a kaniko volume kept between builds) are not fetched again.

use std::io;

use cnb_image::{Descriptor, Image, ImageRef, ImageStore, Platform, StoreError};

/// Copies the image `reference` names in `from` into `to`; returns it (manifest and config).
/// `None` when `from` has no such image.
pub(crate) fn save_base_image(
    from: &dyn ImageStore,
    to: &dyn ImageStore,
    reference: &ImageRef,
    platform: &Platform,
) -> Result<Option<Image>, StoreError> {
    let Some(image) = from.read_image(reference, platform)? else {
        return Ok(None);
    };
    let resolved = &image.manifest;
    let target = reference.with_digest(resolved.digest);
    let manifest = &resolved.manifest;
    for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
        copy_blob(from, reference, blob, to, &target)?;
    }
    to.write_manifest(
        std::slice::from_ref(&target),
        &manifest.content_type(),
        &resolved.bytes,
    )?;
    tracing::debug!(
        "Saved {reference} ({} layers) as base image {}",
        manifest.layers.len(),
        resolved.digest
    );
    Ok(Some(image))
}

/// Streams `blob` from `source` in `from` to `target` in `to`, unless `to` has it; the copy
/// must hash to the blob's digest.
fn copy_blob(
    from: &dyn ImageStore,
    source: &ImageRef,
    blob: &Descriptor,
    to: &dyn ImageStore,
    target: &ImageRef,
) -> Result<(), StoreError> {
    if to.has_blob(target, &blob.digest)? {
        return Ok(());
    }
    let mut reader =
        from.open_blob(source, &blob.digest)?
            .ok_or_else(|| StoreError::MissingBlob {
                reference: source.to_string(),
                digest: blob.digest,
            })?;
    let mut writer = to.blob_writer(target, blob.media_type.clone())?;
    io::copy(&mut reader, &mut writer).map_err(|error| StoreError::WriteBlob {
        reference: target.to_string(),
        source: error.into(),
    })?;
    let written = writer.finish()?;
    if written.digest != blob.digest {
        return Err(StoreError::WriteBlob {
            reference: target.to_string(),
            source: format!(
                "blob {} arrived as {}: the registry served other bytes",
                blob.digest, written.digest
            )
            .into(),
        });
    }
    Ok(())
}
