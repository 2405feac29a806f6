//! The store's [`BlobWriter`]s. A config is kept in memory until its image is saved. A layer
//! whose size is announced is streamed straight into the image's load as one archive entry,
//! hashed on the way and copied into the launch cache when there is one; a layer of unknown
//! size is spooled to a file (in the launch cache, else a temp dir) and sent when the image is
//! saved.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use cnb_cache::StagedLayer;
use cnb_image::{
    BlobWriter, Descriptor, Digest, Direction, MediaType, Meter, Progress, Sha256Writer,
    StoreError, Transfer,
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

pub(crate) type SharedSession = Arc<Mutex<Session>>;

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
    /// Hashes the bytes, unless the caller gives their digest at the end
    /// ([`BlobWriter::digest_follows`]): the exporter has hashed them already.
    pub(crate) hasher: Option<Sha256Writer<io::Sink>>,
    /// Bytes written so far.
    pub(crate) written: u64,
    pub(crate) staged: Option<StagedLayer>,
    pub(crate) done: bool,
    /// Told about the bytes the load takes; started at the first write, when the writer has
    /// been described.
    pub(crate) progress: Arc<dyn Progress>,
    pub(crate) what: Option<String>,
    pub(crate) meter: Option<Meter>,
}

impl StreamedLayer {
    /// Starts the entry `name` of `size` bytes in the session's load; `None` when another
    /// layer's entry is being written (layers are exported in parallel, and the archive takes
    /// one entry at a time: the caller spools this one instead). The check and the start are
    /// one step under the session's lock.
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
            let mut guard = lock(&session);
            if guard.writing {
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
            hasher: Some(Sha256Writer::new(io::sink())),
            written: 0,
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
        if self.written + buf.len() as u64 > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "layer is longer than the {} bytes announced for it",
                    self.size
                ),
            ));
        }
        {
            let mut guard = lock(&self.session);
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
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.write_all(buf)?;
        }
        self.written += buf.len() as u64;
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
        self.hasher = None;
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
        let written = self.written;
        if written != self.size {
            return Err(write_error(
                &self.target,
                format!(
                    "layer has {written} bytes, not the {} announced for it",
                    self.size
                ),
            ));
        }
        let computed = self.hasher.take().map(|hasher| hasher.finish().1);
        let digest = match (computed, given) {
            (Some(computed), Some(given)) if computed != given => {
                return Err(write_error(
                    &self.target,
                    format!("layer has digest {computed}, not the {given} its writer computed"),
                ));
            }
            (Some(digest), _) | (None, Some(digest)) => digest,
            (None, None) => {
                return Err(write_error(
                    &self.target,
                    "the layer's digest was to follow, and it did not",
                ));
            }
        };
        {
            let mut guard = lock(&self.session);
            let stream = guard
                .load
                .as_mut()
                .ok_or_else(|| write_error(&self.target, "the image load was abandoned"))?;
            stream
                .pad(self.size)
                .map_err(|error| write_error(&self.target, error))?;
            guard.writing = false;
            guard.entries.push((digest, std::mem::take(&mut self.name)));
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
            let mut guard = lock(&self.session);
            guard.load = None;
            guard.broken = true;
            guard.writing = false;
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

    #[test]
    fn a_second_layer_never_starts_an_entry_while_one_is_being_written() {
        let session = SharedSession::default();
        lock(&session).writing = true;
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
        assert!(lock(&session).entries.is_empty());
    }
}
