//! The cache export: every `cache=true` layer with contents (and `<layers>/sbom/cache`) goes
//! to the volume or image cache, reused by diffID when unchanged, then the cache is committed
//! atomically. Failures of single layers are warnings; the caller treats a failed cache as a
//! warning too (a cache never fails an export).

use std::fs::File;
use std::io::{self, BufWriter, Seek};
use std::path::{Path, PathBuf};

use cnb_archive::{Owner, TarWriter, add_dir};
use cnb_cache::{Cache, ImageCache, ImageCacheWriter, VolumeCache, VolumeCacheWriter};
use cnb_files::TomlFile;
use cnb_files::analyzed::LayerSha;
use cnb_files::group::Group;
use cnb_files::labels::{BuildpackLayers as LabelBuildpack, CacheMetadata, LabelLayer};
use cnb_image::{Digest, ImageRef, ImageStore, Sha256Writer};
use cnb_layers::BuildpackLayers;

use crate::exporter::Exporter;
use crate::{Error, Result};

/// Where the cache goes, opened before the export (as Go does: a `-cache-dir` that does not
/// exist or a cache image that cannot be read fails the phase before any export work).
pub enum CacheTarget<'a> {
    /// `-cache-dir`, and what it held.
    Volume(PathBuf, VolumeCache),
    /// `-cache-image`, and what it held.
    Image(Box<ImageCache<'a>>),
}

impl<'a> CacheTarget<'a> {
    /// Opens the volume cache in `dir`.
    pub fn volume(dir: &Path) -> Result<Self, cnb_cache::Error> {
        Ok(Self::Volume(dir.to_owned(), VolumeCache::open(dir)?))
    }

    /// Opens the cache image `reference` in `store`.
    pub fn image(store: &'a dyn ImageStore, reference: ImageRef) -> Result<Self, cnb_cache::Error> {
        Ok(Self::Image(Box::new(ImageCache::open(store, reference)?)))
    }
}

enum Writer<'a> {
    Volume(VolumeCacheWriter),
    Image(Box<ImageCacheWriter<'a>>),
}

impl Writer<'_> {
    fn reuse(&mut self, diff_id: &str) -> Result<bool, cnb_cache::Error> {
        match self {
            Self::Volume(writer) => writer.reuse_layer(diff_id),
            Self::Image(writer) => writer.reuse_layer(diff_id),
        }
    }

    /// Adds the layer `id` from its tar.
    fn add(&mut self, id: &str, tar: File) -> Result<String, cnb_cache::Error> {
        match self {
            Self::Volume(writer) => writer.add_layer(tar),
            Self::Image(writer) => writer.add_layer(id, tar),
        }
    }

    fn commit(self, metadata: &CacheMetadata) -> Result<(), cnb_cache::Error> {
        match self {
            Self::Volume(writer) => writer.commit(metadata),
            Self::Image(writer) => (*writer).commit(metadata).map(drop),
        }
    }
}

impl Exporter<'_> {
    /// Writes the cache to `target`.
    pub fn cache(&self, target: CacheTarget<'_>) -> Result<()> {
        let config = self.config();
        let group =
            Group::read(&config.group_path).map_err(|error| Error::ReadGroup(Box::new(error)))?;
        let (previous, mut writer): (CacheMetadata, Writer<'_>) = match target {
            CacheTarget::Volume(dir, cache) => {
                if !cache.exists() {
                    tracing::info!("Layer cache not found");
                }
                let writer =
                    VolumeCacheWriter::new(&dir).map_err(|error| Error::Cache(Box::new(error)))?;
                (cache.metadata().clone(), Writer::Volume(writer))
            }
            CacheTarget::Image(cache) => {
                if !cache.exists() {
                    tracing::info!("Layer cache not found");
                }
                let metadata = cache.metadata().clone();
                let writer =
                    ImageCacheWriter::new(cache.store(), cache.reference().clone(), Some(*cache));
                (metadata, Writer::Image(Box::new(writer)))
            }
        };
        let owner = Owner::new(config.uid, config.gid);
        let mut metadata = CacheMetadata::default();
        for buildpack in &group.group {
            let entry = self.cache_buildpack(&mut writer, buildpack, &previous, owner)?;
            metadata.buildpacks.push(entry);
        }
        let sbom = config.layers_dir.join("sbom").join("cache");
        if config.platform_api.exports_sbom_layers() && sbom.is_dir() {
            let previous_sha = Some(previous.sbom.sha.as_str()).filter(|sha| !sha.is_empty());
            let sha = add_or_reuse(
                &mut writer,
                "buildpacksio/lifecycle:cache.sbom",
                &sbom,
                owner,
                previous_sha,
            )?;
            metadata.sbom = LayerSha { sha };
        }
        writer
            .commit(&metadata)
            .map_err(|error| Error::Cache(Box::new(error)))
    }

    /// Caches one buildpack's `cache=true` layers; returns its metadata entry.
    fn cache_buildpack(
        &self,
        writer: &mut Writer<'_>,
        buildpack: &cnb_files::group::GroupElement,
        previous: &CacheMetadata,
        owner: Owner,
    ) -> Result<LabelBuildpack> {
        let read = |source| Error::ReadLayers {
            buildpack: buildpack.id.clone(),
            source: Box::new(source),
        };
        let dir = BuildpackLayers::read(&self.config().layers_dir, &buildpack.id).map_err(read)?;
        let mut entry = LabelBuildpack {
            key: buildpack.id.clone(),
            version: buildpack.version.clone(),
            ..LabelBuildpack::default()
        };
        let before = previous.buildpack(&buildpack.id);
        for layer in dir.layers() {
            let Ok(layer_metadata) = layer.metadata() else {
                tracing::warn!(
                    "Failed to cache layer '{}' because of error reading metadata",
                    layer.identifier()
                );
                continue;
            };
            let types = layer_metadata.types.clone().unwrap_or_default();
            if !types.cache.unwrap_or(false) {
                continue;
            }
            if !layer.has_contents() {
                tracing::warn!(
                    "Failed to cache layer '{}' because it has no contents",
                    layer.identifier()
                );
                continue;
            }
            let previous_sha = before
                .and_then(|entry| entry.layers.get(layer.name()))
                .map(|layer| layer.sha.as_str());
            match add_or_reuse(
                writer,
                layer.identifier(),
                layer.path(),
                owner,
                previous_sha,
            ) {
                Ok(sha) => {
                    let data = layer_metadata
                        .metadata
                        .as_ref()
                        .map_or(serde_json::Value::Null, |table| {
                            serde_json::Value::Object(cnb_files::value::table_to_object(table))
                        });
                    entry.layers.insert(
                        layer.name().to_owned(),
                        LabelLayer {
                            sha,
                            data,
                            build: types.build.unwrap_or(false),
                            launch: types.launch.unwrap_or(false),
                            cache: true,
                        },
                    );
                }
                Err(error) => {
                    tracing::warn!(
                        "Failed to cache layer '{}': {}",
                        layer.identifier(),
                        cnb_api::one_line(&error)
                    );
                }
            }
        }
        Ok(entry)
    }
}

/// Archives `dir` into a temporary tar; reuses the cached copy when its diffID is
/// `previous_sha` and the cache still has it, else adds the tar.
fn add_or_reuse(
    writer: &mut Writer<'_>,
    id: &str,
    dir: &Path,
    owner: Owner,
    previous_sha: Option<&str>,
) -> Result<String> {
    let layer_error = |source| Error::CacheLayer {
        layer: id.to_owned(),
        source: Box::new(source),
    };
    let archive = Error::archive(id);
    let temp_error = |source| Error::Write {
        path: std::env::temp_dir(),
        source,
    };
    let mut file = tempfile::tempfile().map_err(temp_error)?;
    let mut tar = TarWriter::new(Sha256Writer::new(BufWriter::new(&mut file)));
    add_dir(&mut tar, Path::new("/"), dir, owner).map_err(archive)?;
    let (buffered, diff_id, _): (BufWriter<&mut File>, Digest, u64) =
        tar.finish().map_err(archive)?.finish();
    buffered
        .into_inner()
        .map_err(|error| temp_error(error.into_error()))?;
    let diff_id = diff_id.to_string();
    if previous_sha == Some(diff_id.as_str())
        && writer
            .reuse(&diff_id)
            .map_err(|source| layer_error(Error::Cache(Box::new(source))))?
    {
        tracing::info!("Reusing cache layer '{id}'");
        tracing::debug!("Layer '{id}' SHA: {diff_id}");
        return Ok(diff_id);
    }
    tracing::info!("Adding cache layer '{id}'");
    tracing::debug!("Layer '{id}' SHA: {diff_id}");
    file.seek(io::SeekFrom::Start(0)).map_err(temp_error)?;
    writer
        .add(id, file)
        .map_err(|source| layer_error(Error::Cache(Box::new(source))))
}
