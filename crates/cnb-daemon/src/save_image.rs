//! Saving an image: the layers not streamed yet go into its load, each as cheaply as the
//! daemon allows, then the config and `manifest.json`; then the daemon names the image and
//! takes the other tags; then the launch cache's new generation is committed.
//!
//! Where a layer comes from, first match wins:
//! 1. streamed already while the exporter wrote it;
//! 2. a zero-byte entry, when the layers below it and it form the bottom of an image the
//!    daemon holds (the run image, the previous image): the daemon has that layer chain and
//!    reads nothing (imgutil's "blank" layers; not with containerd's store, which needs the
//!    bytes);
//! 3. a file at hand: spooled, or in the launch cache;
//! 4. the daemon's export (`docker save`) of an image that has it, once per image, the
//!    layers kept in the launch cache for next time.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use cnb_image::{Digest, ImageConfig, ImageIdentity, ImageRef, Manifest, MediaType, StoreError};

use crate::Error;
use crate::load::LoadStream;
use crate::name::{daemon_name, repo_tag, repository_and_tag};
use crate::store::Shared;
use crate::writer::{Session, lock};

/// Where one layer's entry comes from.
enum Source {
    /// Already in the archive, under this name.
    Streamed(String),
    /// A zero-byte entry.
    Blank,
    /// This file.
    File(PathBuf),
}

/// Saves the image `bytes` describes under `targets`.
pub(crate) fn save(
    shared: &Shared,
    targets: &[ImageRef],
    media_type: &MediaType,
    bytes: &[u8],
) -> Result<ImageIdentity, StoreError> {
    let Some(primary) = targets.first() else {
        return Err(StoreError::WriteManifest {
            reference: String::new(),
            source: "no reference to write".into(),
        });
    };
    let fail = |error: Error| StoreError::WriteManifest {
        reference: primary.to_string(),
        source: error.into(),
    };
    if !media_type.is_manifest() {
        return Err(StoreError::UnsupportedMediaType {
            reference: primary.to_string(),
            media_type: media_type.clone(),
        });
    }
    let manifest = Manifest::from_json(bytes).map_err(|source| StoreError::Parse {
        reference: primary.to_string(),
        source,
    })?;
    let config_bytes = lock(&shared.state)
        .configs
        .get(&manifest.config.digest)
        .cloned()
        .ok_or_else(|| StoreError::MissingBlob {
            reference: primary.to_string(),
            digest: manifest.config.digest,
        })?;
    let config = ImageConfig::from_json(&config_bytes).map_err(|source| StoreError::Parse {
        reference: primary.to_string(),
        source,
    })?;
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != manifest.layers.len() {
        return Err(fail(Error::Load(format!(
            "the manifest lists {} layers and the config {}",
            manifest.layers.len(),
            diff_ids.len()
        ))));
    }
    let session = lock(&shared.state).sessions.remove(&primary.to_string());
    let mut session = session.map_or_else(Session::default, |session| {
        std::mem::take(&mut *session.lock())
    });
    if session.broken {
        return Err(fail(Error::Load(
            "a layer was left half-written; the image load was abandoned".to_owned(),
        )));
    }
    let sources = plan(shared, &manifest, diff_ids, &session, primary)?;
    let load = match session.load.take() {
        Some(load) => load,
        None => shared.client.start_load().map_err(fail)?,
    };
    send(load, &sources, &config_bytes, primary).map_err(fail)?;
    tracing::debug!(reference = %primary, "image loaded into the daemon");

    let loaded = shared
        .client
        .inspect(&daemon_name(primary), None)
        .map_err(fail)?
        .ok_or_else(|| {
            fail(Error::Load(format!(
                "the Docker daemon loaded the image but has none named {}",
                daemon_name(primary)
            )))
        })?;
    let id: Digest = loaded.id.parse().map_err(|_| {
        fail(Error::Load(format!(
            "the Docker daemon gave the image an ID that is not a digest: {}",
            loaded.id
        )))
    })?;
    tag(shared, &id, &targets[1..])?;
    if let Some(cache) = &shared.launch_cache {
        cache
            .commit()
            .map_err(|error| fail(Error::LaunchCache(error)))?;
    }
    // The daemon now holds this image's layer chain too.
    let mut state = lock(&shared.state);
    state.names.clear();
    if let Some(image) = crate::image::DaemonImage::new(&loaded.id, &loaded, &[]) {
        state.known.insert(id, std::sync::Arc::new(image));
    }
    Ok(ImageIdentity::DaemonId(id))
}

/// Where each layer's entry comes from.
fn plan(
    shared: &Shared,
    manifest: &Manifest,
    diff_ids: &[Digest],
    session: &Session,
    primary: &ImageRef,
) -> Result<Vec<Source>, StoreError> {
    let fail = |error: Error| StoreError::WriteManifest {
        reference: primary.to_string(),
        source: error.into(),
    };
    let mut sources = Vec::with_capacity(diff_ids.len());
    let mut blanks_allowed = None;
    for (index, (layer, diff_id)) in manifest.layers.iter().zip(diff_ids).enumerate() {
        if let Some(name) = session.entry(&layer.digest) {
            sources.push(Source::Streamed(name.to_owned()));
            continue;
        }
        if chain_known(shared, &diff_ids[..=index]) {
            let allowed = if let Some(allowed) = blanks_allowed {
                allowed
            } else {
                let allowed = !containerd_store(shared).map_err(fail)?;
                blanks_allowed = Some(allowed);
                allowed
            };
            if allowed {
                sources.push(Source::Blank);
                continue;
            }
        }
        if let Some(path) = shared.local_layer(&layer.digest) {
            if let Some(cache) = &shared.launch_cache {
                cache
                    .keep(&layer.digest)
                    .map_err(|error| fail(Error::LaunchCache(error)))?;
            }
            sources.push(Source::File(path));
            continue;
        }
        let holder = shared.holder(diff_id).ok_or(StoreError::MissingBlob {
            reference: primary.to_string(),
            digest: layer.digest,
        })?;
        let path = shared.layer_from_export(&holder, diff_id).map_err(fail)?;
        sources.push(Source::File(path));
    }
    Ok(sources)
}

/// Whether `chain` is the bottom of an image known to be in the daemon.
fn chain_known(shared: &Shared, chain: &[Digest]) -> bool {
    lock(&shared.state)
        .known
        .values()
        .any(|image| image.diff_ids().starts_with(chain))
}

/// Whether the daemon keeps images in containerd's store, asked once.
fn containerd_store(shared: &Shared) -> Result<bool, Error> {
    if let Some(known) = lock(&shared.state).containerd {
        return Ok(known);
    }
    let containerd = shared.client.info()?.uses_containerd_store();
    lock(&shared.state).containerd = Some(containerd);
    Ok(containerd)
}

/// Appends the remaining entries, the config and `manifest.json`, and waits for the daemon.
fn send(
    mut load: LoadStream,
    sources: &[Source],
    config: &[u8],
    primary: &ImageRef,
) -> Result<(), Error> {
    let mut names = Vec::with_capacity(sources.len());
    for (index, source) in sources.iter().enumerate() {
        match source {
            Source::Streamed(name) => names.push(name.clone()),
            Source::Blank => {
                let name = format!("blank_{index}");
                load.file(&name, &[])?;
                names.push(name);
            }
            Source::File(path) => {
                let name = format!("file-{index}.tar");
                send_file(&mut load, &name, path)?;
                names.push(name);
            }
        }
    }
    let config_name = format!("{}.json", Digest::of(config).hex());
    load.file(&config_name, config)?;
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [repo_tag(primary)],
        "Layers": names,
    }]);
    load.file("manifest.json", manifest.to_string().as_bytes())?;
    load.finish()
}

/// Appends the file at `path` as entry `name`.
fn send_file(load: &mut LoadStream, name: &str, path: &PathBuf) -> Result<(), Error> {
    let mut file = File::open(path).map_err(Error::io(path))?;
    let size = file.metadata().map_err(Error::io(path))?.len();
    load.entry(name, size)?;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut left = size;
    while left > 0 {
        let read = file.read(&mut buffer).map_err(Error::io(path))?;
        if read == 0 {
            return Err(Error::Io {
                path: path.clone(),
                source: std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
            });
        }
        let read = read.min(usize::try_from(left).unwrap_or(read));
        load.write(&buffer[..read])?;
        left -= read as u64;
    }
    load.pad(size)
}

/// Tags the image `id` as each of `targets`; every tag is tried, and the failures are one
/// error naming each (as imgutil's save error does).
fn tag(shared: &Shared, id: &Digest, targets: &[ImageRef]) -> Result<(), StoreError> {
    let mut failures = Vec::new();
    for target in targets {
        let (repository, tag) = repository_and_tag(target);
        if let Err(error) = shared.client.tag(&id.to_string(), &repository, &tag) {
            failures.push(format!("[{target}: {error}]"));
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    Err(StoreError::WriteManifest {
        reference: targets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        source: format!(
            "failed to write image to the following tags: {}",
            failures.join(",")
        )
        .into(),
    })
}
