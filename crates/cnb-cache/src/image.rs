//! The image cache (Go's format): an image built from nothing, whose layers are the cached
//! layer tars and whose `io.buildpacks.lifecycle.cache.metadata` label is the metadata. Layers
//! added from a tar stream are stored uncompressed, so their digest is their diffID; layers
//! carried over are reused from the previous cache image by diffID. The manifest is written
//! last, so until a commit completes the tag still names the previous cache. Below Platform
//! API 0.13 the previous cache image is then deleted when the new one differs, as Go does
//! (a registry that refuses deletion only earns a warning).

use std::io::{self, Read};

use cnb_files::JsonLabel;
use cnb_files::labels::CacheMetadata;
use cnb_image::{
    Descriptor, Digest, Image, ImageConfig, ImageRef, ImageStore, Manifest, MediaType, Platform,
    RootFs, StoreError,
};

use crate::{Cache, Error};

/// The tar of an empty layer: two zero blocks. Some registries refuse images without layers.
const EMPTY_TAR: [u8; 1024] = [0; 1024];

/// A cache image opened for reading.
pub struct ImageCache<'a> {
    store: &'a dyn ImageStore,
    reference: ImageRef,
    image: Option<Image>,
    metadata: CacheMetadata,
    /// Whether a new cache image written over this one deletes it.
    delete_when_replaced: bool,
}

impl<'a> ImageCache<'a> {
    /// Opens the cache image `reference`. A missing image reads as empty, and so do one the
    /// registry refuses to show us (warned about: Go's imgutil takes a 401 for "not found")
    /// and an index without an image for this platform (warned about: imgutil reads it as an
    /// empty image); any other failure to read it is an error (Go fails the phase with 1). An
    /// unreadable label is warned about and reads as empty.
    pub fn open(store: &'a dyn ImageStore, reference: ImageRef) -> Result<Self, Error> {
        let image = match store.read_image(&reference, &Platform::own()) {
            Ok(image) => image,
            Err(
                error @ (StoreError::Unauthorized { .. } | StoreError::NoMatchingPlatform { .. }),
            ) => {
                tracing::warn!(
                    "ignoring cache image {reference}: {}",
                    cnb_api::one_line(&error)
                );
                None
            }
            Err(source) => {
                return Err(Error::Store {
                    reference: reference.to_string(),
                    source,
                });
            }
        };
        let label = image
            .as_ref()
            .and_then(|image| image.label(CacheMetadata::LABEL));
        let metadata = match label.map(CacheMetadata::from_label) {
            Some(Ok(metadata)) => metadata,
            Some(Err(error)) => {
                tracing::warn!("ignoring cache metadata of {reference}: {error}");
                CacheMetadata::default()
            }
            None => CacheMetadata::default(),
        };
        Ok(Self {
            store,
            reference,
            image,
            metadata,
            delete_when_replaced: false,
        })
    }

    /// Makes a new cache image written over this one delete it when it differs (Go below
    /// Platform API 0.13).
    #[must_use]
    pub fn delete_when_replaced(mut self, delete: bool) -> Self {
        self.delete_when_replaced = delete;
        self
    }

    /// The store the cache image is read from.
    pub fn store(&self) -> &'a dyn ImageStore {
        self.store
    }

    /// The cache image.
    pub fn reference(&self) -> &ImageRef {
        &self.reference
    }

    /// The blob holding the layer `diff_id`.
    fn blob(&self, diff_id: &str) -> Option<&Descriptor> {
        let image = self.image.as_ref()?;
        let index = image
            .config
            .rootfs
            .diff_ids
            .iter()
            .position(|id| id.to_string() == diff_id)?;
        image.manifest.manifest.layers.get(index)
    }
}

impl Cache for ImageCache<'_> {
    fn exists(&self) -> bool {
        self.image.is_some()
    }

    fn metadata(&self) -> &CacheMetadata {
        &self.metadata
    }

    fn open_layer(&self, diff_id: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        let missing = || Error::MissingLayer {
            diff_id: diff_id.to_owned(),
        };
        let blob = self.blob(diff_id).ok_or_else(missing)?;
        self.store
            .open_blob(&self.reference, &blob.digest)
            .map_err(|source| Error::Store {
                reference: self.reference.to_string(),
                source,
            })?
            .ok_or_else(missing)
    }
}

/// A new cache image, written on [`commit`](Self::commit).
pub struct ImageCacheWriter<'a> {
    store: &'a dyn ImageStore,
    target: ImageRef,
    previous: Option<ImageCache<'a>>,
    layers: Vec<(Descriptor, Digest)>,
}

impl<'a> ImageCacheWriter<'a> {
    /// Starts a cache image to be written as `target`, reusing layers of `previous`.
    pub fn new(
        store: &'a dyn ImageStore,
        target: ImageRef,
        previous: Option<ImageCache<'a>>,
    ) -> Self {
        Self {
            store,
            target,
            previous,
            layers: Vec::new(),
        }
    }

    fn store_error(&self) -> impl FnOnce(cnb_image::StoreError) -> Error {
        let reference = self.target.to_string();
        move |source| Error::Store { reference, source }
    }

    /// Adds the layer `id` (a name for progress reports) from its uncompressed tar stream;
    /// returns its diffID.
    pub fn add_layer(&mut self, id: &str, mut tar: impl Read) -> Result<String, Error> {
        let mut writer = self
            .store
            .blob_writer(&self.target, MediaType::OciLayer)
            .map_err(self.store_error())?;
        writer.describe(&format!("cache layer '{id}'"));
        io::copy(&mut tar, &mut writer).map_err(|source| Error::Store {
            reference: self.target.to_string(),
            source: cnb_image::StoreError::WriteBlob {
                reference: self.target.to_string(),
                source: source.into(),
            },
        })?;
        let descriptor = writer.finish().map_err(self.store_error())?;
        let diff_id = descriptor.digest;
        self.layers.push((descriptor, diff_id));
        Ok(diff_id.to_string())
    }

    /// Carries the layer `diff_id` over from the previous cache image. Returns whether the
    /// previous image had it.
    pub fn reuse_layer(&mut self, diff_id: &str) -> Result<bool, Error> {
        let Some(previous) = &self.previous else {
            return Ok(false);
        };
        let Some(blob) = previous.blob(diff_id).cloned() else {
            return Ok(false);
        };
        let Ok(parsed) = diff_id.parse::<Digest>() else {
            return Ok(false);
        };
        let sources = [previous.reference.clone()];
        let present = self
            .store
            .reuse_blob(&self.target, &blob.digest, &sources)
            .map_err(self.store_error())?;
        if present {
            self.layers.push((blob, parsed));
        }
        Ok(present)
    }

    /// Writes the config with `metadata` as its label, then the manifest under the target.
    pub fn commit(mut self, metadata: &CacheMetadata) -> Result<Digest, Error> {
        if self.layers.is_empty() {
            self.add_layer("empty", &EMPTY_TAR[..])?;
        }
        let label = metadata.to_label().map_err(Error::EncodeMetadata)?;
        let platform = Platform::own();
        let mut config = ImageConfig {
            architecture: platform.architecture,
            os: platform.os,
            rootfs: RootFs {
                diff_ids: self.layers.iter().map(|(_, diff_id)| *diff_id).collect(),
                ..RootFs::default()
            },
            ..ImageConfig::default()
        };
        config.set_label(CacheMetadata::LABEL, &label);
        let config = self
            .store
            .write_config(&self.target, MediaType::OciConfig, &config)
            .map_err(self.store_error())?;
        let layers = self.layers.iter().map(|(blob, _)| blob.clone()).collect();
        let manifest = Manifest::new(MediaType::OciManifest, config, layers);
        let digest = self
            .store
            .write_image(std::slice::from_ref(&self.target), &manifest)
            .map(|identity| *identity.digest())
            .map_err(self.store_error())?;
        self.delete_replaced(&digest);
        Ok(digest)
    }

    /// Deletes the previous cache image when asked to and it differs from `written`; a
    /// failure is a warning.
    fn delete_replaced(&self, written: &Digest) {
        let Some(previous) = self.previous.as_ref().filter(|p| p.delete_when_replaced) else {
            return;
        };
        let Some(old) = previous.image.as_ref().map(Image::digest) else {
            return;
        };
        if old == *written {
            return;
        }
        match self.store.delete_manifest(&previous.reference, &old) {
            Ok(()) => tracing::debug!(
                "Deleted previous cache image {}@{old}",
                previous.reference.context()
            ),
            Err(error) => tracing::warn!(
                "Unable to delete cache image: {}",
                cnb_api::one_line(&error)
            ),
        }
    }
}

#[cfg(test)]
mod tests;
