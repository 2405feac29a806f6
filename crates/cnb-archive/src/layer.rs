//! One pass from entries to a pushed blob: tar → SHA-256 of the tar (the diffID) → compress
//! → SHA-256 and size of the blob (the digest) → sink, streaming. Nothing is staged: memory
//! stays at the compressor's blocks in flight, whatever the layer's size. An uncompressed
//! layer is hashed once: its blob is its tar, so its digest is its diffID.

use std::io::{self, Read, Write};
use std::num::NonZeroUsize;

use cnb_image::{Descriptor, Digest, MediaType, Sha256Writer};

use crate::compress::{Compression, Encoder};
use crate::writer::FillError;
use crate::{EntrySink, Error, Header, Result, TarWriter};

/// What a finished layer is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDigests {
    /// SHA-256 of the uncompressed tar: the image config's `rootfs.diff_ids` entry.
    pub diff_id: Digest,
    /// SHA-256 of the blob as written to the sink: the manifest's layer digest.
    pub digest: Digest,
    /// Size of the blob in bytes.
    pub size: u64,
    /// The blob's (OCI) media type.
    pub media_type: MediaType,
}

impl LayerDigests {
    /// The manifest descriptor of the blob.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(self.media_type.clone(), self.digest, self.size)
    }
}

/// The stream a layer's tar is written into: it hashes the tar, compresses it and hashes the
/// compressed bytes on their way to the sink.
pub struct LayerStream<W: Write> {
    inner: Sha256Writer<Encoder<BlobSink<W>>>,
}

/// The sink end of a layer stream: hashing the compressed bytes, or only counting them when
/// they are the tar itself (already hashed as the diffID).
enum BlobSink<W: Write> {
    Hashed(Sha256Writer<W>),
    Counted(W, u64),
}

impl<W: Write> BlobSink<W> {
    /// The sink, the blob's digest (`None` when only counted) and its size.
    fn finish(self) -> (W, Option<Digest>, u64) {
        match self {
            Self::Hashed(hasher) => {
                let (sink, digest, size) = hasher.finish();
                (sink, Some(digest), size)
            }
            Self::Counted(sink, size) => (sink, None, size),
        }
    }
}

impl<W: Write> Write for BlobSink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Hashed(hasher) => hasher.write(buf),
            Self::Counted(sink, size) => {
                let written = sink.write(buf)?;
                *size += written as u64;
                Ok(written)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Hashed(hasher) => hasher.flush(),
            Self::Counted(sink, _) => sink.flush(),
        }
    }
}

impl<W: Write> LayerStream<W> {
    /// The stream's [`Fill`](crate::writer::Fill): gzip contents are read straight into the
    /// compressor's block and hashed there, sparing a copy of every byte through the tar
    /// writer's buffer.
    fn fill(&mut self, reader: &mut dyn Read, max: u64) -> std::result::Result<u64, FillError> {
        let added = self
            .inner
            .write_with(|encoder| match encoder {
                Encoder::Gzip(gzip) => gzip.read_into(reader, max),
                // never given a Fill (see LayerWriter::with_threads)
                Encoder::Plain(_) | Encoder::Zstd(_) => Ok(&[]),
            })
            .map_err(FillError::Read)?;
        if let Encoder::Gzip(gzip) = self.inner.get_mut() {
            gzip.submit_if_full().map_err(FillError::Write)?;
        }
        Ok(added as u64)
    }
}

impl<W: Write> Write for LayerStream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a layer into a sink (a file, a registry blob upload, a hasher) in one pass and
/// reports its diffID and digest when finished.
pub struct LayerWriter<W: Write> {
    tar: TarWriter<LayerStream<W>>,
    media_type: MediaType,
}

impl<W: Write> LayerWriter<W> {
    /// A layer compressed with `compression` on every available core.
    pub fn new(sink: W, compression: Compression) -> Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self::with_threads(sink, compression, threads)
    }

    /// A layer compressed with `compression` on at most `threads` threads. The bytes written
    /// do not depend on `threads`.
    pub fn with_threads(sink: W, compression: Compression, threads: usize) -> Result<Self> {
        compression.check_cpu()?;
        let blob = if compression == Compression::None {
            BlobSink::Counted(sink, 0)
        } else {
            BlobSink::Hashed(Sha256Writer::new(sink))
        };
        let encoder = Encoder::new(blob, compression, threads).map_err(Error::write)?;
        let stream = LayerStream {
            inner: Sha256Writer::new(encoder),
        };
        let tar = if matches!(compression, Compression::Gzip { .. }) {
            TarWriter::filled_by(stream, LayerStream::fill)
        } else {
            TarWriter::new(stream)
        };
        Ok(Self {
            tar,
            media_type: compression.media_type(),
        })
    }

    /// Ends the tar and the compressed stream; returns the sink and the layer's digests.
    pub fn finish(self) -> Result<(W, LayerDigests)> {
        let stream = self.tar.finish()?;
        let (encoder, diff_id, _) = stream.inner.finish();
        let blob = encoder.finish().map_err(Error::write)?;
        let (sink, digest, size) = blob.finish();
        let digest = digest.unwrap_or(diff_id);
        let digests = LayerDigests {
            diff_id,
            digest,
            size,
            media_type: self.media_type,
        };
        tracing::debug!(%digests.diff_id, %digests.digest, digests.size, "layer written");
        Ok((sink, digests))
    }
}

impl<W: Write> EntrySink for LayerWriter<W> {
    fn append(&mut self, header: &Header, data: &mut dyn Read) -> Result<()> {
        self.tar.append(header, data)
    }
}

impl<W: Write> std::fmt::Debug for LayerWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerWriter")
            .field("media_type", &self.media_type)
            .finish_non_exhaustive()
    }
}
