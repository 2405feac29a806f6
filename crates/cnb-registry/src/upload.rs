//! [`RegistryBlobWriter`]: a blob upload in one pass over the bytes.
//!
//! A blob starts out in memory. If it ends there (up to [`MEMORY_LIMIT`]: configs, small
//! layers), its digest is known before anything is sent, so the registry is first asked
//! whether it has it, and only otherwise is it sent (`POST`, then one `PUT ?digest=` with the
//! bytes).
//!
//! A blob that outgrows memory is a new layer (callers reuse unchanged layers by diffID
//! before they write one), so it is streamed: its bytes go to a spool file, and an upload
//! task follows the file, sending its bytes in one chunked `PATCH` as soon as they are there
//! (as docker and go-containerregistry stream layers), while the caller is still producing
//! the next ones; the digest goes with the final `PUT`. A registry pays a fixed cost per
//! `PATCH` (Distribution restores its digest state for each, about 8 ms on the loopback
//! `docker-registry`), so one `PATCH` beats one per few MiB. The writer never waits for the
//! network, and memory stays bounded by one piece of the file. When the streamed attempt
//! fails (a dropped connection, a `5xx`, a token that expired), the complete file is sent
//! again with the usual retries, after an existence check, instead of failing the export.
//!
//! A caller that can write the blob again (the exporter) says so, and its blob is streamed
//! without a spool ([`piped`]): a cut-off upload then fails with
//! [`StoreError::WriteAgain`](cnb_image::StoreError::WriteAgain), and the caller writes it
//! again.

mod piped;

use std::io::{self, Read as _, Write};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use cnb_image::{
    Action, BlobDigest, BlobWriter, Descriptor, Digest, Direction, ImageRef, MediaType, Meter,
    StoreError, Transfer,
};
use cnb_sys::BufferPool;
use futures_util::TryStreamExt as _;
use tempfile::NamedTempFile;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::RequestError;
use crate::client::{Inner, store_error};
use crate::distribution::Content;
use crate::registry::Registry;
use crate::retry::retry;

/// Bytes a blob may hold in memory before it is streamed.
const MEMORY_LIMIT: usize = 8 * 1024 * 1024;
/// Bytes per piece of the streamed body (each read from the spool file, or handed over by
/// the writer of a piped one).
const PIECE_SIZE: usize = 1024 * 1024;
/// Piece buffers kept for reuse.
const KEPT_PIECES: usize = 8;
/// Bytes per slice of a piece handed to the connection (and told to the progress meter).
const METER_GRAIN: usize = 256 * 1024;
/// Bytes gathered before each write to the spool file; a write of at least
/// [`DIRECT_WRITE`] bytes with nothing gathered goes to the file as it is (a compressed block
/// is a few hundred KiB: copying it first would only cost a pass over the blob).
const WRITE_CHUNK: usize = 1024 * 1024;
const DIRECT_WRITE: usize = 64 * 1024;
/// The time one upload attempt may take per this many bytes (at least 136 KB/s).
const BYTES_PER_TIMEOUT: u64 = 4 * 1024 * 1024;

/// A blob upload to a registry.
pub(crate) struct RegistryBlobWriter {
    inner: Arc<Inner>,
    target: ImageRef,
    media_type: MediaType,
    body: Body,
    /// The digest of the bytes written, unless the caller gives it at the end.
    digest: BlobDigest,
    /// What the blob is, for progress reports.
    what: Option<String>,
    /// The caller can write the blob again: a large one is streamed without a spool.
    can_write_again: bool,
}

/// Where the bytes written so far are.
enum Body {
    Memory(Vec<u8>),
    Streaming(Streaming),
    Piped(piped::Piped),
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
    /// The upload, committing a digest and size; `None` when it could not start (no
    /// registry: `finish` reports why).
    task: Option<JoinHandle<Result<(Digest, u64), RequestError>>>,
    /// Told the bytes as the upload task hands them to the connection.
    meter: Meter,
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
            body: Body::Memory(Vec::new()),
            digest: BlobDigest::new(),
            what: None,
            can_write_again: false,
        }
    }

    /// The transfer a progress report names: what the caller said the blob is.
    fn transfer(&self, total: Option<u64>) -> Transfer {
        upload_transfer(self.what.as_deref(), total)
    }
}

/// An upload named `what` (else "a blob") of `total` bytes.
fn upload_transfer(what: Option<&str>, total: Option<u64>) -> Transfer {
    Transfer {
        direction: Direction::Upload,
        name: what.unwrap_or("a blob").to_owned(),
        total,
    }
}

impl Write for RegistryBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Body::Memory(bytes) = &mut self.body
            && bytes.len() + buf.len() > MEMORY_LIMIT
        {
            let held = std::mem::take(bytes);
            let meter = self.inner.progress.start(self.transfer(None));
            self.body = if self.can_write_again {
                Body::Piped(piped::Piped::start(
                    Arc::clone(&self.inner),
                    self.inner.registry(&self.target),
                    self.target.repository(),
                    &held,
                    meter,
                ))
            } else {
                Body::Streaming(Streaming::start(&self.inner, &self.target, &held, meter)?)
            };
        }
        let written = self.body.write(buf)?;
        self.digest.update(&buf[..written]);
        Ok(written)
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
            Self::Piped(piped) => {
                piped.write(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Memory(_) | Self::Piped(_) => Ok(()),
            Self::Streaming(streaming) => streaming.flush(),
        }
    }
}

impl Streaming {
    /// Opens the spool file, starts the upload that follows it, and spools `held`, the bytes
    /// so far; `meter` is told the bytes the upload sends.
    fn start(inner: &Inner, target: &ImageRef, held: &[u8], meter: Meter) -> io::Result<Self> {
        let spool = spool_file(inner)?;
        let (progress, watcher) = watch::channel(Progress::default());
        let task = match (inner.registry(target), spool.reopen()) {
            (Ok(registry), Ok(reader)) => Some(inner.spawn(stream_upload(
                registry,
                target.repository().to_owned(),
                reader,
                watcher,
                meter.clone(),
            ))),
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
            meter,
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
        self.meter.set_total(size);
        // A registry that stops reading mid-PATCH would hold the task forever: it gets the
        // time a whole upload gets, then the spool is sent with the usual retries.
        let waited = self.task.map(|task| {
            let abort = task.abort_handle();
            let limit = upload_timeout(inner, size);
            // The timer is made on the runtime, inside `block_on`.
            let waited = inner.block_on(async { tokio::time::timeout(limit, task).await });
            if waited.is_err() {
                abort.abort();
                tracing::debug!("streamed upload timed out; sending the spool");
            }
            waited
        });
        let committed = match waited.and_then(Result::ok) {
            Some(Ok(Ok((digest, sent)))) if digest == *expected && sent == size => true,
            Some(Ok(Ok((digest, sent)))) => {
                tracing::debug!(%expected, %digest, sent, "streamed upload committed other bytes");
                false
            }
            Some(Ok(Err(err))) => {
                tracing::debug!(
                    error = &err as &dyn std::error::Error,
                    "streamed upload failed; sending the spool"
                );
                false
            }
            Some(Err(err)) => {
                tracing::debug!(error = %err, "streamed upload task ended");
                false
            }
            None => false,
        };
        if committed {
            self.meter.done();
            Ok(Streamed::Committed)
        } else {
            Ok(Streamed::Failed(self.spool))
        }
    }
}

impl Write for Streaming {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() && buf.len() >= DIRECT_WRITE {
            self.spool.as_file_mut().write_all(buf)?;
            self.written += buf.len() as u64;
            self.progress.send_replace(Progress {
                written: self.written,
                complete: None,
            });
            return Ok(buf.len());
        }
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

/// The streamed upload: `POST`, the spool file's bytes in one `PATCH` as soon as they are
/// there, then the `PUT` with the digest once the file is complete.
async fn stream_upload(
    registry: std::sync::Arc<Registry>,
    repository: String,
    reader: std::fs::File,
    progress: watch::Receiver<Progress>,
    meter: Meter,
) -> Result<(Digest, u64), RequestError> {
    let body = reqwest::Body::wrap_stream(metered(spooled_bytes(reader, progress.clone()), meter));
    let location = registry.start_upload(&repository).await?;
    let location = registry.patch_blob(&repository, &location, body).await?;
    let Some((digest, size)) = completion(progress).await else {
        return Err(RequestError::Protocol {
            operation: "PUT blob upload".to_owned(),
            reason: "the blob writer went away".to_owned(),
        });
    };
    registry
        .put_blob(&repository, &location, &digest, Content::Nothing)
        .await?;
    Ok((digest, size))
}

/// A new spool file, in the configured directory or the system's temp dir; removed when
/// dropped.
fn spool_file(inner: &Inner) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("cnb-blob-");
    match inner.spool_dir.as_deref() {
        Some(dir) => builder.tempfile_in(dir),
        None => builder.tempfile(),
    }
}

/// Buffers for the pieces read from spool files, reused once the connection has sent them
/// (see [`BufferPool`]): a streamed upload has a piece or two in flight; parallel uploads
/// share the pool.
fn pieces() -> &'static BufferPool {
    static PIECES: OnceLock<BufferPool> = OnceLock::new();
    PIECES.get_or_init(|| BufferPool::new(PIECE_SIZE, KEPT_PIECES))
}

/// The bytes of the spool file, in pieces of up to [`PIECE_SIZE`], as soon as the writer has
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
                if ready >= PIECE_SIZE as u64 || (complete.is_some() && ready > 0) {
                    let len = usize::try_from(ready.min(PIECE_SIZE as u64)).unwrap_or(PIECE_SIZE);
                    let mut piece = pieces().take();
                    // into the spare capacity: nothing to zero first
                    let read = io::Read::take(&mut reader, len as u64).read_to_end(&mut piece)?;
                    if read != len {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the spool file ended early",
                        ));
                    }
                    return Ok(Some((
                        Bytes::from_owner(piece),
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

/// `pieces`, handed on in slices of up to [`METER_GRAIN`], each told to `meter` as the
/// connection takes it: a slow upload moves its progress every few hundred KiB, not every
/// piece.
fn metered(
    pieces: impl futures_util::Stream<Item = io::Result<Bytes>> + Send + Sync + 'static,
    meter: Meter,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + Sync + 'static {
    pieces
        .map_ok(|mut piece| {
            futures_util::stream::iter(std::iter::from_fn(move || {
                (!piece.is_empty()).then(|| Ok(piece.split_to(piece.len().min(METER_GRAIN))))
            }))
        })
        .try_flatten()
        .inspect_ok(move |grain| meter.advance(grain.len() as u64))
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
    fn describe(&mut self, what: &str) {
        self.what = Some(what.to_owned());
    }

    fn digest_follows(&mut self) {
        self.digest.digest_follows();
    }

    fn can_write_again(&mut self) {
        self.can_write_again = true;
    }

    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        self.complete(None)
    }

    fn finish_with_digest(self: Box<Self>, digest: Digest) -> Result<Descriptor, StoreError> {
        self.complete(Some(digest))
    }
}

impl RegistryBlobWriter {
    /// Completes the blob under the digest of its bytes: the one this writer computed, else
    /// the caller's `given` one (the registry checks it when the upload is committed).
    fn complete(self: Box<Self>, given: Option<Digest>) -> Result<Descriptor, StoreError> {
        let Self {
            inner,
            target,
            media_type,
            body,
            digest,
            what,
            can_write_again: _,
        } = *self;
        let (digest, size) = digest.settle(given).map_err(|err| StoreError::WriteBlob {
            reference: target.to_string(),
            source: err.into(),
        })?;
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
            Body::Piped(piped) => {
                return finish_piped(&inner, &target, piped, descriptor);
            }
        };
        if inner
            .has_blob(&target, &digest)
            .map_err(|err| write_error(&target, err))?
        {
            tracing::debug!(%digest, size, reference = %target, "blob already present");
            return Ok(descriptor);
        }
        let registry = inner
            .registry(&target)
            .map_err(|err| write_error(&target, err))?;
        let blob = Blob {
            source: &source,
            digest: &digest,
            size,
            what: what.as_deref(),
        };
        upload(&inner, &registry, target.repository(), &blob)
            .map_err(|err| write_error(&target, err))?;
        inner.mark_present(&target, &digest);
        tracing::debug!(%digest, size, reference = %target, "uploaded blob");
        Ok(descriptor)
    }
}

/// Completes a piped upload; when it was cut off, the blob is asked for again unless the
/// registry has it after all (the connection broke after the commit).
fn finish_piped(
    inner: &Inner,
    target: &ImageRef,
    piped: piped::Piped,
    descriptor: Descriptor,
) -> Result<Descriptor, StoreError> {
    let digest = descriptor.digest;
    let cut_off = match piped.finish(&digest, descriptor.size) {
        Ok(()) => {
            inner.mark_present(target, &digest);
            tracing::debug!(%digest, size = descriptor.size, reference = %target, "streamed blob");
            return Ok(descriptor);
        }
        Err(err) => err,
    };
    if inner
        .has_blob(target, &digest)
        .map_err(|err| write_error(target, err))?
    {
        tracing::debug!(%digest, reference = %target, "blob present despite the cut-off upload");
        return Ok(descriptor);
    }
    tracing::debug!(
        error = &cut_off as &dyn std::error::Error,
        "piped upload cut off; the blob is to be written again"
    );
    Err(StoreError::WriteAgain {
        reference: target.to_string(),
        source: cut_off.into(),
    })
}

/// Writes `config`, a new image's config blob, to `target`: without asking the registry first
/// unless it is already known there (it is when the manifest it was read from named it, as in
/// a rebuild whose config did not change). A config written is nearly always new (a rebase's,
/// an export's with new layers), so the existence check would only add a request to every
/// image; a config the registry happens to have is sent again, a few KiB.
pub(crate) fn write_config(
    inner: &Inner,
    target: &ImageRef,
    media_type: MediaType,
    config: &[u8],
) -> Result<Descriptor, StoreError> {
    let digest = Digest::of(config);
    let descriptor = Descriptor::new(media_type, digest, config.len() as u64);
    if inner.is_present(target, &digest) {
        return Ok(descriptor);
    }
    let registry = inner
        .registry(target)
        .map_err(|err| write_error(target, err))?;
    let source = Source::Memory(Bytes::copy_from_slice(config));
    let blob = Blob {
        source: &source,
        digest: &digest,
        size: descriptor.size,
        what: Some("config"),
    };
    upload(inner, &registry, target.repository(), &blob).map_err(|err| write_error(target, err))?;
    inner.mark_present(target, &digest);
    tracing::debug!(%digest, size = descriptor.size, reference = %target, "uploaded config");
    Ok(descriptor)
}

/// The bytes of a blob whose digest is known.
enum Source {
    Memory(Bytes),
    /// The spool file (each attempt reads it from the start).
    Spool(NamedTempFile),
}

/// The time one upload attempt of `size` bytes gets: a request timeout per 4 MiB, and one
/// more.
fn upload_timeout(inner: &Inner, size: u64) -> std::time::Duration {
    let pieces = u32::try_from(size.div_ceil(BYTES_PER_TIMEOUT)).unwrap_or(u32::MAX);
    inner.timeout().saturating_mul(pieces.saturating_add(1))
}

/// A blob whose digest is known, to send.
struct Blob<'a> {
    source: &'a Source,
    digest: &'a Digest,
    size: u64,
    /// What the caller said it is.
    what: Option<&'a str>,
}

/// An upload of `blob` (`POST`, then one `PUT` with the bytes), retried from its start; each
/// attempt sending a spool file is metered from its start.
fn upload(
    inner: &Inner,
    registry: &Registry,
    repository: &str,
    blob: &Blob<'_>,
) -> Result<(), RequestError> {
    let Blob {
        source,
        digest,
        size,
        what,
    } = *blob;
    let timeout = upload_timeout(inner, size);
    inner.block_on(retry(registry, timeout, "blob upload", || async move {
        let location = registry.start_upload(repository).await?;
        let (content, meter) = match source {
            Source::Memory(bytes) => (Content::Bytes(bytes), Meter::off()),
            Source::Spool(file) => {
                let meter = inner.progress.start(upload_transfer(what, Some(size)));
                (Content::File(file, size, meter.clone()), meter)
            }
        };
        registry
            .put_blob(repository, &location, digest, content)
            .await?;
        meter.done();
        Ok(())
    }))
}
