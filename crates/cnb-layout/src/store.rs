//! [`LayoutStore`]: the [`ImageStore`] over a root of layout directories.

use std::io::Read;
use std::path::{Path, PathBuf};

use cnb_image::{
    BlobWriter, Descriptor, Digest, ImageIdentity, ImageRef, ImageStore, Index, Manifest,
    MediaType, StoreError,
};

use crate::writer::LayoutBlobWriter;
use crate::{Error, Layout, layout_path};

/// Images stored as OCI layouts under `root`, one directory per reference.
#[derive(Debug, Clone)]
pub struct LayoutStore {
    root: PathBuf,
    sparse: bool,
    naming: Naming,
}

/// How a reference names a layout directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// The platform spec's mapping ([`layout_path`]).
    Reference,
    /// `<root>/<digest>`: digest references only.
    Digest,
    /// `root` itself, whatever the reference.
    Root,
}

/// Where the restorer keeps base images for the extender, under `<kaniko-dir>`.
const BASE_IMAGES: &str = "cache/base";

/// The layout directory of base image `digest` under `<kaniko-dir>`:
/// `<kaniko-dir>/cache/base/<hex of the manifest digest>`. The restorer writes it, the
/// extender reads it; this is the one place the name is made. (The Go lifecycle names it
/// `sha256:<hex>`; both ends are ours, and a colon-free name is friendlier to tools.)
pub fn base_image_dir(kaniko_dir: &Path, digest: &Digest) -> PathBuf {
    kaniko_dir.join(BASE_IMAGES).join(digest.hex())
}

impl LayoutStore {
    /// A store over `root`, which need not exist yet, with the platform spec's mapping from
    /// references to directories ([`layout_path`]). Writes are strict: every blob a manifest
    /// references must be present.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            sparse: false,
            naming: Naming::Reference,
        }
    }

    /// The one image in the layout directory `dir`, whatever reference names it (the
    /// extended run image the extender leaves in `<extended>/run/<digest>`).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            root: dir.into(),
            sparse: false,
            naming: Naming::Root,
        }
    }

    /// The base images the restorer saves for the extender: one layout per image at
    /// [`base_image_dir`], found by digest alone, whatever the repository. Only digest
    /// references map to a directory here.
    pub fn base_images(kaniko_dir: &Path) -> Self {
        Self {
            root: kaniko_dir.to_path_buf(),
            sparse: false,
            naming: Naming::Digest,
        }
    }

    /// Whether a written manifest may reference layers that are absent, as when the base
    /// image came from a sparse layout (the config must always be present).
    #[must_use]
    pub fn allow_sparse(mut self, allow: bool) -> Self {
        self.sparse = allow;
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The layout directory of `reference`.
    pub fn layout(&self, reference: &ImageRef) -> Result<Layout, Error> {
        match self.naming {
            Naming::Reference => layout_path(&self.root, reference).map(Layout::new),
            Naming::Root => Ok(Layout::new(&self.root)),
            Naming::Digest => match reference.digest() {
                Some(digest) => Ok(Layout::new(base_image_dir(&self.root, digest))),
                None => Err(Error::NotADigest {
                    reference: reference.to_string(),
                }),
            },
        }
    }

    fn read_layout(&self, reference: &ImageRef) -> Result<Layout, StoreError> {
        self.layout(reference)
            .map_err(|err| StoreError::ReadManifest {
                reference: reference.to_string(),
                source: err.into(),
            })
    }

    fn write_layout(&self, reference: &ImageRef) -> Result<Layout, StoreError> {
        self.layout(reference)
            .map_err(|err| StoreError::WriteManifest {
                reference: reference.to_string(),
                source: err.into(),
            })
    }

    /// Puts every blob in `blobs` into `layout`, linking from `primary` where needed.
    fn gather_blobs(
        &self,
        target: &ImageRef,
        layout: &Layout,
        primary: &Layout,
        blobs: &[Descriptor],
    ) -> Result<(), StoreError> {
        for blob in blobs {
            let present = layout.has_blob(&blob.digest)
                || layout
                    .link_blob_from(primary, &blob.digest)
                    .map_err(|err| StoreError::WriteManifest {
                        reference: target.to_string(),
                        source: err.into(),
                    })?;
            let may_be_absent = self.sparse && blob.media_type.is_layer();
            if !(present || may_be_absent) {
                return Err(StoreError::MissingBlob {
                    reference: target.to_string(),
                    digest: blob.digest,
                });
            }
        }
        Ok(())
    }
}

impl ImageStore for LayoutStore {
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        let layout = self.read_layout(reference)?;
        let found = match child {
            None => layout.root_manifest(),
            Some(digest) => layout
                .read_blob(digest)
                .map(|blob| blob.map(|bytes| (MediaType::of_manifest(&bytes), bytes))),
        };
        found.map_err(|err| StoreError::ReadManifest {
            reference: reference.to_string(),
            source: err.into(),
        })
    }

    fn open_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let fail = |err: Error| StoreError::ReadBlob {
            reference: reference.to_string(),
            digest: *digest,
            source: err.into(),
        };
        let layout = self.layout(reference).map_err(fail)?;
        let file = layout.open_blob(digest).map_err(fail)?;
        Ok(file.map(|file| Box::new(file) as Box<dyn Read + Send>))
    }

    fn has_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<bool, StoreError> {
        Ok(self.read_layout(reference)?.has_blob(digest))
    }

    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        sources: &[ImageRef],
    ) -> Result<bool, StoreError> {
        let fail = |err: Error| StoreError::WriteBlob {
            reference: target.to_string(),
            source: err.into(),
        };
        let layout = self.layout(target).map_err(fail)?;
        if layout.has_blob(digest) {
            return Ok(true);
        }
        for source in sources {
            let from = self.layout(source).map_err(fail)?;
            if layout.link_blob_from(&from, digest).map_err(fail)? {
                tracing::debug!(%digest, from = %source, to = %target, "linked blob");
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Drops the manifest from the reference's `index.json` (its blobs stay).
    fn delete_manifest(&self, reference: &ImageRef, digest: &Digest) -> Result<(), StoreError> {
        let delete_error = |err: Error| StoreError::DeleteManifest {
            reference: reference.with_digest(*digest).to_string(),
            source: err.into(),
        };
        let layout = self.layout(reference).map_err(delete_error)?;
        layout.remove_from_index(digest).map_err(delete_error)?;
        Ok(())
    }

    fn blob_writer(
        &self,
        target: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        let layout = self.layout(target).map_err(|err| StoreError::WriteBlob {
            reference: target.to_string(),
            source: err.into(),
        })?;
        Ok(Box::new(LayoutBlobWriter::new(
            layout,
            target.to_string(),
            media_type,
        )?))
    }

    fn write_manifest(
        &self,
        targets: &[ImageRef],
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<ImageIdentity, StoreError> {
        let Some(first) = targets.first() else {
            return Err(StoreError::WriteManifest {
                reference: String::new(),
                source: "no reference to write".into(),
            });
        };
        let blobs =
            referenced_blobs(media_type, bytes).map_err(|err| StoreError::WriteManifest {
                reference: first.to_string(),
                source: err.into(),
            })?;
        let primary = self.write_layout(first)?;
        let mut layouts = Vec::with_capacity(targets.len());
        for target in targets {
            let layout = self.write_layout(target)?;
            self.gather_blobs(target, &layout, &primary, &blobs)?;
            layouts.push((target, layout));
        }
        let digest = Digest::of(bytes);
        let descriptor = Descriptor::new(media_type.clone(), digest, bytes.len() as u64);
        for (target, layout) in layouts {
            layout
                .put_blob(bytes)
                .and_then(|_| layout.write_index(&descriptor, &target.identifier().to_string()))
                .map_err(|err| StoreError::WriteManifest {
                    reference: target.to_string(),
                    source: err.into(),
                })?;
            tracing::debug!(%digest, reference = %target, path = %layout.dir().display(), "wrote image");
        }
        Ok(ImageIdentity::Manifest(digest))
    }
}

/// The blobs a manifest (config and layers) or an index (its manifests) references.
fn referenced_blobs(media_type: &MediaType, bytes: &[u8]) -> Result<Vec<Descriptor>, Error> {
    if media_type.is_index() {
        let index = Index::from_json(bytes).map_err(|source| Error::ParseManifest { source })?;
        return Ok(index.manifests);
    }
    let manifest = Manifest::from_json(bytes).map_err(|source| Error::ParseManifest { source })?;
    Ok(manifest.blobs().cloned().collect())
}

#[cfg(test)]
mod tests;
