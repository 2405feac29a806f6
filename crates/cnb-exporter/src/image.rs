//! The app image as it is assembled: the run image's layers (never re-uploaded: present
//! already, mounted from the run image's repository, or copied as a last resort), then each
//! new layer either reused from the previous image by diffID or streamed in one pass (tar →
//! diffID → gzip → digest → upload; a store that takes uncompressed layers gets the tar, its
//! size counted first when the store must know it before the bytes). The config and manifest
//! are written last.

use std::collections::BTreeMap;
use std::io;

use cnb_archive::{Compression, EntrySink, LayerWriter, TarSize, TarWriter};
use cnb_image::{
    Descriptor, Digest, History, Image, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest,
    MediaType, Sha256Writer, StoreError,
};

use crate::{Error, Result};

/// Writes a layer's entries.
pub(crate) type WriteEntries<'w> = &'w dyn Fn(&mut dyn EntrySink) -> cnb_archive::Result<()>;

/// An image from which layers can be lent: its repository and its layers by diffID.
pub(crate) struct Lender {
    reference: ImageRef,
    by_diff_id: BTreeMap<Digest, Descriptor>,
}

impl Lender {
    pub(crate) fn new(reference: ImageRef, image: &Image) -> Self {
        let by_diff_id = image
            .config
            .rootfs
            .diff_ids
            .iter()
            .copied()
            .zip(image.manifest.manifest.layers.iter().cloned())
            .collect();
        Self {
            reference,
            by_diff_id,
        }
    }
}

/// The image being assembled.
pub(crate) struct ImageBuilder<'a> {
    store: &'a dyn ImageStore,
    target: ImageRef,
    previous: Option<Lender>,
    base_manifest: Manifest,
    config: ImageConfig,
    layer_type: MediaType,
    compression: Compression,
    layers: Vec<Descriptor>,
    history: Vec<History>,
    reused: usize,
}

impl<'a> ImageBuilder<'a> {
    /// Starts from `base` (the run image at `base_ref`): its layers are made present in the
    /// target's repository and its config is kept, with the history normalised to one entry
    /// per layer as imgutil does.
    pub(crate) fn new(
        store: &'a dyn ImageStore,
        target: ImageRef,
        base_ref: &ImageRef,
        base: Image,
        previous: Option<Lender>,
    ) -> Result<Self> {
        let base_manifest = base.manifest.manifest;
        for layer in &base_manifest.layers {
            let present = store
                .reuse_blob(&target, &layer.digest, std::slice::from_ref(base_ref))
                .map_err(|source| Error::CopyBaseLayer {
                    digest: layer.digest,
                    source: Box::new(source),
                })?;
            // A sparse base (an OCI layout without base layers) may lend nothing; whether the
            // target may lack the blob is the store's decision when the manifest is written.
            if !present {
                copy_blob(store, base_ref, layer, &target).map_err(|source| {
                    Error::CopyBaseLayer {
                        digest: layer.digest,
                        source: Box::new(source),
                    }
                })?;
            }
        }
        let mut config = base.config;
        let layer_count = config.rootfs.diff_ids.len();
        let kept: Vec<History> = config
            .history
            .iter()
            .filter(|entry| !entry.empty_layer)
            .cloned()
            .collect();
        let history = if kept.len() == layer_count {
            kept
        } else {
            vec![History::default(); layer_count]
        };
        config.history = Vec::new();
        config.other.remove("container");
        let layer_type = store.layer_media_type(&base_manifest.content_type());
        let compression =
            Compression::for_media_type(&layer_type).ok_or_else(|| Error::LayerMediaType {
                media_type: layer_type.clone(),
            })?;
        Ok(Self {
            store,
            target,
            previous,
            layers: base_manifest.layers.clone(),
            base_manifest,
            config,
            layer_type,
            compression,
            history,
            reused: 0,
        })
    }

    /// How many layers were lent by the previous image so far.
    pub(crate) fn reused(&self) -> usize {
        self.reused
    }

    /// The config so far (the base's, plus the diffIDs added).
    pub(crate) fn config_mut(&mut self) -> &mut ImageConfig {
        &mut self.config
    }

    /// The previous image's layer with `diff_id`, made present in the target.
    fn lend(&self, diff_id: &Digest) -> Result<Option<Descriptor>, StoreError> {
        let Some(previous) = &self.previous else {
            return Ok(None);
        };
        let Some(blob) = previous.by_diff_id.get(diff_id) else {
            return Ok(None);
        };
        let sources = std::slice::from_ref(&previous.reference);
        if !self.store.reuse_blob(&self.target, &blob.digest, sources)?
            && !copy_blob(self.store, &previous.reference, blob, &self.target)?
        {
            return Ok(None);
        }
        Ok(Some(blob.clone()))
    }

    fn push(&mut self, blob: Descriptor, diff_id: Digest, created_by: &str) {
        self.layers.push(blob);
        self.config.rootfs.diff_ids.push(diff_id);
        self.history.push(History {
            created_by: Some(created_by.to_owned()),
            ..History::default()
        });
    }

    /// Reuses the previous image's layer `diff_id`, which must be there.
    pub(crate) fn reuse(&mut self, id: &str, created_by: &str, diff_id: &str) -> Result<()> {
        let missing = || Error::MissingPreviousLayer {
            layer: id.to_owned(),
            diff_id: diff_id.to_owned(),
        };
        let parsed: Digest = diff_id.parse().map_err(|_| missing())?;
        let upload = |source| Error::Upload {
            layer: id.to_owned(),
            source: Box::new(source),
        };
        let blob = self.lend(&parsed).map_err(upload)?.ok_or_else(missing)?;
        tracing::info!("Reusing layer '{id}'");
        tracing::debug!("Layer '{id}' SHA: {diff_id}");
        self.reused += 1;
        self.push(blob, parsed, created_by);
        Ok(())
    }

    /// Adds the layer `write` makes. When its diffID is one of `reusable` and the previous
    /// image has it, the previous blob is reused and nothing is uploaded; the tar is then
    /// read twice (once to hash it). Returns the diffID.
    pub(crate) fn add(
        &mut self,
        id: &str,
        created_by: &str,
        reusable: &[&str],
        write: WriteEntries<'_>,
    ) -> Result<Digest> {
        let archive = |source| Error::Archive {
            layer: id.to_owned(),
            source: Box::new(source),
        };
        let upload = |source| Error::Upload {
            layer: id.to_owned(),
            source: Box::new(source),
        };
        if self.previous.is_some() && reusable.iter().any(|sha| !sha.is_empty()) {
            let diff_id = diff_id_of(write).map_err(archive)?;
            if reusable.contains(&diff_id.to_string().as_str())
                && let Some(blob) = self.lend(&diff_id).map_err(upload)?
            {
                tracing::info!("Reusing layer '{id}'");
                tracing::debug!("Layer '{id}' SHA: {diff_id}");
                self.reused += 1;
                self.push(blob, diff_id, created_by);
                return Ok(diff_id);
            }
        }
        let sink = if self.compression == Compression::None {
            let mut size = TarSize::new();
            write(&mut size).map_err(archive)?;
            self.store
                .blob_writer_sized(&self.target, self.layer_type.clone(), size.total())
        } else {
            self.store
                .blob_writer(&self.target, self.layer_type.clone())
        }
        .map_err(upload)?;
        let mut layer = LayerWriter::new(sink, self.compression).map_err(archive)?;
        write(&mut layer).map_err(archive)?;
        let (sink, digests) = layer.finish().map_err(archive)?;
        let mut blob = sink.finish().map_err(upload)?;
        blob.media_type = self.layer_type.clone();
        tracing::info!("Adding layer '{id}'");
        tracing::debug!("Layer '{id}' SHA: {}", digests.diff_id);
        self.push(blob, digests.diff_id, created_by);
        Ok(digests.diff_id)
    }

    /// Writes the config (with `created` on it and on every history entry; history kept
    /// only with `with_history`) and the manifest under every target. Returns what the store
    /// knows the image by and the manifest's size.
    pub(crate) fn save(
        mut self,
        targets: &[ImageRef],
        created: &str,
        with_history: bool,
    ) -> Result<(ImageIdentity, usize)> {
        self.config.created = Some(created.to_owned());
        self.config.history = self
            .history
            .into_iter()
            .map(|entry| {
                let entry = if with_history {
                    entry
                } else {
                    History::default()
                };
                History {
                    created: Some(created.to_owned()),
                    ..entry
                }
            })
            .collect();
        let config_type = if self.base_manifest.media_type == Some(MediaType::DockerManifest) {
            MediaType::DockerConfig
        } else {
            MediaType::OciConfig
        };
        let config = self
            .store
            .write_config(&self.target, config_type, &self.config)
            .map_err(|error| Error::Save(Box::new(error)))?;
        let mut manifest = Manifest::new(self.base_manifest.content_type(), config, self.layers);
        manifest.annotations = self.base_manifest.annotations;
        let size = manifest.to_json().len();
        let identity = self
            .store
            .write_image(targets, &manifest)
            .map_err(|error| Error::Save(Box::new(error)))?;
        Ok((identity, size))
    }
}

/// The diffID of the layer `write` makes, without keeping it.
fn diff_id_of(write: WriteEntries<'_>) -> cnb_archive::Result<Digest> {
    let mut tar = TarWriter::new(Sha256Writer::new(io::sink()));
    write(&mut tar)?;
    let (_, diff_id, _) = tar.finish()?.finish();
    Ok(diff_id)
}

/// Streams blob `blob` from `from` into `to` (another repository or registry); false when
/// `from` does not have it.
fn copy_blob(
    store: &dyn ImageStore,
    from: &ImageRef,
    blob: &Descriptor,
    to: &ImageRef,
) -> Result<bool, StoreError> {
    let Some(mut reader) = store.open_blob(from, &blob.digest)? else {
        return Ok(false);
    };
    let mut writer = store.blob_writer(to, blob.media_type.clone())?;
    io::copy(&mut reader, &mut writer).map_err(|source| StoreError::WriteBlob {
        reference: to.to_string(),
        source: source.into(),
    })?;
    writer.finish().map(|_| true)
}
