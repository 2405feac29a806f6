//! An [`ImageStore`](cnb_image::ImageStore) over OCI distribution registries, built on
//! oci-client: manifests (OCI and Docker, indexes resolved to a platform), blobs, configs and
//! tags; uploads that check for the blob first, mount it from another repository of the same
//! registry, or else stream it in chunks; a [`Keychain`] (`CNB_REGISTRY_AUTH`, docker
//! `config.json`, credential helpers); plain HTTP where go-containerregistry allows it or the
//! platform asks for it; system plus `SSL_CERT_FILE`/`SSL_CERT_DIR` roots; proxies; retries
//! with backoff, each request bounded by a timeout.
//!
//! Layer 3 (adapter): depends on cnb-image only. The store owns a tokio runtime so callers
//! stay synchronous; tokio, hyper, reqwest and rustls (ring provider) live in this crate and
//! nowhere below it. Environment values arrive in an [`Environment`] built by the caller.
//! Credentials never appear in logs, `Debug` output or errors.

mod client;
mod docker_config;
mod download;
mod env;
mod error;
mod keychain;
mod open_registry;
mod retry;
mod store;
mod token;
mod transport;
mod upload;

pub use env::Environment;
pub use error::{Error, RequestError};
pub use keychain::{Credential, Keychain};
pub use retry::RetryPolicy;
pub use store::{RegistryConfig, RegistryStore};
pub use transport::{Scheme, Transport, load_roots, scheme_for};
