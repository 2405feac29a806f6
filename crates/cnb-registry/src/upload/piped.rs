//! [`Piped`]: a streamed upload that keeps no copy of the blob, for a caller that can write it
//! again ([`BlobWriter::can_write_again`](cnb_image::BlobWriter::can_write_again): the
//! exporter, which can read a layer's files once more).
//!
//! The bytes go to the upload task in pieces through a bounded channel, sent in one chunked
//! `PATCH` as they come, with the digest on the final `PUT`: memory stays at a few pieces.
//! Against the spooled stream this saves writing the whole blob to a temporary file and
//! reading it back (two passes over it, and its size in disk space), and the spool's dirty
//! pages no longer compete with the registry's own `fsync` of the blob.
//!
//! When the connection is slower than the blob is made (the queue stays full for
//! [`SPILL_AFTER`]), the rest of the blob goes to a spool file that the upload follows, as a
//! spooled stream does: the writer does not wait for a slow link, and its size is known (and
//! shown in progress) as soon as it is written.
//!
//! When the upload stops (a dropped connection, a `5xx`, a registry that takes no piece for a
//! request's time), the bytes written after are dropped and [`Piped::finish`] says why: the
//! caller then writes the blob again to a new writer.

use std::io::{self, Write as _};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cnb_image::{Digest, Meter};
use cnb_sys::PooledBuffer;
use futures_util::{Stream, StreamExt as _};
use tempfile::NamedTempFile;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::{PIECE_SIZE, Progress, metered, pieces, spool_file, spooled_bytes, upload_timeout};
use crate::RequestError;
use crate::client::Inner;
use crate::registry::Registry;

/// Full pieces waiting for the connection: with the one being filled and the one or two the
/// connection holds, at most a few MiB of the blob are in memory.
const QUEUED_PIECES: usize = 4;
/// How long a full piece may wait for room in the queue before the rest of the blob is
/// spooled instead: long enough for a connection that keeps up to catch up.
const SPILL_AFTER: Duration = Duration::from_millis(100);

/// What the upload sends next.
enum Next {
    Piece(Bytes),
    /// The rest of the blob: this spool file from its start, as far as the watch says.
    Spool(std::fs::File, watch::Receiver<Progress>),
}

/// The spool file the rest of a blob goes to once the connection fell behind.
struct Spill {
    file: NamedTempFile,
    written: u64,
    progress: watch::Sender<Progress>,
}

/// A blob streamed to the registry as it is written, without a spool.
pub(super) struct Piped {
    inner: Arc<Inner>,
    /// The piece being filled; sent when full.
    piece: PooledBuffer,
    /// Hands full pieces to the upload; `None` once the upload stopped taking them.
    pieces: Option<mpsc::Sender<Next>>,
    /// Where the bytes go once the connection fell behind.
    spill: Option<Spill>,
    /// Gives the upload the digest and size to commit, once the last piece is sent.
    commit: Option<oneshot::Sender<(Digest, u64)>>,
    /// The upload, committing a digest and size; `None` when it could not start.
    task: Option<JoinHandle<Result<(Digest, u64), RequestError>>>,
    /// Why the bytes stopped going to the registry, once they did.
    stopped: Option<RequestError>,
    /// Told the bytes as the connection takes them.
    meter: Meter,
}

impl Piped {
    /// Starts the upload to `repository` of `registry` (or keeps why there is none) and hands
    /// it `held`, the bytes so far; `meter` is told the bytes the upload sends.
    pub(super) fn start(
        inner: Arc<Inner>,
        registry: Result<Arc<Registry>, RequestError>,
        repository: &str,
        held: &[u8],
        meter: Meter,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUED_PIECES);
        let (commit, committed) = oneshot::channel();
        let (task, stopped) = match registry {
            Ok(registry) => {
                let upload = upload(
                    registry,
                    repository.to_owned(),
                    receiver,
                    committed,
                    meter.clone(),
                );
                (Some(inner.spawn(upload)), None)
            }
            Err(err) => (None, Some(err)),
        };
        let mut piped = Self {
            inner,
            piece: pieces().take(),
            pieces: stopped.is_none().then_some(sender),
            spill: None,
            commit: Some(commit),
            task,
            stopped,
            meter,
        };
        piped.write(held);
        piped
    }

    /// Takes `buf`, sending each piece it fills.
    pub(super) fn write(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            let take = buf.len().min(PIECE_SIZE - self.piece.len());
            self.piece.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.piece.len() == PIECE_SIZE {
                self.send_piece();
            }
        }
    }

    /// Hands the piece to the upload, or to the spool once the connection fell behind; once
    /// the upload has stopped, drops it.
    fn send_piece(&mut self) {
        let piece = std::mem::replace(&mut self.piece, pieces().take());
        if self.pieces.is_none() {
            return;
        }
        if let Some(spill) = &mut self.spill {
            if let Err(err) = spill.write(&piece) {
                self.stop(Some(super::spool_error("writing spool file", err)));
            }
            return;
        }
        match self.room(SPILL_AFTER) {
            Ok(Some(permit)) => {
                permit.send(Next::Piece(Bytes::from_owner(piece)));
            }
            Ok(None) => self.start_spill(&piece),
            Err(stopped) => self.stop(stopped),
        }
    }

    /// A place in the queue within `limit`: `None` when there was none in time, an error
    /// when the upload stopped (with why, when not the task's own failure).
    fn room(
        &self,
        limit: Duration,
    ) -> Result<Option<mpsc::OwnedPermit<Next>>, Option<RequestError>> {
        let Some(sender) = self.pieces.clone() else {
            return Err(None);
        };
        match self
            .inner
            .block_on(async { tokio::time::timeout(limit, sender.reserve_owned()).await })
        {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // the upload ended early: `finish` learns why from the task
            Ok(Err(_)) => Err(None),
            Err(_) => Ok(None),
        }
    }

    /// Spools `piece` and what follows, and tells the upload to follow the spool file.
    fn start_spill(&mut self, piece: &[u8]) {
        let started = spool_file(&self.inner).and_then(|file| {
            let reader = file.reopen()?;
            let (progress, watcher) = watch::channel(Progress::default());
            let mut spill = Spill {
                file,
                written: 0,
                progress,
            };
            spill.write(piece)?;
            Ok((spill, reader, watcher))
        });
        let (spill, reader, watcher) = match started {
            Ok(started) => started,
            Err(err) => return self.stop(Some(super::spool_error("creating spool file", err))),
        };
        tracing::debug!("the connection fell behind: spooling the rest of the blob");
        let limit = self.inner.timeout();
        match self.room(limit) {
            Ok(Some(permit)) => {
                permit.send(Next::Spool(reader, watcher));
                self.spill = Some(spill);
            }
            Ok(None) => self.stop(Some(RequestError::Timeout {
                operation: "PATCH blob upload".to_owned(),
                seconds: limit.as_secs(),
            })),
            Err(stopped) => self.stop(stopped),
        }
    }

    /// Stops sending: the bytes that follow are dropped; a timed-out upload is aborted.
    fn stop(&mut self, stopped: Option<RequestError>) {
        tracing::debug!(error = ?stopped, "streamed upload stopped taking bytes");
        self.pieces = None;
        if let Some(task) = &self.task
            && stopped.is_some()
        {
            task.abort();
        }
        self.stopped = self.stopped.take().or(stopped);
    }

    /// Sends the last piece, then waits for the upload to be committed as `digest` and
    /// `size`; an error says why it was not (nothing of it was committed then, unless the
    /// registry did so before the connection broke).
    pub(super) fn finish(mut self, digest: &Digest, size: u64) -> Result<(), RequestError> {
        if !self.piece.is_empty() {
            self.send_piece();
        }
        if let Some(spill) = &self.spill {
            // the end of the spool file, and so of the body
            spill.progress.send_replace(Progress {
                written: spill.written,
                complete: Some(*digest),
            });
        }
        // the end of the queue
        self.pieces = None;
        self.meter.set_total(size);
        if let Some(commit) = self.commit.take() {
            // no receiver: the upload ended, and the task says why
            let _ = commit.send((*digest, size));
        }
        if let Some(stopped) = self.stopped {
            return Err(stopped);
        }
        let Some(task) = self.task else {
            return Err(gone("the upload did not start"));
        };
        // What is left: the queued pieces, what is spooled, and the commit.
        let left = self.spill.as_ref().map_or(0, |spill| spill.written);
        let limit = upload_timeout(&self.inner, (QUEUED_PIECES * PIECE_SIZE) as u64 + left);
        let abort = task.abort_handle();
        let waited = self
            .inner
            .block_on(async { tokio::time::timeout(limit, task).await });
        match waited {
            Ok(Ok(Ok((committed, sent)))) if committed == *digest && sent == size => {
                self.meter.done();
                Ok(())
            }
            Ok(Ok(Ok((committed, sent)))) => Err(RequestError::Protocol {
                operation: "PUT blob upload".to_owned(),
                reason: format!("committed {committed} of {sent} bytes, not {digest} of {size}"),
            }),
            Ok(Ok(Err(err))) => Err(err),
            Ok(Err(err)) => Err(gone(&err.to_string())),
            Err(_) => {
                abort.abort();
                Err(RequestError::Timeout {
                    operation: "PUT blob upload".to_owned(),
                    seconds: limit.as_secs(),
                })
            }
        }
    }
}

impl Spill {
    /// Appends `bytes` to the file and tells the upload how far it goes.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.as_file_mut().write_all(bytes)?;
        self.written += bytes.len() as u64;
        self.progress.send_replace(Progress {
            written: self.written,
            complete: None,
        });
        Ok(())
    }
}

fn gone(reason: &str) -> RequestError {
    RequestError::Protocol {
        operation: "PATCH blob upload".to_owned(),
        reason: reason.to_owned(),
    }
}

/// The upload: `POST`, the pieces in one `PATCH` as they come, then the `PUT` with the digest
/// and size the writer gives once it has sent the last piece.
async fn upload(
    registry: Arc<Registry>,
    repository: String,
    pieces: mpsc::Receiver<Next>,
    committed: oneshot::Receiver<(Digest, u64)>,
    meter: Meter,
) -> Result<(Digest, u64), RequestError> {
    let body = reqwest::Body::wrap_stream(metered(received(pieces), meter));
    let location = registry.start_upload(&repository).await?;
    let location = registry.patch_blob(&repository, &location, body).await?;
    let (digest, size) = committed
        .await
        .map_err(|_| gone("the blob writer went away"))?;
    registry
        .put_blob(
            &repository,
            &location,
            &digest,
            crate::distribution::Content::Nothing,
        )
        .await?;
    Ok((digest, size))
}

/// Bytes read from a spool file as the writer puts them there.
type Spooled = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + Sync>>;

/// Where the body's bytes come from.
enum Source {
    Queue(mpsc::Receiver<Next>),
    Spool(Spooled),
}

/// The body: the queued pieces, then the spool file if the writer started one; it ends when
/// the writer closes the queue (or completes the spool file).
fn received(
    pieces: mpsc::Receiver<Next>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Sync + 'static {
    futures_util::stream::unfold(Source::Queue(pieces), |source| async move {
        let mut spooled = match source {
            Source::Queue(mut pieces) => match pieces.recv().await? {
                Next::Piece(piece) => return Some((Ok(piece), Source::Queue(pieces))),
                Next::Spool(file, progress) => Box::pin(spooled_bytes(file, progress)) as Spooled,
            },
            Source::Spool(spooled) => spooled,
        };
        let bytes = spooled.next().await?;
        Some((bytes, Source::Spool(spooled)))
    })
}
