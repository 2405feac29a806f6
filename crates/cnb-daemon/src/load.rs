//! One `POST /images/load?quiet=1` whose body is a docker-archive written as the export goes:
//! a tar holding each layer's tar as one entry, then the config, then `manifest.json`. Entries
//! are appended whole; a layer's entry header needs its size, so a layer is streamed only when
//! its size is known first. The daemon unpacks the whole archive before it registers anything,
//! so an archive cut short (the writer dropped, the process gone) loads nothing: dropping an
//! unfinished stream aborts the request.

use std::io;

use bytes::Bytes;
use cnb_sys::{BufferPool, PooledBuffer};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::body::RequestBody;
use crate::client::DaemonClient;
use crate::{Error, api};

/// Bytes per chunk sent to the daemon.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight (4 MiB).
const IN_FLIGHT: usize = 16;
/// Chunk buffers the pool keeps: a load touches at most `IN_FLIGHT + 2` buffers (a fresh one
/// per chunk would cost, with musl's allocator, about a third of the exporter's CPU when it
/// streams a GiB into a daemon; see [`BufferPool`]).
const KEPT_CHUNKS: usize = IN_FLIGHT + 2;
/// A tar block.
pub(crate) const BLOCK: usize = 512;

/// An image load in progress.
pub(crate) struct LoadStream {
    chunks: Option<mpsc::Sender<io::Result<Bytes>>>,
    answer: Option<JoinHandle<Result<Bytes, Error>>>,
    runtime: Handle,
    /// The chunk being filled, taken from `pool`; it goes back once the connection has
    /// written it.
    buffer: PooledBuffer,
    pool: BufferPool,
    endpoint: String,
    path: String,
}

impl LoadStream {
    /// Sends the request head; the body follows as it is written.
    pub(crate) fn start(client: &DaemonClient, path: String) -> Self {
        let (chunks, receiver) = mpsc::channel(IN_FLIGHT);
        let pool_of_chunks = BufferPool::new(CHUNK, KEPT_CHUNKS);
        let pool = std::sync::Arc::clone(client.pool());
        let request_path = path.clone();
        let answer = client.runtime().spawn(async move {
            let (response, sender) = pool
                .send(
                    hyper::Method::POST,
                    &request_path,
                    RequestBody::Channel(receiver),
                )
                .await?;
            pool.finish(response, sender, &request_path)
                .await
                .map(|(_, body)| body)
        });
        Self {
            chunks: Some(chunks),
            answer: Some(answer),
            runtime: client.runtime().handle().clone(),
            buffer: pool_of_chunks.take(),
            pool: pool_of_chunks,
            endpoint: client.endpoint(),
            path,
        }
    }

    /// Appends bytes to the body, sent in chunks of `CHUNK` bytes.
    pub(crate) fn write(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            let taken = bytes.len().min(CHUNK - self.buffer.len());
            self.buffer.extend_from_slice(&bytes[..taken]);
            bytes = &bytes[taken..];
            if self.buffer.len() == CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let next = self.pool.take();
        let chunk = Bytes::from_owner(std::mem::replace(&mut self.buffer, next));
        let sent = self
            .chunks
            .as_ref()
            .is_some_and(|chunks| chunks.blocking_send(Ok(chunk)).is_ok());
        if sent {
            Ok(())
        } else {
            // The daemon stopped reading: its answer says why.
            Err(self.stopped())
        }
    }

    /// The reason the daemon stopped reading the body.
    fn stopped(&mut self) -> Error {
        self.chunks = None;
        match self
            .answer
            .take()
            .map(|answer| self.runtime.block_on(answer))
        {
            Some(Ok(Err(error))) => error,
            _ => Error::Load(format!(
                "the Docker daemon at {} stopped reading the image archive ({})",
                self.endpoint, self.path
            )),
        }
    }

    /// Appends an entry header for a file of `size` bytes named `name`.
    pub(crate) fn entry(&mut self, name: &str, size: u64) -> Result<(), Error> {
        let mut header = tar::Header::new_ustar();
        header
            .set_path(name)
            .map_err(|error| Error::Load(format!("naming archive entry {name}: {error}")))?;
        header.set_size(size);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.write(header.as_bytes())
    }

    /// Pads an entry of `size` bytes to whole blocks.
    pub(crate) fn pad(&mut self, size: u64) -> Result<(), Error> {
        let rest = size % BLOCK as u64;
        if rest == 0 {
            return Ok(());
        }
        let zeros = [0u8; BLOCK];
        // rest < 512: the conversion keeps it.
        self.write(&zeros[usize::try_from(rest).unwrap_or(0)..])
    }

    /// Appends a whole small file.
    pub(crate) fn file(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.entry(name, bytes.len() as u64)?;
        self.write(bytes)?;
        self.pad(bytes.len() as u64)
    }

    /// Ends the archive and the body, and waits for the daemon's verdict.
    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.write(&[0u8; 2 * BLOCK])?;
        self.flush()?;
        self.chunks = None;
        let answer = self
            .answer
            .take()
            .map(|answer| self.runtime.block_on(answer));
        let body = match answer {
            Some(Ok(result)) => result?,
            _ => {
                return Err(Error::Load(format!(
                    "the request {} to {} ended without an answer",
                    self.path, self.endpoint
                )));
            }
        };
        match api::first_error(&body) {
            Some(message) => Err(Error::Load(message)),
            None => Ok(()),
        }
    }
}

impl Drop for LoadStream {
    fn drop(&mut self) {
        let Some(chunks) = self.chunks.take() else {
            return;
        };
        // An error item makes hyper abort the body mid-stream: the daemon sees a broken
        // archive and loads nothing.
        let aborted = Err(io::Error::other("image export abandoned"));
        if Handle::try_current().is_ok() {
            let _ = chunks.try_send(aborted);
        } else {
            let _ = chunks.blocking_send(aborted);
        }
        if let Some(answer) = self.answer.take() {
            answer.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_the_connection_has_written_is_filled_again() {
        let pool = BufferPool::new(CHUNK, KEPT_CHUNKS);
        let mut buffer = pool.take();
        buffer.extend_from_slice(b"layer bytes");
        let address = buffer.as_ptr();
        let chunk = Bytes::from_owner(buffer);
        let sent = chunk.clone();
        drop(chunk);
        assert_eq!(
            &sent[..],
            b"layer bytes",
            "kept while the connection holds it"
        );
        drop(sent);
        let again = pool.take();
        assert_eq!(again.as_ptr(), address, "the same buffer, not a new one");
        assert!(again.is_empty());
        assert!(again.capacity() >= CHUNK);
    }
}
