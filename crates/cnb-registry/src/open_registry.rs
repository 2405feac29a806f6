//! Open registries: those whose `GET /v2/` answers without a challenge, so no request needs
//! credentials (a loopback registry, an air-gapped mirror). oci-client caches tokens, and an
//! open registry hands out none, so it would ping such a registry again before every request
//! (half the requests of a rebase). A session for an open registry therefore gives oci-client
//! no credentials at all, after one ping of our own; and manifests, whose oci-client call
//! would register credentials again, are fetched here with the plain HTTP client.
//!
//! Streamed blobs also go to an open registry from here, in one `PATCH` with a chunked body
//! (as docker and go-containerregistry stream layers), where oci-client sends a `PATCH` per
//! 4 MiB: a registry pays a fixed cost per `PATCH` (Distribution restores its digest state
//! for each), about 8 ms on the loopback `docker-registry`, 150 times for a 600 MB layer.

use std::future::Future;

use bytes::Bytes;
use cnb_image::{Digest, ImageRef};
use futures_util::Stream;
use oci_client::errors::OciDistributionError;
use reqwest::{StatusCode, Url};

use crate::RequestError;
use crate::transport::{Scheme, Transport, scheme_for};

const GET_MANIFEST: &str = "GET manifest";

/// What the ping said about a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `GET /v2/` answered a success without a `WWW-Authenticate` challenge: no request
    /// needs credentials.
    Open,
    /// A challenge, an error status, or no answer: let oci-client authenticate as usual.
    Challenged,
}

/// Pings `registry` (one attempt, bounded by the transport's timeouts). Failing to reach it
/// counts as [`Access::Challenged`]: the requests that follow report the real error.
pub(crate) async fn ping(http: &reqwest::Client, transport: &Transport, registry: &str) -> Access {
    let answer = http
        .get(format!("{}/v2/", base_url(transport, registry)))
        .timeout(transport.request_timeout)
        .send()
        .await;
    match answer {
        Ok(answer) => access(
            answer.status(),
            answer
                .headers()
                .contains_key(reqwest::header::WWW_AUTHENTICATE),
        ),
        Err(err) => {
            let err = err.without_url();
            tracing::debug!(registry, error = %err, "registry ping failed");
            Access::Challenged
        }
    }
}

/// `GET` the manifest `reference` names from an open registry, asking for `accept`. A digest
/// reference is checked against the bytes received.
pub(crate) async fn get_manifest(
    http: &reqwest::Client,
    transport: &Transport,
    reference: &ImageRef,
    accept: &[&str],
) -> Result<Vec<u8>, RequestError> {
    let fail = |source| RequestError::Registry {
        operation: GET_MANIFEST.to_owned(),
        source,
    };
    let name = match (reference.digest(), reference.tag()) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.to_owned(),
        (None, None) => cnb_image::DEFAULT_TAG.to_owned(),
    };
    let url = format!(
        "{}/v2/{}/manifests/{name}",
        base_url(transport, reference.registry()),
        reference.repository()
    );
    let answer = http
        .get(&url)
        .header(reqwest::header::ACCEPT, accept.join(", "))
        .timeout(transport.request_timeout)
        .send()
        .await
        .map_err(|err| fail(err.without_url().into()))?;
    let status = answer.status();
    let body = answer
        .bytes()
        .await
        .map_err(|err| fail(err.without_url().into()))?;
    if !status.is_success() {
        return Err(fail(OciDistributionError::ServerError {
            code: status.as_u16(),
            url,
            message: String::from_utf8_lossy(&body).trim().to_owned(),
        }));
    }
    if let Some(expected) = reference.digest()
        && Digest::of(&body) != *expected
    {
        return Err(RequestError::DigestMismatch {
            expected: *expected,
        });
    }
    Ok(body.to_vec())
}

/// Uploads the blob `body` yields into `reference`'s repository: `POST`, one `PATCH` with the
/// whole body as it comes, then `PUT ?digest=` with what `digest` resolves to once the body
/// has ended. Returns the digest and the bytes sent.
pub(crate) async fn stream_blob<S, D>(
    http: &reqwest::Client,
    transport: &Transport,
    reference: &ImageRef,
    body: S,
    digest: D,
) -> Result<(Digest, u64), RequestError>
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    D: Future<Output = Option<(Digest, u64)>>,
{
    let base = base_url(transport, reference.registry());
    let start = format!("{base}/v2/{}/blobs/uploads/", reference.repository());
    let answer = http
        .post(&start)
        .header(reqwest::header::CONTENT_LENGTH, 0)
        .send();
    let location = answer_location(
        &base,
        "POST blob upload",
        answer.await,
        StatusCode::ACCEPTED,
    )
    .await?;
    let answer = http
        .patch(location)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let mut location = answer_location(
        &base,
        "PATCH blob upload",
        answer.await,
        StatusCode::ACCEPTED,
    )
    .await?;
    let Some((digest, size)) = digest.await else {
        return Err(upload_error(
            "PUT blob upload",
            OciDistributionError::GenericError(Some("the blob writer went away".to_owned())),
        ));
    };
    location
        .query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    let answer = http
        .put(location)
        .header(reqwest::header::CONTENT_LENGTH, 0)
        .send();
    answer_location(&base, "PUT blob upload", answer.await, StatusCode::CREATED).await?;
    Ok((digest, size))
}

fn upload_error(operation: &str, source: OciDistributionError) -> RequestError {
    RequestError::Registry {
        operation: operation.to_owned(),
        source,
    }
}

/// The `Location` of an answer with status `expected`, resolved against `base`.
async fn answer_location(
    base: &str,
    operation: &str,
    answer: Result<reqwest::Response, reqwest::Error>,
    expected: StatusCode,
) -> Result<Url, RequestError> {
    let answer = answer.map_err(|err| upload_error(operation, err.without_url().into()))?;
    let status = answer.status();
    let url = answer.url().to_string();
    let header = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if status != expected {
        let message = answer.text().await.unwrap_or_default();
        return Err(upload_error(
            operation,
            OciDistributionError::ServerError {
                code: status.as_u16(),
                url,
                message: message.trim().to_owned(),
            },
        ));
    }
    let header = header
        .ok_or_else(|| upload_error(operation, OciDistributionError::RegistryNoLocationError))?;
    Url::parse(base)
        .and_then(|base| base.join(&header))
        .map_err(|err| {
            upload_error(
                operation,
                OciDistributionError::UrlParseError(err.to_string()),
            )
        })
}

fn base_url(transport: &Transport, registry: &str) -> String {
    let scheme = match scheme_for(registry, &transport.insecure_registries) {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    format!("{scheme}://{registry}")
}

fn access(status: reqwest::StatusCode, challenged: bool) -> Access {
    if status.is_success() && !challenged {
        Access::Open
    } else {
        Access::Challenged
    }
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::{Access, access};

    #[test]
    fn only_a_success_without_a_challenge_is_open() {
        assert_eq!(access(StatusCode::OK, false), Access::Open);
        assert_eq!(access(StatusCode::OK, true), Access::Challenged);
        assert_eq!(access(StatusCode::UNAUTHORIZED, true), Access::Challenged);
        assert_eq!(access(StatusCode::UNAUTHORIZED, false), Access::Challenged);
        assert_eq!(access(StatusCode::NOT_FOUND, false), Access::Challenged);
        assert_eq!(
            access(StatusCode::INTERNAL_SERVER_ERROR, false),
            Access::Challenged
        );
    }
}
