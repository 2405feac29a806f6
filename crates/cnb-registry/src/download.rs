//! [`BlobReader`]: a synchronous `Read` over a blob download. When the connection breaks
//! mid-blob, the download resumes where it stopped (a `Range` request; a registry that
//! answers with the whole blob instead has the bytes already read skipped), with the store's
//! retry policy. Bytes are hashed as they are handed out and checked against the digest at
//! the end: a mismatch is an error, never silent data. The store's progress is told the bytes
//! as they are handed out, the blob named by its short digest.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::Bytes;
use cnb_image::{Digest, Direction, Meter, Sha256Writer, Transfer};

use crate::RequestError;
use crate::client::Inner;
use crate::distribution::BlobBody;
use crate::registry::Registry;
use crate::retry::{is_transient, retry};

/// A blob being read.
pub(crate) struct BlobReader {
    /// Keeps the runtime alive for as long as the reader is.
    inner: Arc<Inner>,
    registry: Arc<Registry>,
    repository: String,
    response: reqwest::Response,
    chunk: Bytes,
    /// Bytes of a restarted full download still to drop (they were handed out before).
    skip: u64,
    /// Bytes handed out so far.
    offset: u64,
    resumes: u32,
    hasher: Option<Sha256Writer<io::Sink>>,
    expected: Digest,
    meter: Meter,
}

impl BlobReader {
    /// Starts the download (with retries); a 404 comes back as a not-found error.
    pub(crate) fn open(
        inner: &Arc<Inner>,
        registry: Arc<Registry>,
        repository: &str,
        digest: Digest,
    ) -> Result<Self, RequestError> {
        let body = inner.block_on(retry(&registry, inner.timeout(), "GET blob", || {
            registry.get_blob(repository, &digest, 0)
        }))?;
        let meter = inner.progress.start(Transfer {
            direction: Direction::Download,
            name: digest.short(),
            total: body.response.content_length(),
        });
        Ok(Self {
            inner: Arc::clone(inner),
            registry,
            repository: repository.to_owned(),
            response: body.response,
            chunk: Bytes::new(),
            skip: 0,
            offset: 0,
            resumes: 0,
            hasher: Some(Sha256Writer::new(io::sink())),
            expected: digest,
            meter,
        })
    }

    /// Asks for the rest of the blob after a broken download.
    fn resume(&mut self) -> Result<(), RequestError> {
        let (registry, repository, digest, offset) = (
            &self.registry,
            &self.repository,
            &self.expected,
            self.offset,
        );
        let BlobBody { response, partial } = self.inner.block_on(retry(
            registry,
            self.inner.timeout(),
            "GET blob (resumed)",
            || registry.get_blob(repository, digest, offset),
        ))?;
        self.response = response;
        self.skip = if partial { 0 } else { self.offset };
        tracing::debug!(digest = %self.expected, offset, "resumed blob download");
        Ok(())
    }

    /// The next chunk to hand out, `None` at the end.
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            match self.inner.block_on(self.response.chunk()) {
                Ok(Some(mut chunk)) => {
                    let drop = usize::try_from(self.skip)
                        .unwrap_or(usize::MAX)
                        .min(chunk.len());
                    self.skip -= drop as u64;
                    let _ = chunk.split_to(drop);
                    if !chunk.is_empty() {
                        return Ok(Some(chunk));
                    }
                }
                Err(err) => {
                    let err = self.registry.send_error("GET blob", err);
                    self.resumes += 1;
                    let policy = self.registry.retry;
                    if self.resumes >= policy.attempts {
                        return Err(io::Error::new(io::ErrorKind::ConnectionAborted, err));
                    }
                    tracing::debug!(digest = %self.expected, error = &err as &dyn std::error::Error, "blob download broke");
                    std::thread::sleep(policy.backoff(self.resumes));
                    self.resume().map_err(|err| {
                        let kind = if is_transient(&err) {
                            io::ErrorKind::ConnectionAborted
                        } else {
                            io::ErrorKind::Other
                        };
                        io::Error::new(kind, err)
                    })?;
                }
                Ok(None) => return Ok(None),
            }
        }
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if self.hasher.is_none() {
                return Ok(0);
            }
            if let Some(chunk) = self.next_chunk()? {
                if let Some(hasher) = self.hasher.as_mut() {
                    io::Write::write_all(hasher, &chunk)?;
                }
                self.offset += chunk.len() as u64;
                self.meter.advance(chunk.len() as u64);
                self.chunk = chunk;
                continue;
            }
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
            self.meter.done();
            return Ok(0);
        }
        let count = buf.len().min(self.chunk.len());
        buf[..count].copy_from_slice(&self.chunk.split_to(count));
        Ok(count)
    }
}
