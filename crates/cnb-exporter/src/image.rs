//! The app image as it is assembled: the run image's layers (never re-uploaded: present
//! already, mounted from the run image's repository, or copied as a last resort), then each
//! new layer either reused from the previous image by diffID or streamed in one pass (tar →
//! diffID → gzip → digest → upload; a store that takes uncompressed layers gets the tar, its
//! size counted first when the store must know it before the bytes). New layers are planned
//! first and made together by [`ImageBuilder::make_layers`], several at a time (bounded by the
//! cores; the gzip blocks of all of them share one pool of compression threads), and take
//! their planned places in the manifest whatever order they finish in. The config and
//! manifest are written last.

use std::collections::BTreeMap;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use cnb_archive::{Compression, EntrySink, LayerWriter, TarSize, TarWriter};
use cnb_image::{
    Descriptor, Digest, History, Image, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest,
    MediaType, Sha256Writer, StoreError,
};

use crate::{Error, Result};

/// Writes a layer's entries (possibly on another thread, possibly more than once: to hash
/// it, to size it, to write it again when its upload was cut off).
pub(crate) type WriteEntries<'w> =
    dyn Fn(&mut dyn EntrySink) -> cnb_archive::Result<()> + Send + Sync + 'w;

/// At most this many layers are made at once (and never more than there are cores): each
/// holds a few compressed blocks and an upload buffer in memory.
const MAX_PARALLEL_LAYERS: usize = 4;

/// Times a layer is written before a cut-off upload fails the export: a registry store
/// streams a large layer without keeping a copy of it, and asks for it again when the
/// upload is cut off ([`StoreError::WriteAgain`]); each attempt comes with the store's own
/// retries of its requests.
const WRITE_ATTEMPTS: u32 = 3;

/// A new layer's place among the layers added to the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayerHandle(usize);

/// A layer planned by [`ImageBuilder::add`].
struct Planned<'a> {
    id: String,
    created_by: String,
    reusable: Vec<String>,
    write: Box<WriteEntries<'a>>,
}

/// A layer made (or lent by the previous image).
struct Made {
    id: String,
    created_by: String,
    blob: Descriptor,
    diff_id: Digest,
    reused: bool,
}

enum Slot<'a> {
    Planned(Planned<'a>),
    Made(Made),
}

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
    /// The layers added to the base, in image order.
    slots: Vec<Slot<'a>>,
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
        compression: Compression,
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
        // The store chooses the layer type (a daemon takes plain tars); gzip layers get the
        // configured engine.
        let layer_type = store.layer_media_type(&base_manifest.content_type());
        let compression = match Compression::for_media_type(&layer_type) {
            Some(Compression::Gzip { .. }) => compression,
            Some(other) => other,
            None => {
                return Err(Error::LayerMediaType {
                    media_type: layer_type,
                });
            }
        };
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
            slots: Vec::new(),
        })
    }

    /// Whether the layer at `handle` was lent by the previous image (after
    /// [`Self::make_layers`]).
    pub(crate) fn was_reused(&self, handle: LayerHandle) -> bool {
        matches!(&self.slots[handle.0], Slot::Made(made) if made.reused)
    }

    /// The diffID of the layer at `handle` (after [`Self::make_layers`]).
    pub(crate) fn diff_id(&self, handle: LayerHandle) -> Option<Digest> {
        match &self.slots[handle.0] {
            Slot::Made(made) => Some(made.diff_id),
            Slot::Planned(_) => None,
        }
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

    /// Reuses the previous image's layer `diff_id`, which must be there.
    pub(crate) fn reuse(&mut self, id: &str, created_by: &str, diff_id: &str) -> Result<()> {
        let missing = || Error::MissingPreviousLayer {
            layer: id.to_owned(),
            diff_id: diff_id.to_owned(),
        };
        let parsed: Digest = diff_id.parse().map_err(|_| missing())?;
        let blob = self
            .lend(&parsed)
            .map_err(Error::upload(id))?
            .ok_or_else(missing)?;
        self.slots.push(Slot::Made(Made {
            id: id.to_owned(),
            created_by: created_by.to_owned(),
            blob,
            diff_id: parsed,
            reused: true,
        }));
        Ok(())
    }

    /// Plans the layer `write` makes, to be made by [`Self::make_layers`]. When its diffID
    /// is one of `reusable` and the previous image has it, the previous blob is reused and
    /// nothing is uploaded; the tar is then read twice (once to hash it).
    pub(crate) fn add(
        &mut self,
        id: &str,
        created_by: &str,
        reusable: &[&str],
        write: impl Fn(&mut dyn EntrySink) -> cnb_archive::Result<()> + Send + Sync + 'a,
    ) -> LayerHandle {
        self.slots.push(Slot::Planned(Planned {
            id: id.to_owned(),
            created_by: created_by.to_owned(),
            reusable: reusable
                .iter()
                .filter(|sha| !sha.is_empty())
                .map(|sha| (*sha).to_owned())
                .collect(),
            write: Box::new(write),
        }));
        LayerHandle(self.slots.len() - 1)
    }

    /// Makes every planned layer, several at a time, and logs each (`Adding layer` or
    /// `Reusing layer`) in image order. The first failure stops the others from starting.
    pub(crate) fn make_layers(&mut self) -> Result<()> {
        let mut slots = std::mem::take(&mut self.slots);
        let planned: Vec<(usize, &Planned<'a>)> = slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| match slot {
                Slot::Planned(planned) => Some((index, planned)),
                Slot::Made(_) => None,
            })
            .collect();
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let workers = cores.min(MAX_PARALLEL_LAYERS).min(planned.len()).max(1);
        let this = &*self;
        let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
        let mut made: BTreeMap<usize, Made> = BTreeMap::new();
        let mut first_error = None;
        std::thread::scope(|scope| {
            let (done, results) = mpsc::channel();
            for _ in 0..workers {
                let (done, planned, next, failed) = (done.clone(), &planned, &next, &failed);
                scope.spawn(move || {
                    while !failed.load(Ordering::SeqCst) {
                        let Some(&(index, layer)) =
                            planned.get(next.fetch_add(1, Ordering::SeqCst))
                        else {
                            break;
                        };
                        let result = this.make(layer);
                        if result.is_err() {
                            failed.store(true, Ordering::SeqCst);
                        }
                        if done.send((index, result)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done);
            let mut logged = 0;
            for (index, result) in results {
                match result {
                    Ok(layer) => {
                        made.insert(index, layer);
                    }
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
                while logged < slots.len() {
                    let layer = match &slots[logged] {
                        Slot::Made(layer) => layer,
                        Slot::Planned(_) => match made.get(&logged) {
                            Some(layer) => layer,
                            None => break,
                        },
                    };
                    log(layer);
                    logged += 1;
                }
            }
        });
        if let Some(error) = first_error {
            return Err(error);
        }
        for (index, layer) in made {
            slots[index] = Slot::Made(layer);
        }
        for slot in &slots {
            if let Slot::Made(layer) = slot {
                self.layers.push(layer.blob.clone());
                self.config.rootfs.diff_ids.push(layer.diff_id);
                self.history.push(History {
                    created_by: Some(layer.created_by.clone()),
                    ..History::default()
                });
            }
        }
        self.slots = slots;
        Ok(())
    }

    /// Makes one planned layer: lent by the previous image when its diffID is reusable
    /// there, else streamed to the store, again when the store asks for it again.
    fn make(&self, layer: &Planned<'_>) -> Result<Made> {
        let id = &layer.id;
        let (archive, upload) = (Error::archive(id), Error::upload(id));
        let made = |blob, diff_id, reused| Made {
            id: id.clone(),
            created_by: layer.created_by.clone(),
            blob,
            diff_id,
            reused,
        };
        if self.previous.is_some() && !layer.reusable.is_empty() {
            let diff_id = diff_id_of(&*layer.write).map_err(archive)?;
            if layer.reusable.contains(&diff_id.to_string())
                && let Some(blob) = self.lend(&diff_id).map_err(upload)?
            {
                return Ok(made(blob, diff_id, true));
            }
        }
        let mut attempt = 1;
        loop {
            match self.stream(layer) {
                Err(Error::Upload { source, .. })
                    if matches!(*source, StoreError::WriteAgain { .. })
                        && attempt < WRITE_ATTEMPTS =>
                {
                    tracing::debug!(
                        error = &*source as &dyn std::error::Error,
                        attempt,
                        "writing layer '{id}' again"
                    );
                    attempt += 1;
                }
                Err(err) => return Err(err),
                Ok((blob, diff_id)) => return Ok(made(blob, diff_id, false)),
            }
        }
    }

    /// Streams one planned layer to the store: its blob and diffID. The store keeps no copy
    /// of the bytes (it may ask for them again, see [`WRITE_ATTEMPTS`]).
    fn stream(&self, layer: &Planned<'_>) -> Result<(Descriptor, Digest)> {
        let id = &layer.id;
        let (archive, upload) = (Error::archive(id), Error::upload(id));
        let mut sink = if self.compression == Compression::None {
            let mut size = TarSize::new();
            (layer.write)(&mut size).map_err(archive)?;
            self.store
                .blob_writer_sized(&self.target, self.layer_type.clone(), size.total())
        } else {
            self.store
                .blob_writer(&self.target, self.layer_type.clone())
        }
        .map_err(upload)?;
        sink.describe(&format!("layer '{id}'"));
        // The layer writer hashes what it writes (diffID and digest): the store need not.
        sink.digest_follows();
        // A layer's files can be read again: the store need not keep its bytes.
        sink.can_write_again();
        let mut writer = LayerWriter::new(sink, self.compression).map_err(archive)?;
        (layer.write)(&mut writer).map_err(archive)?;
        let (sink, digests) = writer.finish().map_err(archive)?;
        let mut blob = sink.finish_with_digest(digests.digest).map_err(upload)?;
        blob.media_type = self.layer_type.clone();
        Ok((blob, digests.diff_id))
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

/// Logs a layer made or lent, as the Go lifecycle does.
fn log(layer: &Made) {
    let id = &layer.id;
    if layer.reused {
        tracing::info!("Reusing layer '{id}'");
    } else {
        tracing::info!("Adding layer '{id}'");
    }
    tracing::debug!("Layer '{id}' SHA: {}", layer.diff_id);
}

/// The diffID of the layer `write` makes, without keeping it.
fn diff_id_of(write: &WriteEntries<'_>) -> cnb_archive::Result<Digest> {
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
    writer.describe(&format!("layer {}", blob.digest.short()));
    io::copy(&mut reader, &mut writer).map_err(|source| StoreError::WriteBlob {
        reference: to.to_string(),
        source: source.into(),
    })?;
    writer.finish().map(|_| true)
}
