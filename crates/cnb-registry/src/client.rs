//! What the store and its blob writers share: the tokio runtime, the one HTTP client, one
//! [`Registry`] per registry host (with its credentials, tokens and ping), and the set of
//! blobs known to be present (written, found or mounted in this run). Also the mapping of
//! request failures to [`StoreError`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cnb_image::{Action, Digest, ImageRef, Progress, StoreError};

use crate::registry::Registry;
use crate::retry::{RetryPolicy, is_unauthorized, retry};
use crate::transport::Transport;
use crate::{Keychain, RequestError};

/// What blob writers share with the store.
pub(crate) struct Inner {
    runtime: tokio::runtime::Runtime,
    transport: Transport,
    keychain: Keychain,
    pub(crate) retry: RetryPolicy,
    pub(crate) spool_dir: Option<PathBuf>,
    /// Told about blobs as they are sent and received.
    pub(crate) progress: Arc<dyn Progress>,
    http: reqwest::Client,
    registries: Mutex<BTreeMap<String, Arc<Registry>>>,
    present: Mutex<BTreeSet<(String, Digest)>>,
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
        progress: Arc<dyn Progress>,
    ) -> Self {
        Self {
            runtime,
            transport,
            keychain,
            retry,
            spool_dir,
            progress,
            http,
            registries: Mutex::new(BTreeMap::new()),
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

    /// The bound on one small request.
    pub(crate) fn timeout(&self) -> Duration {
        self.transport.request_timeout
    }

    /// The connection to `reference`'s registry, made on first use.
    pub(crate) fn registry(&self, reference: &ImageRef) -> Result<Arc<Registry>, RequestError> {
        let host = reference.registry();
        let mut registries = lock(&self.registries);
        if let Some(registry) = registries.get(host) {
            return Ok(Arc::clone(registry));
        }
        let credential = self
            .keychain
            .credential(host)
            .map_err(|err| RequestError::Credentials(Box::new(err)))?;
        let registry = Arc::new(Registry::new(
            host,
            self.http.clone(),
            &self.transport,
            credential,
            self.retry,
        )?);
        registries.insert(host.to_owned(), Arc::clone(&registry));
        Ok(registry)
    }

    pub(crate) fn is_present(&self, reference: &ImageRef, digest: &Digest) -> bool {
        lock(&self.present).contains(&(reference.context().to_string(), *digest))
    }

    pub(crate) fn mark_present(&self, reference: &ImageRef, digest: &Digest) {
        lock(&self.present).insert((reference.context().to_string(), *digest));
    }

    /// `HEAD` the blob, with retries.
    pub(crate) fn has_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<bool, RequestError> {
        if self.is_present(reference, digest) {
            return Ok(true);
        }
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let found = self.block_on(retry(&registry, self.timeout(), "HEAD blob", || {
            registry.has_blob(repository, digest)
        }))?;
        if found {
            self.mark_present(reference, digest);
        }
        Ok(found)
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
