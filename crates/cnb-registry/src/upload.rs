//! [`RegistryBlobWriter`]: a blob upload in one pass over the bytes.
//!
//! A blob starts out in memory. If it ends there (up to [`MEMORY_LIMIT`]: configs, small
//! layers), its digest is known before anything is sent, so the registry is first asked
//! whether it has it, and only otherwise is it sent (`POST`, then one `PUT ?digest=` with the
//! bytes).
//!
//! A blob that outgrows memory is a new layer (callers reuse unchanged layers by diffID
//! before they write one), so it is streamed: its bytes go to a spool file, and an upload
//! task follows the file, sending each `PATCH` as soon as its bytes are there, while the
//! caller is still producing the next ones; the digest goes with the final `PUT`. The writer
//! never waits for the network, and memory stays bounded by one `PATCH`. When the streamed
//! attempt fails (a dropped connection, a `5xx`), the complete file is sent again with the
//! usual retries, after an existence check, instead of failing the export.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use cnb_image::{
    Action, BlobWriter, Descriptor, Digest, ImageRef, MediaType, Sha256Writer, StoreError,
};
use futures_util::TryStreamExt as _;
use tempfile::NamedTempFile;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use crate::RequestError;
use crate::client::{Inner, Session, registry_error, store_error};
use crate::retry::retry;
use crate::transport::Transport;

/// Bytes a blob may hold in memory before it is streamed.
const MEMORY_LIMIT: usize = 8 * 1024 * 1024;
/// Bytes per `PATCH` (oci-client's own chunk size: a larger body would be split, a smaller
/// one sent as is).
const PATCH_SIZE: usize = 4 * 1024 * 1024;
/// Bytes gathered before each write to the spool file.
const WRITE_CHUNK: usize = 1024 * 1024;
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

/// A blob being spooled to a file while an upload task follows the file, sending each
/// `PATCH` as soon as its bytes are in the file.
struct Streaming {
    spool: NamedTempFile,
    /// Bytes not in the file yet (less than [`WRITE_CHUNK`]).
    pending: Vec<u8>,
    /// Bytes in the file.
    written: u64,
    /// Tells the upload task how far the file goes, and when it is complete.
    progress: watch::Sender<Progress>,
    /// The upload, committing a digest and size; `None` when it could not start (no session:
    /// `finish` reports why).
    task: Option<JoinHandle<Result<(String, u64), RequestError>>>,
}

/// How far the spool file goes.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    written: u64,
    /// The blob's digest, once the file is complete.
    complete: Option<Digest>,
}

/// How a streamed upload ended.
enum Streamed {
    Committed,
    /// Not committed: the complete spool file, to send the blob again.
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
            Self::Streaming(streaming) => streaming.flush(),
        }
    }
}

impl Streaming {
    /// Opens the spool file, starts the upload that follows it, and spools `held`, the bytes
    /// so far.
    fn start(inner: &Inner, target: &ImageRef, held: &[u8]) -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("cnb-blob-");
        let spool = match inner.spool_dir.as_deref() {
            Some(dir) => builder.tempfile_in(dir),
            None => builder.tempfile(),
        }?;
        let (progress, watcher) = watch::channel(Progress::default());
        let task = match (inner.session(target), spool.reopen()) {
            (Ok(session), Ok(reader)) => {
                let open = session
                    .open
                    .then(|| (inner.open_registry_client(), target.clone()));
                Some(inner.spawn(stream_upload(session, open, reader, watcher)))
            }
            (Err(err), _) => {
                tracing::debug!(error = %err, "not streaming the blob");
                None
            }
            (_, Err(err)) => {
                tracing::debug!(error = %err, "not streaming the blob");
                None
            }
        };
        let mut streaming = Self {
            spool,
            pending: Vec::with_capacity(WRITE_CHUNK),
            written: 0,
            progress,
            task,
        };
        streaming.write_all(held)?;
        Ok(streaming)
    }

    /// Moves the pending bytes into the file and tells the upload task; `complete` is the
    /// blob's digest once every byte is written.
    fn spool_pending(&mut self, complete: Option<Digest>) -> io::Result<()> {
        self.spool.as_file_mut().write_all(&self.pending)?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        // No receiver: the upload stopped, `finish` sends the file.
        self.progress.send_replace(Progress {
            written: self.written,
            complete,
        });
        Ok(())
    }

    /// Completes the file and waits for the upload to be committed as `expected`.
    fn finish(mut self, inner: &Inner, expected: &Digest, size: u64) -> io::Result<Streamed> {
        self.spool_pending(Some(*expected))?;
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
            Ok(Streamed::Failed(self.spool))
        }
    }
}

impl Write for Streaming {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= WRITE_CHUNK {
            self.spool_pending(None)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The streamed upload: the spool file's bytes as soon as they are there, then the `PUT`
/// with the digest. An open registry gets them in one `PATCH` (see `open_registry.rs`),
/// others through oci-client, a `PATCH` per [`PATCH_SIZE`] bytes.
async fn stream_upload(
    session: Session,
    open: Option<((reqwest::Client, Transport), ImageRef)>,
    reader: std::fs::File,
    progress: watch::Receiver<Progress>,
) -> Result<(String, u64), RequestError> {
    let body = spooled_bytes(reader, progress.clone());
    if let Some(((http, transport), target)) = open {
        let (digest, size) = crate::open_registry::stream_blob(
            &http,
            &transport,
            &target,
            body,
            completion(progress),
        )
        .await?;
        return Ok((digest.to_string(), size));
    }
    let pushed = session
        .client
        .push_blob_stream_chunked(
            &session.reference,
            body.map_err(oci_client::errors::OciDistributionError::IoError),
        )
        .await
        .map_err(|source| registry_error("streamed blob upload", source))?;
    Ok((pushed.blob_digest, pushed.size))
}

/// The bytes of the spool file, in pieces of up to [`PATCH_SIZE`], as soon as the writer has
/// put them there; the stream ends when the file is complete.
fn spooled_bytes(
    reader: std::fs::File,
    progress: watch::Receiver<Progress>,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + Sync + 'static {
    futures_util::stream::try_unfold(
        (reader, progress, 0u64),
        |(mut reader, mut progress, sent)| async move {
            loop {
                let Progress { written, complete } = *progress.borrow_and_update();
                let ready = written - sent;
                if ready >= PATCH_SIZE as u64 || (complete.is_some() && ready > 0) {
                    let len = usize::try_from(ready.min(PATCH_SIZE as u64)).unwrap_or(PATCH_SIZE);
                    let mut piece = vec![0; len];
                    io::Read::read_exact(&mut reader, &mut piece)?;
                    return Ok(Some((
                        Bytes::from(piece),
                        (reader, progress, sent + len as u64),
                    )));
                }
                if complete.is_some() {
                    return Ok(None);
                }
                if progress.changed().await.is_err() {
                    return Err(io::Error::other("the blob writer went away"));
                }
            }
        },
    )
}

/// The digest and size of the blob once the writer has completed the spool file; `None` if
/// the writer went away first.
async fn completion(mut progress: watch::Receiver<Progress>) -> Option<(Digest, u64)> {
    let done = progress
        .wait_for(|progress| progress.complete.is_some())
        .await
        .ok()?;
    done.complete.map(|digest| (digest, done.written))
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

/// An upload of `source` (`POST`, then one `PUT` with the bytes), retried from its start.
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
