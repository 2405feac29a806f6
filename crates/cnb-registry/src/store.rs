//! [`RegistryStore`]: the [`ImageStore`] over OCI distribution registries, on top of the
//! shared state in `client.rs`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cnb_image::{
    Action, BlobWriter, Descriptor, Digest, ImageConfig, ImageIdentity, ImageRef, ImageStore,
    Index, MANIFEST_LIMIT, Manifest, MediaType, Progress, Silent, StoreError,
};

use bytes::Bytes;

use crate::client::{Inner, store_error};
use crate::distribution::{ManifestName, Mounted};
use crate::download::BlobReader;
use crate::retry::{RetryPolicy, is_not_found, retry};
use crate::transport::{Transport, http_client, load_roots};
use crate::upload::RegistryBlobWriter;
use crate::{Environment, Error, Keychain};

/// The default bound on one request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a silent registry is waited for by default (the Go lifecycle waits forever).
pub const DEFAULT_GIVE_UP_AFTER: Duration = Duration::from_mins(2);

/// How the store reaches registries.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Registries to reach over plain HTTP (`-insecure-registry`, `CNB_INSECURE_REGISTRIES`).
    pub insecure_registries: Vec<String>,
    /// Bound on each request: connecting, each read, and each attempt of a small request
    /// (an upload attempt gets this per 4 MiB).
    pub request_timeout: Duration,
    /// How long a registry may leave every request unanswered before the store gives up on
    /// it (a registry that accepts connections and never answers, say). Attempts are bounded
    /// by this too.
    pub give_up_after: Duration,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Where uploads are spooled before they are sent (the system temp dir by default).
    pub spool_dir: Option<PathBuf>,
    /// Told about blobs as their bytes are sent and received ([`Silent`] by default): an
    /// upload by what its writer was described as, a download by its short digest.
    pub progress: Arc<dyn Progress>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            insecure_registries: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            give_up_after: DEFAULT_GIVE_UP_AFTER,
            retry: RetryPolicy::default(),
            spool_dir: None,
            progress: Arc::new(Silent),
        }
    }
}

/// Images in OCI distribution registries.
pub struct RegistryStore {
    inner: Arc<Inner>,
}

impl RegistryStore {
    /// A store using `keychain` for credentials; `env` supplies CA files and proxies.
    pub fn new(
        config: RegistryConfig,
        env: &Environment,
        keychain: Keychain,
    ) -> Result<Self, Error> {
        // Later calls find the provider installed; only the first install can succeed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cnb-registry")
            .enable_all()
            .build()
            .map_err(Error::StartRuntime)?;
        let give_up_after = config.give_up_after.max(Duration::from_millis(1));
        let transport = Transport {
            insecure_registries: config.insecure_registries,
            request_timeout: config.request_timeout.min(give_up_after),
            give_up_after,
            roots: Arc::new(load_roots(env)?),
            https_proxy: env.https_proxy.clone(),
            http_proxy: env.http_proxy.clone(),
            no_proxy: env.no_proxy.clone(),
        };
        let http = http_client(&transport).map_err(|source| Error::BuildHttpClient { source })?;
        Ok(Self {
            inner: Arc::new(Inner::new(
                runtime,
                http,
                transport,
                keychain,
                config.retry,
                config.spool_dir,
                config.progress,
            )),
        })
    }
}

impl ImageStore for RegistryStore {
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        let inner = &self.inner;
        let target = child.map_or_else(
            || reference.clone(),
            |digest| reference.with_digest(*digest),
        );
        let read_error = |err| {
            store_error(Action::Read, reference, err, |reference, source| {
                StoreError::ReadManifest { reference, source }
            })
        };
        let registry = inner.registry(&target).map_err(read_error)?;
        let accept = MediaType::manifest_accept();
        let accept = accept
            .iter()
            .map(MediaType::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let name = match (target.digest(), target.tag()) {
            (Some(digest), _) => ManifestName::Digest(digest),
            (None, Some(tag)) => ManifestName::Tag(tag),
            (None, None) => ManifestName::Tag(cnb_image::DEFAULT_TAG),
        };
        let repository = target.repository();
        let result = inner.block_on(retry(&registry, inner.timeout(), "GET manifest", || {
            registry.get_manifest(repository, &name, &accept, MANIFEST_LIMIT)
        }));
        match result {
            Ok(bytes) => {
                let media_type = MediaType::of_manifest(&bytes);
                // A registry serves a manifest only over blobs it holds (it refuses to store one
                // otherwise), so they need no existence check before a manifest that reuses
                // them in the same repository is written (a rebase's app layers).
                if !media_type.is_index()
                    && let Ok(manifest) = Manifest::from_json(&bytes)
                {
                    for blob in manifest.blobs() {
                        inner.mark_present(&target, &blob.digest);
                    }
                }
                Ok(Some((media_type, bytes)))
            }
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(read_error(err)),
        }
    }

    fn open_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let read_error = |err| {
            store_error(Action::Read, reference, err, |reference, source| {
                StoreError::ReadBlob {
                    reference,
                    digest: *digest,
                    source,
                }
            })
        };
        let registry = self.inner.registry(reference).map_err(read_error)?;
        match BlobReader::open(&self.inner, registry, reference.repository(), *digest) {
            Ok(reader) => Ok(Some(Box::new(reader))),
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(read_error(err)),
        }
    }

    fn has_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<bool, StoreError> {
        self.inner.has_blob(reference, digest).map_err(|err| {
            store_error(Action::Read, reference, err, |reference, source| {
                StoreError::ReadBlob {
                    reference,
                    digest: *digest,
                    source,
                }
            })
        })
    }

    /// Asks the registry to start an upload into the repository, as a cross-repository mount
    /// of the empty layer tar from the repository itself: `201` (it was there and is linked)
    /// and `202` (an upload session opened) both mean pushes are accepted; `401`/`403` that
    /// they are not. Nothing is sent and no blob is written (an opened session expires).
    fn check_write_access(&self, reference: &ImageRef) -> Result<(), StoreError> {
        let inner = &self.inner;
        let write_error = |err| {
            store_error(Action::Write, reference, err, |reference, source| {
                StoreError::WriteBlob { reference, source }
            })
        };
        let registry = inner.registry(reference).map_err(write_error)?;
        let digest = Digest::of(&[0; 1024]);
        let repository = reference.repository();
        let asked = inner.block_on(retry(
            &registry,
            inner.timeout(),
            "POST blob upload",
            || registry.mount_blob(repository, &digest, repository),
        ));
        asked.map(drop).map_err(write_error)
    }

    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        sources: &[ImageRef],
    ) -> Result<bool, StoreError> {
        // A mount from another repository of the same registry answers both questions (is it
        // there; if not, put it there) in one request, so it goes first; a `HEAD` only when
        // no mount worked. A failed mount costs one request more than before.
        if self.inner.is_present(target, digest) {
            return Ok(true);
        }
        let mut sources = sources
            .iter()
            .filter(|source| source.registry() == target.registry())
            .filter(|source| source.context() != target.context())
            .peekable();
        if sources.peek().is_none() {
            return self.has_blob(target, digest);
        }
        let inner = &self.inner;
        let write_error = |err| {
            store_error(Action::Write, target, err, |reference, source| {
                StoreError::WriteBlob { reference, source }
            })
        };
        let registry = inner.registry(target).map_err(write_error)?;
        for source in sources {
            let mounted = inner.block_on(retry(&registry, inner.timeout(), "mount blob", || {
                registry.mount_blob(target.repository(), digest, source.repository())
            }));
            match mounted {
                Ok(Mounted::Yes) => {
                    tracing::debug!(%digest, from = %source.context(), to = %target.context(), "mounted blob");
                    inner.mark_present(target, digest);
                    return Ok(true);
                }
                Ok(Mounted::No) => {
                    tracing::debug!(%digest, from = %source.context(), "mount refused");
                }
                Err(err) => {
                    tracing::debug!(%digest, from = %source.context(), error = &err as &dyn std::error::Error, "mount failed");
                }
            }
        }
        self.has_blob(target, digest)
    }

    fn delete_manifest(&self, reference: &ImageRef, digest: &Digest) -> Result<(), StoreError> {
        let inner = &self.inner;
        let pinned = reference.with_digest(*digest);
        let delete_error = |err| {
            store_error(Action::Write, &pinned, err, |reference, source| {
                StoreError::DeleteManifest { reference, source }
            })
        };
        let registry = inner.registry(reference).map_err(delete_error)?;
        inner
            .block_on(retry(&registry, inner.timeout(), "DELETE manifest", || {
                registry.delete_manifest(reference.repository(), digest)
            }))
            .map_err(delete_error)?;
        tracing::debug!(%digest, reference = %reference.context(), "deleted manifest");
        Ok(())
    }

    fn blob_writer(
        &self,
        target: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        Ok(Box::new(RegistryBlobWriter::new(
            Arc::clone(&self.inner),
            target.clone(),
            media_type,
        )))
    }

    fn write_config(
        &self,
        target: &ImageRef,
        media_type: MediaType,
        config: &ImageConfig,
    ) -> Result<Descriptor, StoreError> {
        crate::upload::write_config(&self.inner, target, media_type, &config.to_json())
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
        let (blobs, children) =
            referenced(media_type, bytes).map_err(|source| StoreError::Parse {
                reference: first.to_string(),
                source,
            })?;
        for target in targets {
            for digest in &blobs {
                let present = self.reuse_blob(target, digest, std::slice::from_ref(first))?;
                if !present {
                    return Err(StoreError::MissingBlob {
                        reference: target.to_string(),
                        digest: *digest,
                    });
                }
            }
            for digest in &children {
                if self.read_manifest_raw(target, Some(digest))?.is_none() {
                    return Err(StoreError::MissingBlob {
                        reference: target.to_string(),
                        digest: *digest,
                    });
                }
            }
        }
        let inner = &self.inner;
        let digest = Digest::of(bytes);
        let body = Bytes::copy_from_slice(bytes);
        for target in targets {
            let write_error = |err| {
                store_error(Action::Write, target, err, |reference, source| {
                    StoreError::WriteManifest { reference, source }
                })
            };
            let registry = inner.registry(target).map_err(write_error)?;
            let name = match target.tag() {
                Some(tag) => ManifestName::Tag(tag),
                None => ManifestName::Digest(&digest),
            };
            inner
                .block_on(retry(&registry, inner.timeout(), "PUT manifest", || {
                    registry.put_manifest(target.repository(), &name, media_type, &body)
                }))
                .map_err(write_error)?;
            tracing::debug!(reference = %target, "wrote manifest");
        }
        Ok(ImageIdentity::Manifest(digest))
    }
}

/// What must be in place before a manifest is tagged: the blobs of an image manifest (config
/// and layers), or the manifests an index lists.
fn referenced(
    media_type: &MediaType,
    bytes: &[u8],
) -> Result<(Vec<Digest>, Vec<Digest>), cnb_image::ParseError> {
    if media_type.is_index() {
        let index = Index::from_json(bytes)?;
        return Ok((
            Vec::new(),
            index.manifests.iter().map(|entry| entry.digest).collect(),
        ));
    }
    let manifest = Manifest::from_json(bytes)?;
    Ok((
        manifest.blobs().map(|blob| blob.digest).collect(),
        Vec::new(),
    ))
}
