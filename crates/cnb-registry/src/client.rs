//! What the store and its blob writers share: the tokio runtime, one oci-client `Client` per
//! registry (per repository for identity tokens) with its credentials applied, and the set of
//! blobs known to be present (written, found or mounted in this run). Also the mapping of
//! request failures to [`StoreError`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cnb_image::{Action, Digest, ImageRef, StoreError};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::open_registry::{Access, ping};
use crate::retry::{RetryPolicy, is_unauthorized, retry};
use crate::transport::{Transport, client_config};
use crate::{Credential, Error, Keychain, RequestError};

/// What blob writers share with the store.
pub(crate) struct Inner {
    runtime: tokio::runtime::Runtime,
    transport: Transport,
    keychain: Keychain,
    pub(crate) retry: RetryPolicy,
    pub(crate) spool_dir: Option<PathBuf>,
    /// Plain HTTP, for identity-token exchanges.
    http: reqwest::Client,
    /// One client per registry, or per repository for identity tokens (whose access tokens
    /// are scoped to one repository).
    clients: Mutex<BTreeMap<String, Session>>,
    present: Mutex<BTreeSet<(String, Digest)>>,
}

/// A client with its credentials applied, and the reference in its terms.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) client: Arc<Client>,
    pub(crate) auth: RegistryAuth,
    /// The registry needs no credentials (see `open_registry.rs`): manifests are read with
    /// [`Inner::get_open_manifest`].
    pub(crate) open: bool,
    pub(crate) reference: Reference,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    pub(crate) fn new(
        runtime: tokio::runtime::Runtime,
        http: reqwest::Client,
        transport: Transport,
        keychain: Keychain,
        retry: RetryPolicy,
        spool_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            runtime,
            transport,
            keychain,
            retry,
            spool_dir,
            http,
            clients: Mutex::new(BTreeMap::new()),
            present: Mutex::new(BTreeSet::new()),
        }
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Runs `future` on the runtime's workers, in the background.
    pub(crate) fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(future)
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.transport.request_timeout
    }

    /// A session for `reference`'s registry, creating its client on first use.
    pub(crate) fn session(&self, reference: &ImageRef) -> Result<Session, RequestError> {
        let registry = reference.registry();
        let credential = self
            .keychain
            .credential(registry)
            .map_err(|err| RequestError::Credentials(Box::new(err)))?;
        let key = match &credential {
            Credential::IdentityToken(_) => format!("{registry}/{}", reference.repository()),
            _ => registry.to_owned(),
        };
        let mut clients = lock(&self.clients);
        let session = if let Some(session) = clients.get(&key) {
            session.clone()
        } else {
            let auth = match credential {
                Credential::Anonymous => RegistryAuth::Anonymous,
                Credential::Basic { username, password } => RegistryAuth::Basic(username, password),
                Credential::Bearer(token) => RegistryAuth::Bearer(token),
                Credential::IdentityToken(token) => {
                    RegistryAuth::Bearer(self.block_on(crate::token::exchange(
                        &self.http,
                        &self.transport,
                        registry,
                        reference.repository(),
                        &token,
                    ))?)
                }
            };
            let config = client_config(registry, &self.transport);
            let client = Client::try_from(config).map_err(|source| {
                RequestError::Client(Box::new(Error::BuildClient {
                    registry: registry.to_owned(),
                    source,
                }))
            })?;
            let client = Arc::new(client);
            // An open registry gets no credentials registered, even when some are configured
            // for it (Go's transport does not send them either): oci-client would otherwise
            // ping it again before every request, as it caches only tokens a challenge gave.
            // A static bearer token never makes oci-client ping, so it is kept as it is.
            let open = !matches!(auth, RegistryAuth::Bearer(_))
                && self.block_on(ping(&self.http, &self.transport, registry)) == Access::Open;
            let auth = if open { RegistryAuth::Anonymous } else { auth };
            if !open {
                self.block_on(client.store_auth_if_needed(registry, &auth));
            }
            let session = Session {
                client,
                auth,
                open,
                reference: oci_reference(reference),
            };
            clients.insert(key, session.clone());
            session
        };
        Ok(Session {
            reference: oci_reference(reference),
            ..session
        })
    }

    /// The plain HTTP client and the transport, for requests to open registries made
    /// outside a borrow of the store (a background upload).
    pub(crate) fn open_registry_client(&self) -> (reqwest::Client, Transport) {
        (self.http.clone(), self.transport.clone())
    }

    /// `GET` a manifest from an open registry (one attempt; callers retry).
    pub(crate) async fn get_open_manifest(
        &self,
        reference: &ImageRef,
        accept: &[&str],
    ) -> Result<Vec<u8>, RequestError> {
        crate::open_registry::get_manifest(&self.http, &self.transport, reference, accept).await
    }

    pub(crate) fn is_present(&self, reference: &ImageRef, digest: &Digest) -> bool {
        lock(&self.present).contains(&(reference.context().to_string(), *digest))
    }

    pub(crate) fn mark_present(&self, reference: &ImageRef, digest: &Digest) {
        lock(&self.present).insert((reference.context().to_string(), *digest));
    }

    /// HEAD the blob, with retries.
    pub(crate) fn has_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<bool, RequestError> {
        if self.is_present(reference, digest) {
            return Ok(true);
        }
        let session = self.session(reference)?;
        let digest_text = digest.to_string();
        let found = self.block_on(retry(self.retry, self.timeout(), "HEAD blob", || {
            let (client, reference, digest) = (&session.client, &session.reference, &digest_text);
            async move {
                client
                    .blob_exists(reference, digest)
                    .await
                    .map_err(|source| registry_error("HEAD blob", source))
            }
        }))?;
        if found {
            self.mark_present(reference, digest);
        }
        Ok(found)
    }
}

/// Our reference in oci-client's terms.
pub(crate) fn oci_reference(reference: &ImageRef) -> Reference {
    let (registry, repository) = (
        reference.registry().to_owned(),
        reference.repository().to_owned(),
    );
    match (reference.tag(), reference.digest()) {
        (_, Some(digest)) => Reference::with_digest(registry, repository, digest.to_string()),
        (Some(tag), None) => Reference::with_tag(registry, repository, tag.to_owned()),
        (None, None) => {
            Reference::with_tag(registry, repository, cnb_image::DEFAULT_TAG.to_owned())
        }
    }
}

pub(crate) fn registry_error(
    operation: &str,
    source: oci_client::errors::OciDistributionError,
) -> RequestError {
    RequestError::Registry {
        operation: operation.to_owned(),
        source,
    }
}

/// A store error for a failed request, `Unauthorized` when the registry refused us.
pub(crate) fn store_error(
    action: Action,
    reference: &ImageRef,
    err: RequestError,
    otherwise: impl FnOnce(String, cnb_image::BoxError) -> StoreError,
) -> StoreError {
    if is_unauthorized(&err) {
        StoreError::Unauthorized {
            action,
            reference: reference.to_string(),
            source: err.into(),
        }
    } else {
        otherwise(reference.to_string(), err.into())
    }
}
