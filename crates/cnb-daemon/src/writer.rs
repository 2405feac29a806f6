//! The store's [`BlobWriter`]s. A config is kept in memory until its image is saved. A layer
//! whose size is announced is streamed straight into the image's load as one archive entry,
//! hashed on the way and copied into the launch cache when there is one; a layer of unknown
//! size is spooled to a file (in the launch cache, else a temp dir) and sent when the image is
//! saved.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use cnb_cache::StagedLayer;
use cnb_image::{
    BlobDigest, BlobWriter, Descriptor, Digest, Direction, MediaType, Meter, Progress,
    Sha256Writer, StoreError, Transfer,
};

use crate::load::LoadStream;
use crate::store::Shared;

/// The blobs written for one image that is not saved yet: the load it is streamed into, and
/// the archive entries already in it, by blob digest.
#[derive(Default)]
pub(crate) struct Session {
    pub(crate) load: Option<LoadStream>,
    pub(crate) entries: Vec<(Digest, String)>,
    /// An entry is being written.
    pub(crate) writing: bool,
    /// An entry was left half-written: the archive is unusable.
    pub(crate) broken: bool,
}

impl Session {
    pub(crate) fn entry(&self, digest: &Digest) -> Option<&str> {
        self.entries
            .iter()
            .find(|(entry, _)| entry == digest)
            .map(|(_, name)| name.as_str())
    }
}

/// A session shared by the layers of one image being written in parallel, with a signal for
/// the end of each archive entry.
#[derive(Default)]
pub(crate) struct SessionCell {
    session: Mutex<Session>,
    entry_ended: Condvar,
}

impl SessionCell {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Session> {
        lock(&self.session)
    }

    /// Waits, with `session` locked, until no entry is being written (or the archive is
    /// broken).
    fn wait_between_entries<'a>(
        &self,
        session: MutexGuard<'a, Session>,
    ) -> MutexGuard<'a, Session> {
        self.entry_ended
            .wait_while(session, |session| session.writing && !session.broken)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the entry being written: a layer waiting for the archive may start its own.
    fn end_entry(&self, mut session: MutexGuard<'_, Session>) {
        session.writing = false;
        drop(session);
        self.entry_ended.notify_all();
    }
}

pub(crate) type SharedSession = Arc<SessionCell>;

/// Layers smaller than this that find another layer's entry being written are spooled and
/// sent when the image is saved; bigger ones wait for the archive. Spooling a big layer would
/// write it to disk and read it back, and hold the daemon's unpacking of it until the end of
/// the export, where streaming overlaps the two: parallel export then reorders the archive's
/// entries, and the daemon, which takes one at a time, gets the big ones as they are made.
pub(crate) const SPOOL_BELOW: u64 = 16 << 20;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn write_error(reference: &str, error: impl Into<cnb_image::BoxError>) -> StoreError {
    StoreError::WriteBlob {
        reference: reference.to_owned(),
        source: error.into(),
    }
}

/// A config blob, kept until [`write_manifest`](cnb_image::ImageStore::write_manifest).
pub(crate) struct ConfigWriter {
    pub(crate) shared: Arc<Shared>,
    pub(crate) media_type: MediaType,
    pub(crate) bytes: Vec<u8>,
}

impl Write for ConfigWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for ConfigWriter {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let digest = Digest::of(&self.bytes);
        let size = self.bytes.len() as u64;
        lock(&self.shared.state).configs.insert(digest, self.bytes);
        Ok(Descriptor::new(self.media_type, digest, size))
    }
}

/// A layer of announced size, streamed into its image's load.
pub(crate) struct StreamedLayer {
    pub(crate) session: SharedSession,
    pub(crate) target: String,
    pub(crate) media_type: MediaType,
    pub(crate) name: String,
    pub(crate) size: u64,
    /// The digest of the bytes written (and their count), unless the caller gives it at the
    /// end ([`BlobWriter::digest_follows`]): the exporter has hashed them already.
    pub(crate) digest: BlobDigest,
    pub(crate) staged: Option<StagedLayer>,
    pub(crate) done: bool,
    /// Told about the bytes the load takes; started at the first write, when the writer has
    /// been described.
    pub(crate) progress: Arc<dyn Progress>,
    pub(crate) what: Option<String>,
    pub(crate) meter: Option<Meter>,
}

impl StreamedLayer {
    /// Starts the entry `name` of `size` bytes in the session's load. Layers are exported in
    /// parallel, and the archive takes one entry at a time: when another layer's entry is
    /// being written, a layer of [`SPOOL_BELOW`] bytes or more waits for it to end, and a
    /// smaller one gets `None` (the caller spools it), as does any layer once the archive is
    /// broken. The check and the start are one step under the session's lock.
    pub(crate) fn start(
        session: SharedSession,
        load: impl FnOnce() -> Result<LoadStream, crate::Error>,
        target: String,
        media_type: MediaType,
        size: u64,
        staged: Option<StagedLayer>,
        progress: Arc<dyn Progress>,
    ) -> Result<Option<Self>, StoreError> {
        let name = {
            let mut guard = session.lock();
            if guard.writing {
                if size < SPOOL_BELOW {
                    return Ok(None);
                }
                guard = session.wait_between_entries(guard);
            }
            if guard.broken {
                return Ok(None);
            }
            if guard.load.is_none() {
                guard.load = Some(load().map_err(|error| write_error(&target, error))?);
            }
            let name = format!(
                "layer-{}.tar",
                guard.entries.len() + usize::from(guard.writing)
            );
            let stream = guard
                .load
                .as_mut()
                .ok_or_else(|| write_error(&target, "no load"))?;
            stream
                .entry(&name, size)
                .map_err(|error| write_error(&target, error))?;
            guard.writing = true;
            name
        };
        Ok(Some(Self {
            session,
            target,
            media_type,
            name,
            size,
            digest: BlobDigest::new(),
            staged,
            done: false,
            progress,
            what: None,
            meter: None,
        }))
    }
}

impl Write for StreamedLayer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.digest.size() + buf.len() as u64 > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "layer is longer than the {} bytes announced for it",
                    self.size
                ),
            ));
        }
        {
            let mut guard = self.session.lock();
            let stream = guard
                .load
                .as_mut()
                .ok_or_else(|| io::Error::other("the image load was abandoned"))?;
            stream.write(buf).map_err(io::Error::other)?;
        }
        let (progress, what, size) = (&self.progress, &self.what, self.size);
        self.meter
            .get_or_insert_with(|| {
                progress.start(Transfer {
                    direction: Direction::Upload,
                    name: what.clone().unwrap_or_else(|| "a layer".to_owned()),
                    total: Some(size),
                })
            })
            .advance(buf.len() as u64);
        if let Some(staged) = self.staged.as_mut() {
            staged.write_all(buf)?;
        }
        self.digest.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for StreamedLayer {
    fn describe(&mut self, what: &str) {
        self.what = Some(what.to_owned());
    }

    fn digest_follows(&mut self) {
        self.digest.digest_follows();
    }

    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        self.complete(None)
    }

    fn finish_with_digest(self: Box<Self>, digest: Digest) -> Result<Descriptor, StoreError> {
        self.complete(Some(digest))
    }
}

impl StreamedLayer {
    /// Ends the entry (padding it) and names it by the digest of its bytes: the one this
    /// writer computed, else the caller's `given` one (the daemon checks it against the
    /// layer's diffID when it loads the image).
    fn complete(mut self: Box<Self>, given: Option<Digest>) -> Result<Descriptor, StoreError> {
        let written = self.digest.size();
        if written != self.size {
            return Err(write_error(
                &self.target,
                format!(
                    "layer has {written} bytes, not the {} announced for it",
                    self.size
                ),
            ));
        }
        let (digest, _) = std::mem::take(&mut self.digest)
            .settle(given)
            .map_err(|err| write_error(&self.target, err))?;
        {
            let mut guard = self.session.lock();
            let stream = guard
                .load
                .as_mut()
                .ok_or_else(|| write_error(&self.target, "the image load was abandoned"))?;
            stream
                .pad(self.size)
                .map_err(|error| write_error(&self.target, error))?;
            guard.entries.push((digest, std::mem::take(&mut self.name)));
            self.session.end_entry(guard);
        }
        self.done = true;
        if let Some(staged) = self.staged.take() {
            staged
                .finish(&digest, false)
                .map_err(|error| write_error(&self.target, error))?;
        }
        if let Some(meter) = &self.meter {
            meter.done();
        }
        tracing::debug!(%digest, size = self.size, "streamed layer into the image load");
        Ok(Descriptor::new(self.media_type.clone(), digest, self.size))
    }
}

impl Drop for StreamedLayer {
    fn drop(&mut self) {
        if !self.done {
            // A half-written entry: the archive is lost, and the load is aborted with it.
            let mut guard = self.session.lock();
            guard.load = None;
            guard.broken = true;
            self.session.end_entry(guard);
        }
    }
}

/// A layer of unknown size, spooled to a file first.
pub(crate) struct SpooledLayer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) target: String,
    pub(crate) media_type: MediaType,
    pub(crate) file: Sha256Writer<StagedLayer>,
}

impl Write for SpooledLayer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl BlobWriter for SpooledLayer {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let Self {
            shared,
            target,
            media_type,
            file,
        } = *self;
        let (staged, digest, size) = file.finish();
        let path: PathBuf = staged
            .finish(&digest, false)
            .map_err(|error| write_error(&target, error))?;
        lock(&shared.state).files.insert(digest, path);
        Ok(Descriptor::new(media_type, digest, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_big(session: &SharedSession) -> std::thread::JoinHandle<Result<bool, String>> {
        let session = Arc::clone(session);
        std::thread::spawn(move || {
            StreamedLayer::start(
                session,
                || Err(crate::Error::Load("no daemon in this test".to_owned())),
                "app".to_owned(),
                MediaType::DockerLayer,
                SPOOL_BELOW,
                None,
                Arc::new(cnb_image::Silent),
            )
            .map(|layer| layer.is_some())
            .map_err(|error| cnb_api::one_line(&error))
        })
    }

    #[test]
    fn a_big_layer_waits_for_the_entry_being_written_then_starts_its_own() {
        let session = SharedSession::default();
        session.lock().writing = true;
        let waiter = start_big(&session);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(
            !waiter.is_finished(),
            "it waits while the other entry is written"
        );
        let guard = session.lock();
        session.end_entry(guard);
        let started = waiter.join().unwrap();
        // It went on to start the image load, which this test's daemon refuses.
        let error = started.unwrap_err();
        assert!(error.contains("no daemon in this test"), "{error}");
    }

    #[test]
    fn a_waiting_layer_is_spooled_once_the_archive_is_broken() {
        let session = SharedSession::default();
        session.lock().writing = true;
        let waiter = start_big(&session);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut guard = session.lock();
        guard.broken = true;
        session.end_entry(guard);
        assert_eq!(
            waiter.join().unwrap(),
            Ok(false),
            "spooled: the save says why"
        );
    }

    #[test]
    fn a_second_small_layer_never_starts_an_entry_while_one_is_being_written() {
        let session = SharedSession::default();
        session.lock().writing = true;
        let started = StreamedLayer::start(
            Arc::clone(&session),
            || panic!("no load is started for it"),
            "app".to_owned(),
            MediaType::DockerLayer,
            3,
            None,
            Arc::new(cnb_image::Silent),
        )
        .expect("no error");
        assert!(started.is_none(), "the caller spools it instead");
        assert!(session.lock().entries.is_empty());
    }
}
