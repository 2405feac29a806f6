//! The seam between phases and wherever images live: [`ImageStore`] (a registry, an OCI layout
//! directory, a Docker daemon) and [`BlobWriter`] (an upload whose digest is known when it
//! ends). Both are synchronous; a backend that needs async keeps its runtime to itself.
//!
//! A Docker daemon keeps images, not manifests and blobs: its store presents each image as a
//! manifest it makes up (layers named by their diffIDs, uncompressed), identifies images by
//! image ID ([`ImageIdentity::DaemonId`]), takes uncompressed layers
//! ([`ImageStore::layer_media_type`]) and needs a layer's size before its bytes
//! ([`ImageStore::blob_writer_sized`]), because it streams each layer as one entry of the tar
//! it loads.

use std::io::{self, Read};

use crate::{
    Descriptor, Digest, ImageConfig, ImageIdentity, ImageRef, Index, Manifest, MediaType, Platform,
    StoreError,
};

/// The most bytes a manifest or index may have: 4 MiB, the size the OCI distribution spec
/// says registries should accept at least, and the most Distribution (`docker-registry`)
/// stores. Far above any real manifest; larger ones are refused before they are read whole
/// (the Go lifecycle reads up to 100 MiB).
pub const MANIFEST_LIMIT: u64 = 4 << 20;

/// The most bytes an image config may have: 32 MiB. Configs carry labels (older lifecycles
/// put a whole bill of materials into one), so this leaves ample room while keeping memory
/// bounded.
pub const CONFIG_LIMIT: u64 = 32 << 20;

/// The manifest a reference resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedManifest {
    /// The reference, pinned to the manifest's digest.
    pub reference: ImageRef,
    /// The manifest's digest (of `bytes`).
    pub digest: Digest,
    /// What the store knows the image by: the manifest digest, or a daemon's image ID.
    pub identity: ImageIdentity,
    /// The manifest exactly as stored (as made up, for a daemon image).
    pub bytes: Vec<u8>,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The index the manifest was chosen from, when the reference named an index.
    pub index: Option<Digest>,
}

/// A manifest and its config: what phases read of a base, previous or run image.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// The manifest.
    pub manifest: ResolvedManifest,
    /// The parsed config.
    pub config: ImageConfig,
}

impl Image {
    /// The manifest digest (what `skopeo inspect` prints as `Digest`). Files and labels name
    /// an image by its [`identity`](Self::identity) instead, which is the image ID in a daemon.
    pub fn digest(&self) -> Digest {
        self.manifest.digest
    }

    /// What the store knows the image by.
    pub fn identity(&self) -> ImageIdentity {
        self.manifest.identity
    }

    /// The label `key`, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.config.label(key)
    }
}

/// A blob upload: write the bytes, then [`finish`](BlobWriter::finish) to learn the
/// descriptor. Dropping a writer without finishing abandons the blob.
pub trait BlobWriter: io::Write + Send {
    /// Says what the blob is (`layer 'example/node:deps'`) for progress reports; called before
    /// the first write. Stores that report no progress ignore it (the default).
    fn describe(&mut self, what: &str) {
        let _ = what;
    }

    /// Says that the caller hashes the bytes it writes and will finish with
    /// [`finish_with_digest`](BlobWriter::finish_with_digest): a writer that hashes only to
    /// learn the digest may stop doing so. Called before the first write; the default ignores it.
    fn digest_follows(&mut self) {}

    /// Says that the caller can write the same bytes again: a store that would otherwise keep
    /// a copy of a large blob (a registry's spool file, to send it again when its streamed
    /// upload is cut off) need not, and finishing may then fail with
    /// [`StoreError::WriteAgain`], after which the caller writes the blob again to a new
    /// writer. Called before the first write; the default ignores it.
    fn can_write_again(&mut self) {}

    /// Completes the blob and returns its descriptor (media type, digest, size).
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError>;

    /// Completes a blob whose digest the caller computed over exactly the bytes it wrote. The
    /// default finishes as [`finish`](BlobWriter::finish) does and refuses another digest.
    fn finish_with_digest(self: Box<Self>, digest: Digest) -> Result<Descriptor, StoreError> {
        let descriptor = self.finish()?;
        if descriptor.digest != digest {
            return Err(StoreError::WriteBlob {
                reference: "the image being written".to_owned(),
                source: crate::BlobDigestError::Mismatch {
                    computed: descriptor.digest,
                    given: digest,
                }
                .into(),
            });
        }
        Ok(descriptor)
    }
}

/// Where images are read from and written to. All methods take the image reference they act
/// on, so one store serves many repositories.
pub trait ImageStore: Send + Sync {
    /// How errors name the image `reference` reads or writes: the reference itself, unless the
    /// store knows it better (a store at one layout directory names the directory).
    fn name_of(&self, reference: &ImageRef) -> String {
        reference.to_string()
    }

    /// The raw manifest or index `reference` names, with its media type, or `None` when there
    /// is none. With `child`, the manifest with that digest listed in the index `reference`
    /// names instead (in a registry, the same repository; in a layout, the same directory).
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError>;

    /// Opens blob `digest` in the repository of `reference`, or `None` when the store does not
    /// have it (a sparse OCI layout keeps no base layers).
    fn open_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError>;

    /// Whether blob `digest` is present in the repository of `reference`.
    fn has_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<bool, StoreError>;

    /// Makes blob `digest` present in the repository of `target` without sending its bytes,
    /// if the store can: it is there already, or one of `sources` (repositories of the same
    /// store) has it and can lend it. Returns whether the blob is now present.
    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        sources: &[ImageRef],
    ) -> Result<bool, StoreError>;

    /// Whether the repository of `reference` accepts writes from us, leaving at most an
    /// unreferenced blob behind. The default writes the empty layer tar (two zero blocks), a
    /// blob any cache image may hold anyway; a registry asks for an upload instead.
    fn check_write_access(&self, reference: &ImageRef) -> Result<(), StoreError> {
        self.write_blob(reference, MediaType::OciLayer, &[0; 1024])
            .map(drop)
    }

    /// Starts writing a blob of `media_type` into the repository of `target`.
    fn blob_writer(
        &self,
        target: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn BlobWriter>, StoreError>;

    /// Starts writing a blob of exactly `size` bytes. A store that must announce a blob's size
    /// before its bytes (a daemon streams each layer as one tar entry) sends as it is written
    /// instead of keeping a copy first; the writer fails when more or fewer bytes arrive. The
    /// default ignores the size.
    fn blob_writer_sized(
        &self,
        target: &ImageRef,
        media_type: MediaType,
        size: u64,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        let _ = size;
        self.blob_writer(target, media_type)
    }

    /// The media type new layers of an image with a manifest of `manifest_type` are written in:
    /// gzip-compressed, Docker or OCI typed as the manifest is, by default. A daemon takes
    /// uncompressed tars ([`MediaType::DockerLayer`]): it would only decompress them again.
    fn layer_media_type(&self, manifest_type: &MediaType) -> MediaType {
        if *manifest_type == MediaType::DockerManifest {
            MediaType::DockerLayerGzip
        } else {
            MediaType::OciLayerGzip
        }
    }

    /// Writes the manifest `bytes` under every reference in `targets` (the first is the image;
    /// the others are additional tags, possibly in other repositories of the same store).
    /// Every blob the manifest references must be present in every target's repository before
    /// any tag is written; otherwise nothing is tagged. Returns what the store now knows the
    /// image by: the manifest digest, or the image ID a daemon gave it.
    fn write_manifest(
        &self,
        targets: &[ImageRef],
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<ImageIdentity, StoreError>;

    /// Deletes the manifest `digest` from the repository of `reference`, and with it every
    /// tag naming it (the blobs stay). The Go lifecycle deletes the previous cache image this
    /// way below Platform API 0.13. A store that cannot delete says so in its error, which
    /// callers treat as a warning; this default is such a store.
    fn delete_manifest(&self, reference: &ImageRef, digest: &Digest) -> Result<(), StoreError> {
        Err(StoreError::DeleteManifest {
            reference: self.name_of(&reference.with_digest(*digest)),
            source: "this image store cannot delete images".into(),
        })
    }

    /// The image manifest `reference` names; an index (OCI or Docker manifest list) resolved
    /// to its first entry whose platform satisfies `platform`, which is the one place images
    /// are chosen by platform. `None` when the reference names nothing; an index without such
    /// an entry is [`StoreError::NoMatchingPlatform`], naming the platforms it offers.
    fn read_manifest(
        &self,
        reference: &ImageRef,
        platform: &Platform,
    ) -> Result<Option<ResolvedManifest>, StoreError> {
        let Some((media_type, bytes)) = self.read_manifest_raw(reference, None)? else {
            return Ok(None);
        };
        if !media_type.is_index() {
            let name = self.name_of(reference);
            return single_manifest(reference, &name, &media_type, bytes, None).map(Some);
        }
        let index = Index::from_json(&bytes).map_err(|source| StoreError::Parse {
            reference: self.name_of(reference),
            source,
        })?;
        let entry = index
            .find(platform)
            .ok_or_else(|| StoreError::NoMatchingPlatform {
                reference: self.name_of(reference),
                platform: platform.to_string().into(),
                offered: index.offered_platforms().join(", ").into(),
            })?;
        let pinned = reference.with_digest(entry.digest);
        let (media_type, entry_bytes) = self
            .read_manifest_raw(reference, Some(&entry.digest))?
            .ok_or_else(|| StoreError::MissingBlob {
                reference: self.name_of(reference),
                digest: entry.digest,
            })?;
        let name = self.name_of(&pinned);
        single_manifest(
            &pinned,
            &name,
            &media_type,
            entry_bytes,
            Some(Digest::of(&bytes)),
        )
        .map(Some)
    }

    /// The parsed config blob of `manifest`, refused when its descriptor says it is larger
    /// than [`CONFIG_LIMIT`] or the store sends more bytes than the descriptor says.
    fn read_config(
        &self,
        reference: &ImageRef,
        manifest: &Manifest,
    ) -> Result<ImageConfig, StoreError> {
        let descriptor = &manifest.config;
        if descriptor.size > CONFIG_LIMIT {
            return Err(StoreError::ConfigTooLarge {
                reference: self.name_of(reference),
                digest: descriptor.digest,
                limit: CONFIG_LIMIT,
            });
        }
        let reader = self
            .open_blob(reference, &descriptor.digest)?
            .ok_or_else(|| StoreError::MissingBlob {
                reference: self.name_of(reference),
                digest: descriptor.digest,
            })?;
        let mut bytes = Vec::new();
        // One byte more than the descriptor says tells a longer blob; reading to the end
        // of one of the right length lets the store check its digest.
        reader
            .take(descriptor.size + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| StoreError::ReadBlob {
                reference: self.name_of(reference),
                digest: descriptor.digest,
                source: source.into(),
            })?;
        if bytes.len() as u64 != descriptor.size {
            return Err(StoreError::SizeMismatch {
                reference: self.name_of(reference),
                digest: descriptor.digest,
                expected: descriptor.size,
            });
        }
        ImageConfig::from_json(&bytes).map_err(|source| StoreError::Parse {
            reference: self.name_of(reference),
            source,
        })
    }

    /// The image `reference` names (manifest and config), or `None`.
    fn read_image(
        &self,
        reference: &ImageRef,
        platform: &Platform,
    ) -> Result<Option<Image>, StoreError> {
        let Some(manifest) = self.read_manifest(reference, platform)? else {
            return Ok(None);
        };
        let config = self.read_config(reference, &manifest.manifest)?;
        Ok(Some(Image { manifest, config }))
    }

    /// The whole blob `digest`, which must be present.
    fn read_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<Vec<u8>, StoreError> {
        let mut reader =
            self.open_blob(reference, digest)?
                .ok_or_else(|| StoreError::MissingBlob {
                    reference: self.name_of(reference),
                    digest: *digest,
                })?;
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| StoreError::ReadBlob {
                reference: self.name_of(reference),
                digest: *digest,
                source: source.into(),
            })?;
        Ok(bytes)
    }

    /// Writes `bytes` as a blob of `media_type` into the repository of `target`.
    fn write_blob(
        &self,
        target: &ImageRef,
        media_type: MediaType,
        bytes: &[u8],
    ) -> Result<Descriptor, StoreError> {
        let mut writer = self.blob_writer(target, media_type)?;
        writer
            .write_all(bytes)
            .map_err(|source| StoreError::WriteBlob {
                reference: self.name_of(target),
                source: source.into(),
            })?;
        writer.finish()
    }

    /// Writes `config` as the config blob of `media_type` (OCI or Docker).
    fn write_config(
        &self,
        target: &ImageRef,
        media_type: MediaType,
        config: &ImageConfig,
    ) -> Result<Descriptor, StoreError> {
        self.write_blob(target, media_type, &config.to_json())
    }

    /// Writes `manifest` under `targets` (see [`ImageStore::write_manifest`]).
    fn write_image(
        &self,
        targets: &[ImageRef],
        manifest: &Manifest,
    ) -> Result<ImageIdentity, StoreError> {
        self.write_manifest(targets, &manifest.content_type(), &manifest.to_json())
    }
}

/// `bytes` as an image manifest, unless the media type says otherwise; errors call the image
/// `name`.
fn single_manifest(
    reference: &ImageRef,
    name: &str,
    media_type: &MediaType,
    bytes: Vec<u8>,
    index: Option<Digest>,
) -> Result<ResolvedManifest, StoreError> {
    if !media_type.is_manifest() && !looks_like_manifest(media_type, &bytes) {
        return Err(StoreError::UnsupportedMediaType {
            reference: name.to_owned(),
            media_type: media_type.clone(),
        });
    }
    let manifest = Manifest::from_json(&bytes).map_err(|source| StoreError::Parse {
        reference: name.to_owned(),
        source,
    })?;
    let digest = Digest::of(&bytes);
    Ok(ResolvedManifest {
        reference: reference.with_digest(digest),
        digest,
        identity: ImageIdentity::Manifest(digest),
        bytes,
        manifest,
        index,
    })
}

/// A manifest stored without a media type of its own (allowed by OCI) still has a config.
fn looks_like_manifest(media_type: &MediaType, bytes: &[u8]) -> bool {
    matches!(media_type, MediaType::Other(_))
        && serde_json::from_slice::<serde_json::Value>(bytes)
            .is_ok_and(|value| value.get("config").is_some() && value.get("manifests").is_none())
}

#[cfg(test)]
mod tests;
