//! [`RegistryBlobWriter`]: a blob upload in one pass over the bytes.
//!
//! A blob starts out in memory. If it ends there (up to [`MEMORY_LIMIT`]: configs, small
//! layers), its digest is known before anything is sent, so the registry is first asked
//! whether it has it, and only otherwise is it sent as a chunked upload (`POST`, `PATCH`…,
//! `PUT ?digest=`).
//!
//! A blob that outgrows memory is a new layer (callers reuse unchanged layers by diffID
//! before they write one), so it is streamed: a chunked upload starts at once and each
//! `PATCH` goes out while the caller is still producing the next bytes, the digest is sent
//! with the final `PUT`. Every byte is also spooled to a temp file, so when the streamed
//! attempt fails (a dropped connection, a `5xx`), the blob is sent again from the file with
//! the usual retries, after an existence check, instead of failing the export.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use bytes::Bytes;
use cnb_image::{
    Action, BlobWriter, Descriptor, Digest, ImageRef, MediaType, Sha256Writer, StoreError,
};
use futures_util::TryStreamExt as _;
use tempfile::NamedTempFile;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use crate::RequestError;
use crate::client::{Inner, Session, registry_error, store_error};
use crate::retry::retry;

/// Bytes a blob may hold in memory before it is streamed.
const MEMORY_LIMIT: usize = 8 * 1024 * 1024;
/// Bytes per `PATCH` (oci-client's own chunk size: a larger body would be split, a smaller
/// one sent as is).
const PATCH_SIZE: usize = 4 * 1024 * 1024;
/// `PATCH` bodies waiting for the upload task at most; the writer blocks beyond that.
const QUEUED_PATCHES: usize = 2;
/// Bytes per read from the spool file when an upload is retried from it.
const READ_CHUNK: usize = 1024 * 1024;

/// A blob upload to a registry.
pub(crate) struct RegistryBlobWriter {
    inner: Arc<Inner>,
    target: ImageRef,
    media_type: MediaType,
    body: Sha256Writer<Body>,
}

/// Where the bytes written so far are.
enum Body {
    Memory(Vec<u8>),
    Streaming(Streaming),
}

/// A blob being streamed to the registry and spooled to a file at the same time.
struct Streaming {
    spool: BufWriter<NamedTempFile>,
    /// Bytes not handed to the upload task yet (less than a `PATCH`).
    pending: Vec<u8>,
    /// `None` once the upload task stopped (it failed; the spool file still has everything).
    patches: Option<mpsc::Sender<Bytes>>,
    /// The upload, committing a digest and size; `None` when it could not start (no session:
    /// `finish` reports why).
    task: Option<JoinHandle<Result<(String, u64), RequestError>>>,
}

/// How a streamed upload ended.
enum Streamed {
    Committed,
    /// Not committed: the flushed spool file, to send the blob again.
    Failed(NamedTempFile),
}

impl RegistryBlobWriter {
    pub(crate) fn new(inner: Arc<Inner>, target: ImageRef, media_type: MediaType) -> Self {
        Self {
            inner,
            target,
            media_type,
            body: Sha256Writer::new(Body::Memory(Vec::new())),
        }
    }
}

impl Write for RegistryBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Body::Memory(bytes) = self.body.get_mut()
            && bytes.len() + buf.len() > MEMORY_LIMIT
        {
            let held = std::mem::take(bytes);
            let streaming = Streaming::start(&self.inner, &self.target, &held)?;
            *self.body.get_mut() = Body::Streaming(streaming);
        }
        self.body.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.body.flush()
    }
}

impl Write for Body {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Memory(bytes) => bytes.write(buf),
            Self::Streaming(streaming) => streaming.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Streaming(streaming) => streaming.spool.flush(),
        }
    }
}

impl Streaming {
    /// Opens the spool file and starts the upload with `held`, the bytes so far.
    fn start(inner: &Inner, target: &ImageRef, held: &[u8]) -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("cnb-blob-");
        let file = match inner.spool_dir.as_deref() {
            Some(dir) => builder.tempfile_in(dir),
            None => builder.tempfile(),
        }?;
        let (patches, task) = match inner.session(target) {
            Ok(session) => {
                let (sender, receiver) = mpsc::channel(QUEUED_PATCHES);
                let task = inner.spawn(stream_upload(session, receiver));
                (Some(sender), Some(task))
            }
            Err(err) => {
                tracing::debug!(error = %err, "not streaming the blob");
                (None, None)
            }
        };
        let mut streaming = Self {
            spool: BufWriter::with_capacity(READ_CHUNK, file),
            pending: Vec::with_capacity(PATCH_SIZE),
            patches,
            task,
        };
        streaming.write_all(held)?;
        Ok(streaming)
    }

    /// Hands full `PATCH` bodies to the upload task.
    fn send_full_patches(&mut self) {
        while self.pending.len() >= PATCH_SIZE {
            let rest = self.pending.split_off(PATCH_SIZE);
            let patch = std::mem::replace(&mut self.pending, rest);
            self.send(patch);
        }
    }

    fn send(&mut self, patch: Vec<u8>) {
        if let Some(patches) = &self.patches
            && patches.blocking_send(Bytes::from(patch)).is_err()
        {
            // The task stopped: the upload failed, `finish` sends the blob from the spool.
            self.patches = None;
        }
    }

    /// Sends what is left and waits for the upload to be committed as `expected`.
    fn finish(mut self, inner: &Inner, expected: &Digest, size: u64) -> io::Result<Streamed> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.send(rest);
        }
        drop(self.patches.take());
        let committed = match self.task.map(|task| inner.block_on(task)) {
            Some(Ok(Ok((digest, sent)))) if digest == expected.to_string() && sent == size => true,
            Some(Ok(Ok((digest, sent)))) => {
                tracing::debug!(%expected, digest, sent, "streamed upload committed other bytes");
                false
            }
            Some(Ok(Err(err))) => {
                tracing::debug!(error = %err, "streamed upload failed; sending the spool");
                false
            }
            Some(Err(err)) => {
                tracing::debug!(error = %err, "streamed upload task ended");
                false
            }
            None => false,
        };
        if committed {
            Ok(Streamed::Committed)
        } else {
            let file = self
                .spool
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?;
            Ok(Streamed::Failed(file))
        }
    }
}

impl Write for Streaming {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.spool.write_all(buf)?;
        if self.patches.is_some() {
            self.pending.extend_from_slice(buf);
            self.send_full_patches();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.spool.flush()
    }
}

/// The streamed chunked upload: `PATCH`es as they arrive, then the `PUT` with the digest
/// computed on the way.
async fn stream_upload(
    session: Session,
    patches: mpsc::Receiver<Bytes>,
) -> Result<(String, u64), RequestError> {
    let stream = futures_util::stream::unfold(patches, |mut patches| async move {
        patches.recv().await.map(|patch| (Ok(patch), patches))
    });
    let pushed = session
        .client
        .push_blob_stream_chunked(&session.reference, stream)
        .await
        .map_err(|source| registry_error("streamed blob upload", source))?;
    Ok((pushed.blob_digest, pushed.size))
}

fn spool_error(operation: &str, source: io::Error) -> RequestError {
    RequestError::Spool {
        operation: operation.to_owned(),
        source,
    }
}

fn write_error(target: &ImageRef, err: RequestError) -> StoreError {
    store_error(Action::Write, target, err, |reference, source| {
        StoreError::WriteBlob { reference, source }
    })
}

impl BlobWriter for RegistryBlobWriter {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let Self {
            inner,
            target,
            media_type,
            body,
        } = *self;
        let (body, digest, size) = body.finish();
        let descriptor = Descriptor::new(media_type, digest, size);
        let source = match body {
            Body::Memory(bytes) => Source::Memory(Bytes::from(bytes)),
            Body::Streaming(streaming) => match streaming
                .finish(&inner, &digest, size)
                .map_err(|err| write_error(&target, spool_error("flushing spool file", err)))?
            {
                Streamed::Committed => {
                    inner.mark_present(&target, &digest);
                    tracing::debug!(%digest, size, reference = %target, "streamed blob");
                    return Ok(descriptor);
                }
                Streamed::Failed(file) => Source::Spool(file),
            },
        };
        if inner
            .has_blob(&target, &digest)
            .map_err(|err| write_error(&target, err))?
        {
            tracing::debug!(%digest, size, reference = %target, "blob already present");
            return Ok(descriptor);
        }
        let session = inner
            .session(&target)
            .map_err(|err| write_error(&target, err))?;
        upload(&inner, &session, &source, &digest, size)
            .map_err(|err| write_error(&target, err))?;
        inner.mark_present(&target, &digest);
        tracing::debug!(%digest, size, reference = %target, "uploaded blob");
        Ok(descriptor)
    }
}

/// The bytes of a blob whose digest is known.
enum Source {
    Memory(Bytes),
    /// The spool file (each attempt reads it from the start).
    Spool(NamedTempFile),
}

/// A chunked upload of `source`, retried from the start of it.
fn upload(
    inner: &Inner,
    session: &Session,
    source: &Source,
    digest: &Digest,
    size: u64,
) -> Result<(), RequestError> {
    let chunks = u32::try_from(size.div_ceil(PATCH_SIZE as u64)).unwrap_or(u32::MAX);
    let timeout = inner.timeout().saturating_mul(chunks.saturating_add(1));
    let digest = digest.to_string();
    inner.block_on(retry(inner.retry, timeout, "blob upload", || {
        let (client, reference, digest) = (&session.client, &session.reference, &digest);
        async move {
            let pushed = match source {
                Source::Memory(bytes) => {
                    let stream = futures_util::stream::once(std::future::ready(Ok(bytes.clone())));
                    client
                        .push_blob_stream(reference, stream, digest, Some(size))
                        .await
                }
                Source::Spool(file) => {
                    let reopened = file
                        .reopen()
                        .map_err(|source| spool_error("reopening spool file", source))?;
                    let stream = ReaderStream::with_capacity(
                        tokio::fs::File::from_std(reopened),
                        READ_CHUNK,
                    )
                    .map_err(oci_client::errors::OciDistributionError::IoError);
                    client
                        .push_blob_stream(reference, stream, digest, Some(size))
                        .await
                }
            };
            pushed
                .map(drop)
                .map_err(|source| registry_error("blob upload", source))
        }
    }))
}
