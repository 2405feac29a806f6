//! What setting up registry access failed at (store operations report
//! [`cnb_image::StoreError`] instead, with this crate's [`RequestError`] as their source).
//! No message ever carries a credential.

use std::io;
use std::path::PathBuf;

/// A failure while building the keychain or the HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `CNB_REGISTRY_AUTH` is not a JSON object of strings.
    #[error("parsing CNB_REGISTRY_AUTH: {reason}")]
    ParseRegistryAuthJson {
        /// What is wrong (never the value).
        reason: String,
    },
    /// A `CNB_REGISTRY_AUTH` entry cannot be used.
    #[error("parsing CNB_REGISTRY_AUTH entry for {registry}: {reason}")]
    ParseRegistryAuth {
        /// The registry whose entry is bad.
        registry: String,
        /// What is wrong (never the value).
        reason: String,
    },
    /// Reading the docker `config.json` failed.
    #[error("reading docker config {path}")]
    ReadDockerConfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The docker `config.json` is not valid.
    #[error("parsing docker config {path}: {reason}")]
    ParseDockerConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where (never the value).
        reason: String,
    },
    /// An `auths` entry of the docker config cannot be used.
    #[error("parsing docker config auth for {registry}: {reason}")]
    ParseDockerAuth {
        /// The registry.
        registry: String,
        /// What is wrong (never the value).
        reason: String,
    },
    /// Reading a CA certificate file failed.
    #[error("reading CA certificates {path}")]
    ReadCertificates {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Starting the async runtime failed.
    #[error("starting the registry client runtime")]
    StartRuntime(#[source] io::Error),
    /// Building the plain HTTP client (for token exchanges) failed.
    #[error("configuring the HTTP client")]
    BuildHttpClient {
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// Building the HTTP client for a registry failed.
    #[error("configuring the client for {registry}")]
    BuildClient {
        /// The registry host.
        registry: String,
        /// The cause.
        #[source]
        source: oci_client::errors::OciDistributionError,
    },
}

/// Why one registry request failed for good (after retries), as the source of a
/// [`cnb_image::StoreError`].
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The registry answered with an error.
    #[error("{operation}")]
    Registry {
        /// What was asked, e.g. `PATCH blob upload`.
        operation: String,
        /// The client's error.
        #[source]
        source: oci_client::errors::OciDistributionError,
    },
    /// The request did not finish in time.
    #[error("{operation} timed out after {seconds} s")]
    Timeout {
        /// What was asked.
        operation: String,
        /// The limit.
        seconds: u64,
    },
    /// Reading or writing the local spool file failed.
    #[error("{operation}")]
    Spool {
        /// What was done.
        operation: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The client for the registry could not be built.
    #[error("setting up the registry client")]
    Client(#[source] Box<Error>),
    /// Credentials for the registry could not be used.
    #[error("resolving credentials")]
    Credentials(#[source] Box<Error>),
    /// Exchanging an identity token for an access token failed.
    #[error("exchanging the identity token for {registry}: {reason}")]
    TokenExchange {
        /// The registry.
        registry: String,
        /// What went wrong (never the token).
        reason: String,
    },
    /// The registry returned a blob whose bytes do not match its digest.
    #[error("blob does not match digest {expected}")]
    DigestMismatch {
        /// The digest asked for.
        expected: cnb_image::Digest,
    },
}
