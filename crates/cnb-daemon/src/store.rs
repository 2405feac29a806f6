//! [`DaemonStore`]: the [`ImageStore`] over one daemon. Reads inspect images (cached per name);
//! writes gather an image's blobs into a session (see `writer.rs`) and
//! [`write_manifest`](ImageStore::write_manifest) sends it as one load (see `save_image.rs`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cnb_cache::LaunchCache;
use cnb_image::{
    BlobWriter, Digest, Image, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest,
    MediaType, Platform, Progress, Sha256Writer, Silent, StoreError,
};
use tempfile::TempDir;

use crate::Error;
use crate::client::DaemonClient;
use crate::host::ApiVersion;
use crate::image::DaemonImage;
use crate::name::daemon_name;
use crate::save::SavedImage;
use crate::writer::{ConfigWriter, SPOOL_BELOW, SharedSession, SpooledLayer, StreamedLayer, lock};

/// Images in a Docker daemon, with an optional launch cache of layer tars.
pub struct DaemonStore {
    pub(crate) shared: Arc<Shared>,
}

/// What the store and its writers share. `state` comes first so that it is dropped first: an
/// unfinished load is aborted while the client's runtime still runs.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) launch_cache: Option<LaunchCache>,
    pub(crate) platform: Platform,
    pub(crate) client: DaemonClient,
    /// Told about layers as they stream into a load.
    pub(crate) progress: Arc<dyn Progress>,
}

/// What the store has learnt and holds while it works.
#[derive(Default)]
pub(crate) struct State {
    /// Inspected images by the name they were asked for; `None` when absent.
    pub(crate) names: BTreeMap<String, Option<Arc<DaemonImage>>>,
    /// Images known to be in the daemon, by ID: their layer chains exist there.
    pub(crate) known: BTreeMap<Digest, Arc<DaemonImage>>,
    /// Exports (`docker save`) already made, by image ID.
    pub(crate) saved: BTreeMap<Digest, Arc<SavedImage>>,
    /// Config blobs written and not yet saved.
    pub(crate) configs: BTreeMap<Digest, Vec<u8>>,
    /// Layers spooled to files, by blob digest.
    pub(crate) files: BTreeMap<Digest, PathBuf>,
    /// Images being written, by target.
    pub(crate) sessions: BTreeMap<String, SharedSession>,
    /// Where layers are spooled without a launch cache: a temp dir laid out like one.
    pub(crate) spool: Option<(TempDir, LaunchCache)>,
    /// Whether the daemon keeps images in containerd's store, once asked.
    pub(crate) containerd: Option<bool>,
}

impl DaemonStore {
    /// A store over `client`'s daemon, reading images for `platform` when the daemon tells
    /// platforms apart.
    pub fn new(client: DaemonClient, platform: Platform) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                launch_cache: None,
                platform,
                state: Mutex::new(State::default()),
                progress: Arc::new(Silent),
            }),
        }
    }

    /// Tells `progress` about layers as the daemon takes their bytes (a layer streamed into
    /// the image load, named as its writer was described, with its size).
    #[must_use]
    pub fn with_progress(self, progress: Arc<dyn Progress>) -> Self {
        let shared = Arc::try_unwrap(self.shared)
            .unwrap_or_else(|_| unreachable!("the store is not shared before it is configured"));
        Self {
            shared: Arc::new(Shared { progress, ..shared }),
        }
    }

    /// Keeps layer tars in `cache` and sends layers from it (`-launch-cache`).
    #[must_use]
    pub fn with_launch_cache(self, cache: LaunchCache) -> Self {
        let shared = Arc::try_unwrap(self.shared)
            .unwrap_or_else(|_| unreachable!("the store is not shared before it is configured"));
        Self {
            shared: Arc::new(Shared {
                launch_cache: Some(cache),
                ..shared
            }),
        }
    }

    /// The client.
    pub fn client(&self) -> &DaemonClient {
        &self.shared.client
    }

    /// The launch cache, if any.
    pub fn launch_cache(&self) -> Option<&LaunchCache> {
        self.shared.launch_cache.as_ref()
    }
}

impl Shared {
    /// The image the daemon has under `name` (inspect and history), cached; `None` when
    /// it has none.
    pub(crate) fn image(
        &self,
        name: &str,
        platform: &Platform,
    ) -> Result<Option<Arc<DaemonImage>>, Error> {
        if let Some(known) = lock(&self.state).names.get(name) {
            return Ok(known.clone());
        }
        let client = &self.client;
        let Some(generic) = client.inspect(name, None)? else {
            lock(&self.state).names.insert(name.to_owned(), None);
            return Ok(None);
        };
        let aware = client.api_version()? >= ApiVersion::PLATFORM_INSPECT;
        let specific = if aware {
            client.inspect(name, Some(platform))?
        } else {
            None
        };
        let (inspect, history) = if let Some(specific) = specific {
            (specific, client.history(name, Some(platform))?)
        } else {
            (generic.clone(), client.history(name, None)?)
        };
        let image =
            DaemonImage::new(&generic.id, &inspect, &history).ok_or_else(|| Error::Api {
                status: 0,
                message: format!(
                    "the Docker daemon describes image {name} with an invalid ID or layer digest"
                ),
            })?;
        let image = Arc::new(image);
        let mut state = lock(&self.state);
        state
            .names
            .insert(name.to_owned(), Some(Arc::clone(&image)));
        state.known.insert(image.id, Arc::clone(&image));
        Ok(Some(image))
    }

    /// The image `reference` names, for `platform`.
    pub(crate) fn read(
        &self,
        reference: &ImageRef,
        platform: &Platform,
    ) -> Result<Option<Arc<DaemonImage>>, StoreError> {
        self.image(&daemon_name(reference), platform)
            .map_err(|error| read_error(reference, error))
    }

    /// The export of image `id` (`docker save`), made once.
    pub(crate) fn saved(&self, id: &Digest) -> Result<Arc<SavedImage>, Error> {
        if let Some(saved) = lock(&self.state).saved.get(id) {
            return Ok(Arc::clone(saved));
        }
        let name = id.to_string();
        tracing::info!("Exporting image {} from the Docker daemon", &id.hex()[..12]);
        let tar = self.client.save(&name, Some(&self.platform))?;
        let saved = Arc::new(SavedImage::unpack(&name, tar)?);
        lock(&self.state).saved.insert(*id, Arc::clone(&saved));
        Ok(saved)
    }

    /// A known image holding layer `diff_id`.
    pub(crate) fn holder(&self, diff_id: &Digest) -> Option<Digest> {
        lock(&self.state)
            .known
            .values()
            .find(|image| image.diff_ids().contains(diff_id))
            .map(|image| image.id)
    }

    /// The session of `target`, created if needed.
    pub(crate) fn session(&self, target: &ImageRef) -> SharedSession {
        Arc::clone(
            lock(&self.state)
                .sessions
                .entry(target.to_string())
                .or_default(),
        )
    }

    /// A file holding layer `digest`, already at hand: spooled, or in the launch cache.
    pub(crate) fn local_layer(&self, digest: &Digest) -> Option<PathBuf> {
        if let Some(path) = lock(&self.state).files.get(digest) {
            return Some(path.clone());
        }
        self.launch_cache.as_ref()?.layer(digest)
    }

    /// Where a layer is spooled: the launch cache's new generation, else a temp dir.
    pub(crate) fn spool(&self) -> Result<cnb_cache::StagedLayer, Error> {
        if let Some(cache) = &self.launch_cache {
            return cache.stage().map_err(Error::LaunchCache);
        }
        let mut state = lock(&self.state);
        if state.spool.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("cnb-docker-layers-")
                .tempdir()
                .map_err(Error::io(std::env::temp_dir()))?;
            let cache = LaunchCache::open(dir.path()).map_err(Error::LaunchCache)?;
            state.spool = Some((dir, cache));
        }
        match &state.spool {
            Some((_, cache)) => cache.stage().map_err(Error::LaunchCache),
            None => unreachable!("the spool was just made"),
        }
    }

    /// Layer `diff_id` of image `id`, from the daemon's export of it, as a plain tar file in
    /// the spool (the launch cache, when there is one, so the next export finds it there).
    pub(crate) fn layer_from_export(
        &self,
        id: &Digest,
        diff_id: &Digest,
    ) -> Result<PathBuf, Error> {
        let saved = self.saved(id)?;
        let source = saved.layer(diff_id).ok_or_else(|| Error::SaveIncomplete {
            image: id.to_string(),
            what: format!("no layer {diff_id}"),
        })?;
        let file = File::open(source).map_err(Error::io(source))?;
        let mut plain = cnb_archive::decompress(file).map_err(|error| Error::Io {
            path: source.to_owned(),
            source: std::io::Error::other(error),
        })?;
        let mut staged = self.spool()?;
        std::io::copy(&mut plain, &mut staged).map_err(Error::io(source))?;
        let path = staged.finish(diff_id, false).map_err(Error::LaunchCache)?;
        lock(&self.state).files.insert(*diff_id, path.clone());
        Ok(path)
    }
}

/// A failed read: the daemon could not answer (a missing image is `None`, not an error).
pub(crate) fn read_error(_reference: &ImageRef, error: Error) -> StoreError {
    StoreError::Unavailable(error.into())
}

impl ImageStore for DaemonStore {
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        if child.is_some() {
            return Ok(None);
        }
        let image = self.shared.read(reference, &self.shared.platform)?;
        Ok(image.map(|image| (MediaType::DockerManifest, image.manifest().to_json())))
    }

    fn read_image(
        &self,
        reference: &ImageRef,
        platform: &Platform,
    ) -> Result<Option<Image>, StoreError> {
        Ok(self
            .shared
            .read(reference, platform)?
            .map(|image| image.image(reference)))
    }

    fn read_config(
        &self,
        reference: &ImageRef,
        manifest: &Manifest,
    ) -> Result<ImageConfig, StoreError> {
        let id = manifest.config.digest;
        let image = match lock(&self.shared.state).known.get(&id) {
            Some(image) => Some(Arc::clone(image)),
            None => None,
        };
        let image = match image {
            Some(image) => Some(image),
            None => self
                .shared
                .image(&id.to_string(), &self.shared.platform)
                .map_err(|error| read_error(reference, error))?,
        };
        image
            .map(|image| image.config.clone())
            .ok_or_else(|| StoreError::MissingBlob {
                reference: reference.to_string(),
                digest: id,
            })
    }

    fn open_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let fail = |error: Error| StoreError::ReadBlob {
            reference: reference.to_string(),
            digest: *digest,
            source: error.into(),
        };
        if let Some(path) = self.shared.local_layer(digest) {
            let file = File::open(&path).map_err(|error| fail(Error::io(&path)(error)))?;
            return Ok(Some(Box::new(file)));
        }
        let Some(image) = self.shared.read(reference, &self.shared.platform)? else {
            return Ok(None);
        };
        if image.id == *digest {
            // The config, as rebuilt from inspect.
            return Ok(Some(Box::new(Cursor::new(image.config.to_json()))));
        }
        if !image.diff_ids().contains(digest) {
            return Ok(None);
        }
        let path = self
            .shared
            .layer_from_export(&image.id, digest)
            .map_err(fail)?;
        let file = File::open(&path).map_err(|error| fail(Error::io(&path)(error)))?;
        Ok(Some(Box::new(file)))
    }

    fn has_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<bool, StoreError> {
        Ok(self
            .shared
            .read(reference, &self.shared.platform)?
            .is_some_and(|image| image.id == *digest || image.diff_ids().contains(digest)))
    }

    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        sources: &[ImageRef],
    ) -> Result<bool, StoreError> {
        let shared = &self.shared;
        if shared.session(target).lock().entry(digest).is_some()
            || lock(&shared.state).files.contains_key(digest)
        {
            return Ok(true);
        }
        if let Some(cache) = &shared.launch_cache
            && cache.keep(digest).map_err(|error| StoreError::WriteBlob {
                reference: target.to_string(),
                source: Error::LaunchCache(error).into(),
            })?
        {
            tracing::debug!(%digest, "layer from the launch cache");
            return Ok(true);
        }
        for source in sources {
            if shared
                .read(source, &shared.platform)?
                .is_some_and(|image| image.diff_ids().contains(digest))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn check_write_access(&self, _reference: &ImageRef) -> Result<(), StoreError> {
        // Whoever reaches the socket may load any image: there is nothing to check.
        Ok(())
    }

    fn layer_media_type(&self, _manifest_type: &MediaType) -> MediaType {
        MediaType::DockerLayer
    }

    fn blob_writer(
        &self,
        target: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        if !media_type.is_layer() {
            return Ok(Box::new(ConfigWriter {
                shared: Arc::clone(&self.shared),
                media_type,
                bytes: Vec::new(),
            }));
        }
        let staged = self.shared.spool().map_err(|error| StoreError::WriteBlob {
            reference: target.to_string(),
            source: error.into(),
        })?;
        Ok(Box::new(SpooledLayer {
            shared: Arc::clone(&self.shared),
            target: target.to_string(),
            media_type,
            file: Sha256Writer::new(staged),
        }))
    }

    fn blob_writer_sized(
        &self,
        target: &ImageRef,
        media_type: MediaType,
        size: u64,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        let session = self.shared.session(target);
        if !media_type.is_layer() || (size < SPOOL_BELOW && session.lock().writing) {
            return self.blob_writer(target, media_type);
        }
        let staged = self
            .shared
            .launch_cache
            .as_ref()
            .map(LaunchCache::stage)
            .transpose()
            .map_err(|error| StoreError::WriteBlob {
                reference: target.to_string(),
                source: Error::LaunchCache(error).into(),
            })?;
        let client = &self.shared.client;
        match StreamedLayer::start(
            session,
            || client.start_load(),
            target.to_string(),
            media_type.clone(),
            size,
            staged,
            Arc::clone(&self.shared.progress),
        )? {
            Some(layer) => Ok(Box::new(layer)),
            // A small layer found another's entry being written after all, or the archive is
            // broken (the save says why).
            None => self.blob_writer(target, media_type),
        }
    }

    fn write_manifest(
        &self,
        targets: &[ImageRef],
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<ImageIdentity, StoreError> {
        crate::save_image::save(&self.shared, targets, media_type, bytes)
    }
}
