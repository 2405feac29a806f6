//! What setting up registry access failed at (store operations report
//! [`cnb_image::StoreError`] instead, with this crate's [`RequestError`] as their source).
//! No message ever carries a credential, a token or a URL (upload and redirect URLs may
//! carry signatures).

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
    /// Building the HTTP client failed (a proxy URL that does not parse, say).
    #[error("configuring the HTTP client")]
    BuildHttpClient {
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
}

/// Why one registry request failed for good (after retries), as the source of a
/// [`cnb_image::StoreError`].
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The registry answered with a status the request does not expect.
    #[error("{operation}: {}", describe_status(*status, detail))]
    Status {
        /// What was asked, e.g. `PUT manifest`.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The error codes of the registry's error body (`MANIFEST_UNKNOWN`, `DENIED`, …).
        codes: Vec<String>,
        /// What the registry said, shortened, with any credential of ours cut out.
        detail: String,
    },
    /// The request got no answer: the connection failed, broke or could not be secured.
    #[error("{operation}")]
    Send {
        /// What was asked.
        operation: String,
        /// The cause (without its URL).
        #[source]
        source: reqwest::Error,
    },
    /// The registry's certificate could not be checked because no CA certificate is trusted.
    #[error(
        "{operation}: no CA certificates were found to verify https://{registry}: provide them in a file named by SSL_CERT_FILE or a directory named by SSL_CERT_DIR, or install a CA bundle such as /etc/ssl/certs/ca-certificates.crt"
    )]
    NoTrustedRoots {
        /// What was asked.
        operation: String,
        /// The registry host.
        registry: String,
    },
    /// One attempt did not finish in time.
    #[error("{operation} timed out after {seconds} s")]
    Timeout {
        /// What was asked.
        operation: String,
        /// The limit.
        seconds: u64,
    },
    /// The registry left every request unanswered for longer than the store waits.
    #[error("{operation}: gave up on {registry}: no answer for {seconds} s")]
    Unresponsive {
        /// What was asked.
        operation: String,
        /// The registry host.
        registry: String,
        /// How long it stayed silent.
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
    /// Credentials for the registry could not be used.
    #[error("resolving credentials")]
    Credentials(#[source] Box<Error>),
    /// The registry's token service gave no token.
    #[error("getting a token for {registry}: {reason}")]
    Token {
        /// The registry.
        registry: String,
        /// The token service's status, when it answered.
        status: Option<u16>,
        /// What went wrong (never a token).
        reason: String,
        /// The transfer error, when there was one (without its URL).
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The registry returned content whose bytes do not match its digest.
    #[error("content does not match digest {expected}")]
    DigestMismatch {
        /// The digest asked for.
        expected: cnb_image::Digest,
    },
    /// The registry sent more than a manifest, config or token answer may hold.
    #[error("the {what} is larger than {} MiB", limit >> 20)]
    TooLarge {
        /// `manifest`, `config`, …
        what: &'static str,
        /// The most we accept, in bytes.
        limit: u64,
    },
    /// The registry's answer does not follow the Distribution API.
    #[error("{operation}: {reason}")]
    Protocol {
        /// What was asked.
        operation: String,
        /// What is wrong with the answer.
        reason: String,
    },
}

/// `404 Not Found (MANIFEST_UNKNOWN: manifest unknown)`.
fn describe_status(status: u16, detail: &str) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("");
    let mut text = format!("the registry answered {status} {reason}");
    let text_len = text.trim_end().len();
    text.truncate(text_len);
    if !detail.is_empty() {
        text = format!("{text} ({detail})");
    }
    text
}

impl RequestError {
    /// The HTTP status behind the error, when the registry (or its token service) answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Token { status, .. } => *status,
            _ => None,
        }
    }

    /// The registry's error codes, upper case.
    pub(crate) fn codes(&self) -> &[String] {
        match self {
            Self::Status { codes, .. } => codes,
            _ => &[],
        }
    }
}
