//! Reading answers safely: bodies read into memory only up to a limit (a hostile registry may
//! send gigabytes where a manifest belongs), error bodies shortened and cleaned of our
//! secrets, and transport failures described without their URLs.

use bytes::{Bytes, BytesMut};
use serde::Deserialize;

use crate::RequestError;
use crate::auth::Auth;

/// The most of an error body we read.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// The most of a registry's error message we repeat.
const DETAIL_CHARS: usize = 200;

/// Why a limited read failed.
pub(crate) enum Limited {
    /// More than the limit.
    TooLarge,
    /// The transfer broke.
    Failed(reqwest::Error),
}

/// The whole body of `response`, unless it holds more than `limit` bytes (refused from its
/// `Content-Length` before anything is read, or as soon as the limit is passed).
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, Limited> {
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(Limited::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(Limited::Failed)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(Limited::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The error envelope of the Distribution API.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Vec<EnvelopeError>,
}

#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// A [`RequestError::Status`] for an answer with an unexpected status: its error codes, and
/// what it says, shortened and without our secrets.
pub(crate) async fn status_error(
    operation: &str,
    response: reqwest::Response,
    auth: &Auth,
) -> RequestError {
    let status = response.status().as_u16();
    let body = read_limited(response, ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let (codes, detail) = match serde_json::from_slice::<Envelope>(&body) {
        Ok(envelope) if !envelope.errors.is_empty() => {
            let codes: Vec<String> = envelope
                .errors
                .iter()
                .map(|error| error.code.to_ascii_uppercase())
                .collect();
            let detail = envelope
                .errors
                .iter()
                .map(
                    |error| match (error.code.is_empty(), error.message.is_empty()) {
                        (false, false) => format!("{}: {}", error.code, error.message),
                        (false, true) => error.code.clone(),
                        _ => error.message.clone(),
                    },
                )
                .collect::<Vec<_>>()
                .join("; ");
            (codes, detail)
        }
        _ => (Vec::new(), String::from_utf8_lossy(&body).into_owned()),
    };
    RequestError::Status {
        operation: operation.to_owned(),
        status,
        codes,
        detail: shorten(&auth.redact(&detail)),
    }
}

/// One line of at most [`DETAIL_CHARS`] characters.
fn shorten(text: &str) -> String {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if line.chars().count() <= DETAIL_CHARS {
        return line;
    }
    let cut: String = line.chars().take(DETAIL_CHARS).collect();
    format!("{cut}…")
}

/// A failure to get an answer, as a [`RequestError`]: a certificate nobody trusts while no
/// CA certificates are loaded says so and how to provide them.
pub(crate) fn send_error(
    operation: &str,
    registry: &str,
    no_roots: bool,
    err: reqwest::Error,
) -> RequestError {
    let unknown_issuer = matches!(
        tls_failure(&err),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    );
    if no_roots && unknown_issuer {
        return RequestError::NoTrustedRoots {
            operation: operation.to_owned(),
            registry: registry.to_owned(),
        };
    }
    RequestError::Send {
        operation: operation.to_owned(),
        source: err.without_url(),
    }
}

/// Whether `err` is a TLS failure (a certificate that does not verify, a handshake refused):
/// trying again does not help.
pub(crate) fn is_tls_failure(err: &reqwest::Error) -> bool {
    tls_failure(err).is_some()
}

/// The rustls error somewhere in `err`'s chain. tokio-rustls wraps it in an `io::Error`,
/// which hyper wraps in another; an `io::Error`'s `source` skips the error it wraps, so those
/// are unwrapped with `get_ref`.
fn tls_failure<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => error.source(),
            },
            None => error.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn details_are_one_short_line() {
        assert_eq!(shorten("a\n  b\tc"), "a b c");
        let long = "x".repeat(500);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), 201);
        assert!(short.ends_with('…'));
    }
}

#[cfg(test)]
mod tls_tests {
    use super::*;

    #[test]
    fn a_certificate_error_is_found_inside_nested_io_errors() {
        let rustls_error =
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls_error,
        ));
        // What hyper builds under a reqwest error (which cannot be made by hand).
        let found = tls_failure(&wrapped).cloned();
        assert!(matches!(
            found,
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ));
    }
}
