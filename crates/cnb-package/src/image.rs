//! Writing one image into an OCI layout directory: layers streamed straight into
//! `blobs/sha256` (gzip, normalised tar), base layers linked from another layout, then the
//! config, the manifest and `index.json`. Nothing depends on the clock: the config and every
//! history entry carry the normalised time, so the same inputs give the same digests.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cnb_archive::{Compression, EntrySink, LayerWriter};
use cnb_image::{Descriptor, Digest, History, ImageConfig, Manifest, MediaType};
use cnb_layout::Layout;

use crate::{Error, Result};

/// The normalised time (Go lifecycle's `1980-01-01T00:00:01Z`) of the config and history.
pub(crate) const NORMALIZED_TIME: &str = "1980-01-01T00:00:01Z";

/// An image being written into a layout.
pub(crate) struct ImageWriter {
    layout: Layout,
    layers: Vec<Descriptor>,
    config: ImageConfig,
}

impl ImageWriter {
    /// Starts an image over `config` (its `rootfs` and `history` describe the layers already
    /// added with [`Self::add_base_layer`]) in the layout at `dir`, which must be absent,
    /// empty or an OCI layout (whose `index.json` the image will replace).
    pub(crate) fn create(dir: &Path, mut config: ImageConfig) -> Result<Self> {
        check_output_dir(dir)?;
        let layout = Layout::new(dir);
        layout.init()?;
        config.rootfs.diff_ids.clear();
        config.created = Some(NORMALIZED_TIME.to_owned());
        Ok(Self {
            layout,
            layers: Vec::new(),
            config,
        })
    }

    /// The config, to set labels, env, user and working dir on.
    pub(crate) fn config_mut(&mut self) -> &mut ImageConfig {
        &mut self.config
    }

    /// Reuses a layer of the image in `base`, hard-linking (or copying) its blob.
    pub(crate) fn add_base_layer(
        &mut self,
        base: &Layout,
        layer: &Descriptor,
        diff_id: Digest,
    ) -> Result<()> {
        if !self.layout.link_blob_from(base, &layer.digest)? {
            return Err(Error::Base {
                path: base.dir().to_owned(),
                reason: format!("layer {} is not in the layout", layer.digest),
            });
        }
        self.layers.push(layer.clone());
        self.config.rootfs.diff_ids.push(diff_id);
        Ok(())
    }

    /// Writes a new layer whose entries `add` appends, recorded in the history as `name`;
    /// returns its diffID.
    pub(crate) fn add_layer(
        &mut self,
        name: &str,
        add: impl FnOnce(&mut dyn EntrySink) -> cnb_archive::Result<()>,
    ) -> Result<Digest> {
        let blobs = self.blobs_dir();
        let temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&blobs)
            .map_err(|source| Error::Write {
                path: blobs.clone(),
                source,
            })?;
        let layer_error = |source| Error::Layer {
            layer: name.to_owned(),
            source,
        };
        let mut writer = LayerWriter::new(temp, Compression::gzip()).map_err(layer_error)?;
        add(&mut writer).map_err(layer_error)?;
        let (temp, digests) = writer.finish().map_err(layer_error)?;
        let target = self.layout.blob_path(&digests.digest);
        persist(temp, &target)?;
        self.layers.push(digests.descriptor());
        self.config.rootfs.diff_ids.push(digests.diff_id);
        self.config.history.push(History {
            created: Some(NORMALIZED_TIME.to_owned()),
            created_by: Some(name.to_owned()),
            ..History::default()
        });
        Ok(digests.diff_id)
    }

    /// Writes the config, the manifest and `index.json` (naming the image `tag`); returns the
    /// manifest digest.
    pub(crate) fn finish(self, tag: &str) -> Result<Digest> {
        let layout = self.layout.clone();
        let descriptor = self.finish_untagged()?;
        layout.write_index(&descriptor, tag)?;
        Ok(descriptor.digest)
    }

    /// Writes the config and the manifest, leaving `index.json` alone; returns the manifest's
    /// descriptor.
    pub(crate) fn finish_untagged(self) -> Result<Descriptor> {
        let config_bytes = self.config.to_json();
        let config_digest = self.layout.put_blob(&config_bytes)?;
        let config = Descriptor::new(
            MediaType::OciConfig,
            config_digest,
            config_bytes.len() as u64,
        );
        let manifest = Manifest::new(MediaType::OciManifest, config, self.layers);
        let manifest_bytes = manifest.to_json();
        let digest = self.layout.put_blob(&manifest_bytes)?;
        Ok(Descriptor::new(
            MediaType::OciManifest,
            digest,
            manifest_bytes.len() as u64,
        ))
    }

    fn blobs_dir(&self) -> PathBuf {
        self.layout.dir().join("blobs").join("sha256")
    }
}

/// Refuses a directory that holds something other than an OCI layout.
fn check_output_dir(dir: &Path) -> Result<()> {
    let read_error = |source| Error::Read {
        path: dir.to_owned(),
        source,
    };
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            let empty = entries.next().transpose().map_err(read_error)?.is_none();
            if empty || dir.join("oci-layout").is_file() {
                Ok(())
            } else {
                Err(Error::NotALayout {
                    path: dir.to_owned(),
                })
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(read_error(error)),
    }
}

/// Makes a finished blob world-readable and moves it to `target`.
fn persist(temp: tempfile::NamedTempFile, target: &Path) -> Result<()> {
    let write_error = |source| Error::Write {
        path: target.to_owned(),
        source,
    };
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(write_error)?;
    temp.persist(target)
        .map_err(|error| write_error(error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnb_archive::Header;

    fn write_image(dir: &Path) -> Digest {
        let mut image = ImageWriter::create(dir, ImageConfig::default()).unwrap();
        image
            .add_layer("a dir", |sink| {
                sink.append(&Header::directory("/a", 0o755), &mut std::io::empty())
            })
            .unwrap();
        image.config_mut().set_label("k", "v");
        image.finish("t").unwrap()
    }

    #[test]
    fn writes_a_layout_skopeo_style_readers_find_by_tag() {
        let temp = tempfile::tempdir().unwrap();
        let digest = write_image(temp.path());
        let layout = Layout::new(temp.path());
        let (index, _) = layout.read_index().unwrap().unwrap();
        assert_eq!(index.manifests[0].digest, digest);
        assert_eq!(
            index.manifests[0].annotations[cnb_layout::REF_NAME_ANNOTATION],
            "t"
        );
        let manifest = Manifest::from_json(&layout.read_blob(&digest).unwrap().unwrap()).unwrap();
        let config = layout.read_blob(&manifest.config.digest).unwrap().unwrap();
        let config = ImageConfig::from_json(&config).unwrap();
        assert_eq!(config.rootfs.diff_ids.len(), 1);
        assert_eq!(config.label("k"), Some("v"));
        assert_eq!(config.created.as_deref(), Some(NORMALIZED_TIME));
    }

    #[test]
    fn the_same_image_twice_has_the_same_digest() {
        let temp = tempfile::tempdir().unwrap();
        let first = write_image(&temp.path().join("a"));
        let second = write_image(&temp.path().join("b"));
        assert_eq!(first, second);
        assert_eq!(
            write_image(&temp.path().join("a")),
            first,
            "rewritten in place"
        );
    }

    #[test]
    fn refuses_a_dir_that_is_not_a_layout() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("precious"), "x").unwrap();
        let error = ImageWriter::create(temp.path(), ImageConfig::default())
            .err()
            .unwrap();
        assert!(error.to_string().contains("refusing"), "{error}");
    }
}
