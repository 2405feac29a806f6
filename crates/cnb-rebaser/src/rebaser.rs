//! [`Rebaser`]: reads the app image and the new run image, validates, swaps the base, updates
//! the labels, makes every layer present in the output repository without sending its bytes,
//! and writes the config and the manifest to every tag.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use cnb_files::labels::LifecycleMetadata;
use cnb_files::report::{ImageReport, Report};
use cnb_files::{JsonLabel, TomlFile};
use cnb_image::{Descriptor, Image, ImageIdentity, ImageRef, ImageStore, Manifest, StoreError};

use crate::metadata::{app_platform_api, update_metadata};
use crate::select::{choose_run_image, run_image_from_label};
use crate::swap::{swap_base, sync_labels};
use crate::validate::validate;
use crate::{Error, RebaseRequest, Rebased, RebaserConfig, Result};

/// The rebaser over one store. Run images read once are kept for the rebaser's lifetime, so
/// a fleet of apps on the same base reads it once.
pub struct Rebaser<'a> {
    config: RebaserConfig,
    store: &'a dyn ImageStore,
    run_images: Mutex<BTreeMap<String, Arc<Image>>>,
    /// Held while a run image is read, so that the workers of a fleet that all start on the
    /// same base read it once, not once each.
    reading_run_image: Mutex<()>,
}

impl<'a> Rebaser<'a> {
    /// A rebaser writing through `store`.
    pub fn new(config: RebaserConfig, store: &'a dyn ImageStore) -> Self {
        Self {
            config,
            store,
            run_images: Mutex::new(BTreeMap::new()),
            reading_run_image: Mutex::new(()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RebaserConfig {
        &self.config
    }

    /// Rebases `request.source` onto the new run image and writes the result to every target.
    /// Nothing is written when validation fails.
    pub fn rebase(&self, request: &RebaseRequest) -> Result<Rebased> {
        self.rebase_noting_source(request, &mut None)
    }

    /// [`Rebaser::rebase`], noting the app image's identity in `old` as soon as it is known.
    pub(crate) fn rebase_noting_source(
        &self,
        request: &RebaseRequest,
        old: &mut Option<ImageIdentity>,
    ) -> Result<Rebased> {
        let source = &request.source;
        let Some(output) = request.targets.first() else {
            return Err(Error::NoTarget);
        };
        let app = self.read_app(source)?;
        *old = Some(app.identity());
        let mut metadata = LifecycleMetadata::from_label(
            app.label(cnb_files::labels::LIFECYCLE_METADATA)
                .unwrap_or_default(),
        )
        .map_err(|source_error| Error::ParseMetadata {
            reference: source.to_string(),
            source: Box::new(source_error),
        })?;
        let run_name = self.run_image_name(source, &metadata)?;
        let new_base = self.read_run_image(&run_name, &app)?;
        validate(
            &app.config,
            &new_base.config,
            app_platform_api(&app, source)?,
            self.config.force,
        )?;
        let mut swapped = swap_base(&app, &new_base, &metadata.run_image.top_layer)?;
        update_metadata(
            &mut metadata,
            &run_name,
            &new_base,
            self.config.platform_api,
            self.config.force,
        )?;
        let label = metadata
            .to_label()
            .map_err(|error| Error::EncodeMetadata(Box::new(error)))?;
        swapped
            .config
            .set_label(cnb_files::labels::LIFECYCLE_METADATA, &label);
        let with_base = self.config.platform_api.rebase_tracks_run_image_name();
        sync_labels(&mut swapped.config, &new_base.config, with_base);

        // Blobs are lent by the images as named: a layout maps a digest reference elsewhere.
        let run_ref = ImageRef::parse(&run_name).map_err(Error::ParseReference)?;
        let base_count = new_base.manifest.manifest.layers.len();
        for (index, layer) in swapped.layers.iter().enumerate() {
            let from = if index < base_count { &run_ref } else { source };
            self.place_layer(output, layer, from, &[source.clone(), run_ref.clone()])?;
        }
        let write_error = |source_error| Error::WriteImage {
            reference: output.to_string(),
            source: source_error,
        };
        let config_type = app.manifest.manifest.config.media_type.clone();
        let config_descriptor = self
            .store
            .write_config(output, config_type, &swapped.config)
            .map_err(write_error)?;
        let mut manifest: Manifest = app.manifest.manifest.clone();
        manifest.config = config_descriptor;
        manifest.layers = swapped.layers;
        let bytes = manifest.to_json();
        let new_image = self
            .store
            .write_manifest(request.targets.as_slice(), &manifest.content_type(), &bytes)
            .map_err(write_error)?;
        let tags: Vec<String> = request.targets.iter().map(ToString::to_string).collect();
        tracing::info!("*** Images ({}):", new_image.short());
        for tag in &tags {
            tracing::info!("      {tag}");
        }
        match new_image {
            ImageIdentity::Manifest(digest) => tracing::debug!("*** Digest: {digest}"),
            ImageIdentity::DaemonId(id) => tracing::debug!("*** Image ID: {}", id.hex()),
        }
        Ok(Rebased {
            old_image: app.identity(),
            new_image,
            manifest_size: bytes.len() as u64,
            run_image: run_name,
            run_image_identity: new_base.identity(),
            tags,
        })
    }

    fn read_app(&self, source: &ImageRef) -> Result<Image> {
        self.store
            .read_image(source, &self.config.platform)
            .map_err(|error| Error::ReadAppImage {
                reference: source.to_string(),
                source: error,
            })?
            .ok_or_else(|| Error::AppImageNotFound {
                reference: source.to_string(),
            })
    }

    /// `-run-image`, else the best of the label's run image and mirrors.
    fn run_image_name(&self, source: &ImageRef, metadata: &LifecycleMetadata) -> Result<String> {
        if let Some(name) = self.config.run_image.as_ref().filter(|n| !n.is_empty()) {
            return Ok(name.clone());
        }
        let run = run_image_from_label(self.config.platform_api, metadata)
            .ok_or(Error::NoRunImageMetadata)?;
        let chosen = choose_run_image(self.store, source.registry(), &run)?;
        tracing::debug!(run_image = %chosen, "chose run image from the label");
        Ok(chosen)
    }

    /// The run image `name` for the app's platform, read once per rebaser (one read at a time).
    fn read_run_image(&self, name: &str, app: &Image) -> Result<Arc<Image>> {
        let platform = app.config.platform();
        let key = format!("{name} {platform}");
        let cached = || {
            self.run_images
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned()
        };
        if let Some(image) = cached() {
            return Ok(image);
        }
        let _reading = self
            .reading_run_image
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(image) = cached() {
            return Ok(image);
        }
        let reference = ImageRef::parse(name).map_err(Error::ParseReference)?;
        let image = self
            .store
            .read_image(&reference, &platform)
            .map_err(|error| Error::ReadRunImage {
                reference: name.to_owned(),
                source: error,
            })?
            .ok_or_else(|| Error::RunImageNotFound {
                reference: name.to_owned(),
            })?;
        let image = Arc::new(image);
        self.run_images
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&image));
        Ok(image)
    }

    /// Makes `layer` present in `output`: there already, lent by one of `sources`, or copied
    /// from `from` as a last resort.
    fn place_layer(
        &self,
        output: &ImageRef,
        layer: &Descriptor,
        from: &ImageRef,
        sources: &[ImageRef],
    ) -> Result<()> {
        let place_error = |source| Error::PlaceLayer {
            reference: output.to_string(),
            digest: layer.digest.to_string(),
            source,
        };
        if self
            .store
            .reuse_blob(output, &layer.digest, sources)
            .map_err(place_error)?
        {
            return Ok(());
        }
        tracing::debug!(digest = %layer.digest, %from, to = %output, "copying layer");
        let mut reader = self
            .store
            .open_blob(from, &layer.digest)
            .map_err(place_error)?
            .ok_or_else(|| {
                place_error(StoreError::MissingBlob {
                    reference: from.to_string(),
                    digest: layer.digest,
                })
            })?;
        let mut writer = self
            .store
            .blob_writer(output, layer.media_type.clone())
            .map_err(place_error)?;
        writer.describe(&format!("layer {}", layer.digest.short()));
        io::copy(&mut reader, &mut writer).map_err(|error| {
            place_error(StoreError::WriteBlob {
                reference: output.to_string(),
                source: error.into(),
            })
        })?;
        let written = writer.finish().map_err(place_error)?;
        if written.digest != layer.digest {
            return Err(Error::CopiedDigest {
                reference: output.to_string(),
                digest: layer.digest.to_string(),
                got: written.digest.to_string(),
            });
        }
        Ok(())
    }

    /// Writes report.toml for `rebased` at `path`: `[image]` with the tags, the digest (the
    /// image ID without `sha256:` in a daemon, as Go writes it) and the manifest size.
    pub fn write_report(path: &Path, rebased: &Rebased) -> Result<()> {
        let report = Report {
            build: None,
            image: ImageReport {
                tags: rebased.tags.clone(),
                image_id: rebased.new_image.image_id(),
                digest: rebased.new_image.manifest_digest().map(ToString::to_string),
                manifest_size: i64::try_from(rebased.manifest_size).ok(),
            },
        };
        report.write(path).map_err(|source| Error::WriteReport {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }
}
