//! Layer compression: none, gzip (parallel, deterministic) or zstd (multi-threaded).

use std::io::{self, Write};

use cnb_image::MediaType;

mod gzip;

use gzip::GzipEncoder;
pub use gzip::GzipEngine;

/// Input bytes per zstd job (each compressed by one worker, with the end of the previous job
/// as history). Part of the output format, like the gzip block size. zstd's default at level 3
/// is 8 MiB, which costs about 60 MiB of memory per layer; 2 MiB keeps it near 20 MiB.
const ZSTD_JOB_SIZE: u32 = 2 << 20;

/// How a layer's tar is compressed into its blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// The blob is the tar itself.
    None,
    /// gzip at `level` (0–9) made by `engine`.
    Gzip {
        /// 1 is fastest, 9 smallest (ISA-L has 0 to 3; higher levels mean its 3).
        level: u32,
        /// Which deflate implementation; the bytes differ between them.
        engine: GzipEngine,
    },
    /// zstd at `level` (1–22).
    Zstd {
        /// 1 is fastest, 19 and up smallest and slow.
        level: i32,
    },
}

impl Compression {
    /// The gzip level layers get unless told otherwise: 1, "best speed", which is what the
    /// Go lifecycle uses (go-containerregistry's `tarball.LayerFromFile` default,
    /// `gzip.BestSpeed`). Go's deflate is not reproduced, so blobs differ from Go's anyway
    /// (lifecycle-tests.md §4.7); only diffIDs are comparable.
    pub const GZIP_DEFAULT_LEVEL: u32 = 1;
    /// The zstd level layers get unless told otherwise: 3, zstd's own default.
    pub const ZSTD_DEFAULT_LEVEL: i32 = 3;

    /// gzip at [`Self::GZIP_DEFAULT_LEVEL`] by the default engine (zlib-rs).
    pub fn gzip() -> Self {
        Self::gzip_by(GzipEngine::default())
    }

    /// gzip at [`Self::GZIP_DEFAULT_LEVEL`] by `engine`.
    pub fn gzip_by(engine: GzipEngine) -> Self {
        Self::Gzip {
            level: Self::GZIP_DEFAULT_LEVEL,
            engine,
        }
    }

    /// zstd at [`Self::ZSTD_DEFAULT_LEVEL`].
    pub fn zstd() -> Self {
        Self::Zstd {
            level: Self::ZSTD_DEFAULT_LEVEL,
        }
    }

    /// Refuses a CPU on which this compression's bytes would differ from other machines'
    /// (ISA-L's gzip without the CPU features its reproducible paths need).
    pub fn check_cpu(self) -> crate::Result<()> {
        match self {
            Self::Gzip { engine, .. } => engine
                .check_cpu()
                .map_err(|source| crate::Error::GzipEngine { source }),
            Self::None | Self::Zstd { .. } => Ok(()),
        }
    }

    /// How a layer of `media_type` is compressed; `None` for a media type that is no layer.
    pub fn for_media_type(media_type: &MediaType) -> Option<Self> {
        match media_type {
            MediaType::OciLayer | MediaType::DockerLayer => Some(Self::None),
            MediaType::OciLayerGzip | MediaType::DockerLayerGzip => Some(Self::gzip()),
            MediaType::OciLayerZstd => Some(Self::zstd()),
            _ => None,
        }
    }

    /// The OCI media type of a layer compressed this way. (A Docker-typed image uses
    /// `MediaType::DockerLayerGzip` for gzip instead; the exporter decides.)
    pub fn media_type(self) -> MediaType {
        match self {
            Self::None => MediaType::OciLayer,
            Self::Gzip { .. } => MediaType::OciLayerGzip,
            Self::Zstd { .. } => MediaType::OciLayerZstd,
        }
    }
}

/// A compressing writer into `W`.
pub(crate) enum Encoder<W: Write> {
    Plain(W),
    Gzip(Box<GzipEncoder<W>>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    /// Compresses into `sink` with up to `threads` threads. zstd always runs in its
    /// multi-threaded mode (one worker at least): its output is then the same for any
    /// number of workers, as it is not between zero workers and one.
    pub(crate) fn new(sink: W, compression: Compression, threads: usize) -> io::Result<Self> {
        Ok(match compression {
            Compression::None => Self::Plain(sink),
            Compression::Gzip { level, engine } => {
                Self::Gzip(Box::new(GzipEncoder::new(sink, level, engine, threads)))
            }
            Compression::Zstd { level } => {
                let mut encoder = zstd::stream::write::Encoder::new(sink, level)?;
                let workers = u32::try_from(threads.max(1)).unwrap_or(u32::MAX);
                encoder.multithread(workers)?;
                encoder.set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB_SIZE))?;
                Self::Zstd(encoder)
            }
        })
    }

    /// Ends the compressed stream and hands back the sink.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self {
            Self::Plain(mut sink) => {
                sink.flush()?;
                Ok(sink)
            }
            Self::Gzip(encoder) => encoder.finish(),
            Self::Zstd(encoder) => {
                let mut sink = encoder.finish()?;
                sink.flush()?;
                Ok(sink)
            }
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(sink) => sink.write(buf),
            Self::Gzip(encoder) => encoder.write(buf),
            Self::Zstd(encoder) => encoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // flushing a compressor mid-stream would add bytes that depend on when it happened
        Ok(())
    }
}
