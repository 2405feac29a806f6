//! [`RegistryStore`]: the [`ImageStore`] over OCI distribution registries, on top of the
//! shared state in `client.rs`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cnb_image::{
    Action, BlobWriter, Digest, ImageIdentity, ImageRef, ImageStore, Index, Manifest, MediaType,
    StoreError,
};

use oci_client::errors::OciDistributionError;

use crate::client::{Inner, oci_reference, registry_error, store_error};
use crate::download::BlobReader;
use crate::retry::{RetryPolicy, is_not_found, retry};
use crate::transport::{Transport, load_roots};
use crate::upload::RegistryBlobWriter;
use crate::{Environment, Error, Keychain};

/// How the store reaches registries.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Registries to reach over plain HTTP (`-insecure-registry`, `CNB_INSECURE_REGISTRIES`).
    pub insecure_registries: Vec<String>,
    /// Bound on each request: connecting, each read, and each attempt of a small request
    /// (an upload attempt gets this per 4 MiB chunk).
    pub request_timeout: Duration,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Where uploads are spooled before they are sent (the system temp dir by default).
    pub spool_dir: Option<PathBuf>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            insecure_registries: Vec::new(),
            request_timeout: Duration::from_mins(1),
            retry: RetryPolicy::default(),
            spool_dir: None,
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
        let transport = Transport {
            insecure_registries: config.insecure_registries,
            request_timeout: config.request_timeout,
            roots: Arc::new(load_roots(env)?),
            https_proxy: env.https_proxy.clone(),
            http_proxy: env.http_proxy.clone(),
            no_proxy: env.no_proxy.clone(),
        };
        let http = crate::token::http_client(&transport)
            .map_err(|source| Error::BuildHttpClient { source })?;
        Ok(Self {
            inner: Arc::new(Inner::new(
                runtime,
                http,
                transport,
                keychain,
                config.retry,
                config.spool_dir,
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
        let session = inner.session(&target).map_err(read_error)?;
        let accept = MediaType::manifest_accept();
        let accept: Vec<&str> = accept.iter().map(MediaType::as_str).collect();
        let result = inner.block_on(retry(inner.retry, inner.timeout(), "GET manifest", || {
            let (session, target, accept) = (&session, &target, &accept);
            async move {
                if session.open {
                    return inner.get_open_manifest(target, accept).await;
                }
                session
                    .client
                    .pull_manifest_raw(&session.reference, &session.auth, accept)
                    .await
                    .map(|(bytes, _digest)| bytes.to_vec())
                    .map_err(|source| registry_error("GET manifest", source))
            }
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
        let session = self.inner.session(reference).map_err(read_error)?;
        match BlobReader::open(&self.inner, &session, *digest) {
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
        let session = inner.session(reference).map_err(write_error)?;
        let digest = Digest::of(&[0; 1024]).to_string();
        let asked = inner.block_on(retry(
            inner.retry,
            inner.timeout(),
            "POST blob upload",
            || {
                let (client, reference, digest) = (&session.client, &session.reference, &digest);
                async move {
                    match client.mount_blob(reference, reference, digest).await {
                        // 202 Accepted: a plain upload session, where a mount wanted 201.
                        Ok(()) | Err(OciDistributionError::SpecViolationError(_)) => Ok(()),
                        Err(source) => Err(registry_error("POST blob upload", source)),
                    }
                }
            },
        ));
        asked.map_err(write_error)
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
        let session = inner.session(target).map_err(write_error)?;
        let digest_text = digest.to_string();
        for source in sources {
            let from = oci_reference(source);
            let mounted = inner.block_on(retry(inner.retry, inner.timeout(), "mount blob", || {
                let (client, reference, from, digest) =
                    (&session.client, &session.reference, &from, &digest_text);
                async move {
                    client
                        .mount_blob(reference, from, digest)
                        .await
                        .map_err(|source| registry_error("mount blob", source))
                }
            }));
            match mounted {
                Ok(()) => {
                    tracing::debug!(%digest, from = %source.context(), to = %target.context(), "mounted blob");
                    inner.mark_present(target, digest);
                    return Ok(true);
                }
                Err(err) => {
                    tracing::debug!(%digest, from = %source.context(), error = %err, "mount failed");
                }
            }
        }
        self.has_blob(target, digest)
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
        for target in targets {
            let write_error = |err| {
                store_error(Action::Write, target, err, |reference, source| {
                    StoreError::WriteManifest { reference, source }
                })
            };
            let session = inner.session(target).map_err(write_error)?;
            let content_type =
                media_type
                    .as_str()
                    .parse()
                    .map_err(|_| StoreError::UnsupportedMediaType {
                        reference: target.to_string(),
                        media_type: media_type.clone(),
                    })?;
            inner
                .block_on(retry(inner.retry, inner.timeout(), "PUT manifest", || {
                    let (client, reference, body, content_type) = (
                        &session.client,
                        &session.reference,
                        bytes.to_vec(),
                        &content_type,
                    );
                    async move {
                        client
                            .push_manifest_raw(reference, body, Clone::clone(content_type))
                            .await
                            .map_err(|source| registry_error("PUT manifest", source))
                    }
                }))
                .map_err(write_error)?;
            tracing::debug!(reference = %target, "wrote manifest");
        }
        Ok(ImageIdentity::Manifest(Digest::of(bytes)))
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
