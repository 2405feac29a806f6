//! [`BlobReader`]: a synchronous `Read` over a blob download. Bytes are checked against the
//! blob's digest as they arrive; a mismatch at the end is an error, never silent data.

use std::io::{self, Read};

use bytes::Bytes;
use cnb_image::{Digest, Sha256Writer};
use futures_util::StreamExt as _;
use oci_client::client::SizedStream;

use crate::RequestError;
use crate::retry::retry;
use crate::store::{Inner, Session, registry_error};

/// A blob being read.
pub(crate) struct BlobReader {
    handle: tokio::runtime::Handle,
    stream: SizedStream,
    chunk: Bytes,
    hasher: Option<Sha256Writer<io::Sink>>,
    expected: Digest,
}

impl BlobReader {
    /// Starts the download (with retries); a 404 comes back as a not-found error.
    pub(crate) fn open(
        inner: &Inner,
        session: &Session,
        digest: Digest,
    ) -> Result<Self, RequestError> {
        let digest_text = digest.to_string();
        let stream = inner.block_on(retry(inner.retry, inner.timeout(), "GET blob", || {
            let (client, reference, digest) = (&session.client, &session.reference, &digest_text);
            async move {
                client
                    .pull_blob_stream(reference, digest.as_str())
                    .await
                    .map_err(|source| registry_error("GET blob", source))
            }
        }))?;
        Ok(Self {
            handle: inner.handle(),
            stream,
            chunk: Bytes::new(),
            hasher: Some(Sha256Writer::new(io::sink())),
            expected: digest,
        })
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            let Some(hasher) = self.hasher.as_mut() else {
                return Ok(0);
            };
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(chunk)) => {
                    io::Write::write_all(hasher, &chunk)?;
                    self.chunk = chunk;
                }
                Some(Err(err)) => return Err(err),
                None => {
                    let digest = self
                        .hasher
                        .take()
                        .map_or(self.expected, |hasher| hasher.finish().1);
                    if digest != self.expected {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            RequestError::DigestMismatch {
                                expected: self.expected,
                            },
                        ));
                    }
                    return Ok(0);
                }
            }
        }
        let count = buf.len().min(self.chunk.len());
        buf[..count].copy_from_slice(&self.chunk.split_to(count));
        Ok(count)
    }
}
