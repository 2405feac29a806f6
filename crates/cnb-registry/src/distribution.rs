//! The Distribution API requests the store makes (OCI distribution-spec `spec.md`): manifests
//! (`GET` with an `Accept` list, `PUT`, `DELETE`), blobs (`HEAD`, `GET` from an offset), and
//! uploads (`POST` to start one or mount a blob from another repository, `PUT ?digest=` with
//! the bytes or closing a session, one `PATCH` with a streamed body). Each function is one
//! attempt; callers retry.

use bytes::Bytes;
use cnb_image::{Digest, MediaType, Meter};
use futures_util::TryStreamExt as _;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Body, StatusCode, Url};

use crate::RequestError;
use crate::auth::Scope;
use crate::read::{Limited, read_limited};
use crate::registry::Registry;

/// A manifest's name in its repository: a tag or a digest.
pub(crate) enum ManifestName<'a> {
    Tag(&'a str),
    Digest(&'a Digest),
}

/// How a mount request ended.
pub(crate) enum Mounted {
    /// `201`: the blob is in the repository now.
    Yes,
    /// `202`: the registry opened an upload session instead (left to expire).
    No,
}

/// The bytes of a monolithic upload, which can be sent again (after a `401`, say).
pub(crate) enum Content<'a> {
    /// None: the session has them.
    Nothing,
    /// In memory.
    Bytes(&'a Bytes),
    /// In a spool file of `size` bytes, read from its start each time; the meter is told the
    /// bytes as they are handed to the connection.
    File(&'a tempfile::NamedTempFile, u64, Meter),
}

impl Content<'_> {
    /// `request` with the content as its body; `None` when the spool file cannot be opened
    /// again.
    fn attach(&self, request: reqwest::RequestBuilder) -> Option<reqwest::RequestBuilder> {
        let (body, size) = match self {
            Self::Nothing => return Some(request.header(CONTENT_LENGTH, 0)),
            Self::Bytes(bytes) => (Body::from((*bytes).clone()), bytes.len() as u64),
            Self::File(file, size, meter) => {
                let reopened = file.reopen().ok()?;
                let meter = meter.clone();
                let stream = tokio_util::io::ReaderStream::with_capacity(
                    tokio::fs::File::from_std(reopened),
                    READ_CHUNK,
                )
                .inspect_ok(move |chunk| meter.advance(chunk.len() as u64));
                (Body::wrap_stream(stream), *size)
            }
        };
        Some(
            request
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, size)
                .body(body),
        )
    }
}

/// Bytes per read from a spool file.
const READ_CHUNK: usize = 1024 * 1024;

/// A blob download: the answer, and whether it starts at the offset asked for (`206`) or
/// at the start (`200`).
pub(crate) struct BlobBody {
    pub(crate) response: reqwest::Response,
    pub(crate) partial: bool,
}

impl Registry {
    /// The manifest bytes `name` names, refused when larger than `limit` and checked against
    /// the digest when the name is one.
    pub(crate) async fn get_manifest(
        &self,
        repository: &str,
        name: &ManifestName<'_>,
        accept: &str,
        limit: u64,
    ) -> Result<Vec<u8>, RequestError> {
        const OPERATION: &str = "GET manifest";
        let url = self.url(&format!("{repository}/manifests/{}", name.text()));
        let response = self
            .send(OPERATION, &Scope::pull(repository), |http| {
                Some(http.get(url.clone()).header(ACCEPT, accept))
            })
            .await?;
        if !response.status().is_success() {
            return Err(self.status_error(OPERATION, response).await);
        }
        let body = read_limited(response, limit)
            .await
            .map_err(|err| match err {
                Limited::TooLarge => RequestError::TooLarge {
                    what: "manifest",
                    limit,
                },
                Limited::Failed(err) => self.send_error(OPERATION, err),
            })?;
        if let ManifestName::Digest(expected) = name
            && Digest::of(&body) != **expected
        {
            return Err(RequestError::DigestMismatch {
                expected: **expected,
            });
        }
        Ok(body.to_vec())
    }

    /// `PUT` the manifest `bytes` under `name`.
    pub(crate) async fn put_manifest(
        &self,
        repository: &str,
        name: &ManifestName<'_>,
        media_type: &MediaType,
        bytes: &Bytes,
    ) -> Result<(), RequestError> {
        const OPERATION: &str = "PUT manifest";
        let url = self.url(&format!("{repository}/manifests/{}", name.text()));
        let response = self
            .send(OPERATION, &Scope::push(repository), |http| {
                Some(
                    http.put(url.clone())
                        .header(CONTENT_TYPE, media_type.as_str())
                        .body(bytes.clone()),
                )
            })
            .await?;
        expect(
            self,
            OPERATION,
            response,
            &[StatusCode::CREATED, StatusCode::OK],
        )
        .await
        .map(drop)
    }

    /// `DELETE` the manifest `digest` (and so every tag naming it).
    pub(crate) async fn delete_manifest(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<(), RequestError> {
        const OPERATION: &str = "DELETE manifest";
        let url = self.url(&format!("{repository}/manifests/{digest}"));
        let response = self
            .send(OPERATION, &Scope::push(repository), |http| {
                Some(http.delete(url.clone()))
            })
            .await?;
        expect(
            self,
            OPERATION,
            response,
            &[StatusCode::ACCEPTED, StatusCode::OK, StatusCode::NO_CONTENT],
        )
        .await
        .map(drop)
    }

    /// Whether the repository has blob `digest` (`HEAD`).
    pub(crate) async fn has_blob(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<bool, RequestError> {
        const OPERATION: &str = "HEAD blob";
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self
            .send(OPERATION, &Scope::pull(repository), |http| {
                Some(http.head(url.clone()))
            })
            .await?;
        match response.status() {
            status if status.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status_error(OPERATION, response).await),
        }
    }

    /// Starts downloading blob `digest` from byte `offset` on.
    pub(crate) async fn get_blob(
        &self,
        repository: &str,
        digest: &Digest,
        offset: u64,
    ) -> Result<BlobBody, RequestError> {
        let operation = if offset == 0 {
            "GET blob"
        } else {
            "GET blob (resumed)"
        };
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self
            .send(operation, &Scope::pull(repository), |http| {
                let request = http.get(url.clone());
                Some(if offset == 0 {
                    request
                } else {
                    request.header(RANGE, format!("bytes={offset}-"))
                })
            })
            .await?;
        match response.status() {
            StatusCode::OK => Ok(BlobBody {
                response,
                partial: false,
            }),
            StatusCode::PARTIAL_CONTENT if offset > 0 => Ok(BlobBody {
                response,
                partial: true,
            }),
            _ => Err(self.status_error(operation, response).await),
        }
    }

    /// Opens an upload session in `repository`; returns its location.
    pub(crate) async fn start_upload(&self, repository: &str) -> Result<Url, RequestError> {
        const OPERATION: &str = "POST blob upload";
        let url = self.url(&format!("{repository}/blobs/uploads/"));
        let response = self
            .send(OPERATION, &Scope::push(repository), |http| {
                Some(http.post(url.clone()).header(CONTENT_LENGTH, 0))
            })
            .await?;
        let response = expect(self, OPERATION, response, &[StatusCode::ACCEPTED]).await?;
        self.location(OPERATION, &response)
    }

    /// Asks the registry to mount blob `digest` from the repository `source` into
    /// `repository`.
    pub(crate) async fn mount_blob(
        &self,
        repository: &str,
        digest: &Digest,
        source: &str,
    ) -> Result<Mounted, RequestError> {
        const OPERATION: &str = "mount blob";
        let mut url = self.url(&format!("{repository}/blobs/uploads/"));
        url.query_pairs_mut()
            .append_pair("mount", &digest.to_string())
            .append_pair("from", source);
        let scope = if source == repository {
            Scope::push(repository)
        } else {
            Scope::mount(repository, source)
        };
        let response = self
            .send(OPERATION, &scope, |http| {
                Some(http.post(url.clone()).header(CONTENT_LENGTH, 0))
            })
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(Mounted::Yes),
            StatusCode::ACCEPTED => Ok(Mounted::No),
            _ => Err(self.status_error(OPERATION, response).await),
        }
    }

    /// `PUT <location>?digest=` with `content` (nothing, to close a session whose bytes were
    /// sent already).
    pub(crate) async fn put_blob(
        &self,
        repository: &str,
        location: &Url,
        digest: &Digest,
        content: Content<'_>,
    ) -> Result<(), RequestError> {
        const OPERATION: &str = "PUT blob upload";
        let mut url = location.clone();
        url.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let response = self
            .send(OPERATION, &Scope::push(repository), |http| {
                content.attach(http.put(url.clone()))
            })
            .await?;
        expect(self, OPERATION, response, &[StatusCode::CREATED])
            .await
            .map(drop)
    }

    /// Sends `body` to the session at `location` in one `PATCH` (chunked, as it comes);
    /// returns the session's next location.
    pub(crate) async fn patch_blob(
        &self,
        repository: &str,
        location: &Url,
        body: Body,
    ) -> Result<Url, RequestError> {
        const OPERATION: &str = "PATCH blob upload";
        let mut body = Some(body);
        let response = self
            .send(OPERATION, &Scope::push(repository), |http| {
                Some(
                    http.patch(location.clone())
                        .header(CONTENT_TYPE, "application/octet-stream")
                        .body(body.take()?),
                )
            })
            .await?;
        let response = expect(self, OPERATION, response, &[StatusCode::ACCEPTED]).await?;
        self.location(OPERATION, &response)
    }

    /// The `Location` of `response`, resolved against the registry.
    fn location(&self, operation: &str, response: &reqwest::Response) -> Result<Url, RequestError> {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| RequestError::Protocol {
                operation: operation.to_owned(),
                reason: "the registry named no upload location".to_owned(),
            })?;
        self.resolve(operation, location)
    }
}

impl ManifestName<'_> {
    fn text(&self) -> String {
        match self {
            Self::Tag(tag) => (*tag).to_owned(),
            Self::Digest(digest) => digest.to_string(),
        }
    }
}

/// `response` if its status is one of `expected`, else the registry's error.
async fn expect(
    registry: &Registry,
    operation: &str,
    response: reqwest::Response,
    expected: &[StatusCode],
) -> Result<reqwest::Response, RequestError> {
    if expected.contains(&response.status()) {
        Ok(response)
    } else {
        Err(registry.status_error(operation, response).await)
    }
}
