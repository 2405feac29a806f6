//! The extended run image (platform.md › exporter, extender; Go `getExtendedConfig`,
//! `addExtensionLayers`): the extender leaves it in `<extended>/run/<digest>` as a sparse OCI
//! layout whose manifest lists the run image's layers followed by the extensions' layers, of
//! which only the latter are present. Those layers go on top of the run image, each written
//! again as the lifecycle writes layers, with the history entry the extender gave it; when
//! `analyzed.toml` says the run image is extended, the extended config's runtime settings
//! (env, user, labels, entrypoint, …) replace the run image's.

use cnb_archive::add_layer_entries;
use cnb_image::{History, Image, ImageRef, ImageStore};

use super::Exporter;
use crate::image::ImageBuilder;
use crate::{Error, Result};

/// Where the extended run image is: a store over its layout, and a reference it answers to.
#[derive(Clone, Copy)]
pub struct ExtendedRunImage<'a> {
    /// The store over `<extended>/run/<digest>`.
    pub store: &'a dyn ImageStore,
    /// Any reference the store serves the image under.
    pub reference: &'a ImageRef,
}

/// The history of an extension layer names the extension after this.
const CREATED_BY_EXTENSION: &str = ", Created by extension: ";

impl<'a> Exporter<'a> {
    /// The extended run image, if the platform gave one.
    pub(super) fn read_extended(&self) -> Result<Option<Image>> {
        let Some(extended) = self.extended else {
            return Ok(None);
        };
        let read_error = |source| Error::ReadExtendedRunImage {
            source: Box::new(source),
        };
        extended
            .store
            .read_image(extended.reference, &self.config.platform)
            .map_err(read_error)
    }

    /// Adds the extensions' layers of `image` (those whose blob the layout holds), in image
    /// order. They are never reused from the previous image.
    pub(super) fn extension_layers(
        &self,
        builder: &mut ImageBuilder<'a>,
        image: &Image,
    ) -> Result<()> {
        let Some(extended) = self.extended else {
            return Ok(());
        };
        let layered: Vec<&History> = image
            .config
            .history
            .iter()
            .filter(|entry| !entry.empty_layer)
            .collect();
        for (index, layer) in image.manifest.manifest.layers.iter().enumerate() {
            let present = extended
                .store
                .has_blob(extended.reference, &layer.digest)
                .map_err(|source| Error::ReadExtendedRunImage {
                    source: Box::new(source),
                })?;
            if !present {
                continue; // a run image layer
            }
            let created_by = layered
                .get(index)
                .and_then(|entry| entry.created_by.clone())
                .unwrap_or_default();
            let extension = created_by
                .split_once(CREATED_BY_EXTENSION)
                .map_or("from extensions", |(_, id)| id);
            let id = format!("{extension}:extended-layer-{index}");
            let digest = layer.digest;
            builder.add(&id, &created_by, &[], move |sink| {
                let blob = extended
                    .store
                    .open_blob(extended.reference, &digest)
                    .map_err(|error| cnb_archive::Error::ReadArchive {
                        source: std::io::Error::other(error),
                    })?
                    .ok_or_else(|| cnb_archive::Error::ReadArchive {
                        source: std::io::Error::other(format!("blob {digest} is missing")),
                    })?;
                add_layer_entries(sink, blob)
            });
        }
        Ok(())
    }
}
