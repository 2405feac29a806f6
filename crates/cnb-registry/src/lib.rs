//! An [`ImageStore`](cnb_image::ImageStore) over OCI distribution registries, speaking the
//! Distribution API itself over one reqwest client: manifests (OCI and Docker, indexes
//! resolved to a platform), blobs, configs and tags; uploads that check for the blob first,
//! mount it from another repository of the same registry, or else stream it in one `PATCH`;
//! the registry's auth flow (basic auth, or tokens from its token service per repository
//! scope, identity tokens); a [`Keychain`] (`CNB_REGISTRY_AUTH`, docker `config.json`,
//! credential helpers); plain HTTP where go-containerregistry allows it or the platform asks
//! for it; Go's system roots plus `SSL_CERT_FILE`/`SSL_CERT_DIR` and nothing else (no roots
//! at all is fine until a registry needs HTTPS); proxies; retries with backoff, each request
//! bounded by a timeout and a silent registry given up on. Manifests and configs larger than
//! any real one are refused before they are read whole; every digest is checked.
//!
//! Layer 3 (adapter): depends on cnb-image only. The store owns a tokio runtime so callers
//! stay synchronous; tokio, hyper, reqwest and rustls (ring provider) live in this crate and
//! nowhere below it. Environment values arrive in an [`Environment`] built by the caller.
//! Credentials and tokens never appear in logs, `Debug` output or errors.

mod auth;
mod challenge;
mod client;
mod distribution;
mod docker_config;
mod download;
mod env;
mod error;
mod keychain;
mod read;
mod registry;
mod retry;
mod store;
mod transport;
mod upload;

pub use env::Environment;
pub use error::{Error, RequestError};
pub use keychain::{Credential, Keychain};
pub use retry::RetryPolicy;
pub use store::{DEFAULT_GIVE_UP_AFTER, DEFAULT_REQUEST_TIMEOUT, RegistryConfig, RegistryStore};
pub use transport::{Scheme, Transport, load_roots, scheme_for};
