//! Parallel, deterministic gzip (the pigz scheme): the input is cut into fixed 1 MiB blocks;
//! each is deflated on its own, primed with the 32 KiB of input before it as dictionary, and
//! ends on a sync flush (byte-aligned, no final bit) except the last, which finishes the
//! stream. The blocks' raw deflate streams, concatenated, form one valid deflate stream inside
//! one gzip member. Each block's bytes depend only on its input, its dictionary and the level,
//! so the output is the same whatever the thread count, which reproducible digests need.
//!
//! Two engines make the blocks: zlib-rs (the default: the same bytes on every CPU and
//! architecture) and ISA-L (opt-in: about 2.5 times faster and a tenth smaller, but its bytes
//! are the same only within one architecture; see `cnb-igzip`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use cnb_sys::{BufferPool, PooledBuffer};
use flate2::{Compress, Compression as Level, FlushCompress, Status};

/// Input bytes per independently compressed block. Part of the output format: changing it
/// changes every gzip layer digest.
pub(crate) const BLOCK_SIZE: usize = 1 << 20;
/// Deflate's window: how much preceding input primes each block.
const DICTIONARY: usize = 32 * 1024;
/// Room for one block's deflated bytes: incompressible input grows a little.
const OUTPUT_SIZE: usize = BLOCK_SIZE + BLOCK_SIZE / 8 + 64 * 1024;

/// The deflate implementation that compresses the blocks. Part of the output: the same input
/// gives different blobs with different engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GzipEngine {
    /// zlib-rs (zlib-ng's algorithms in Rust): the same bytes on every CPU and architecture.
    #[default]
    ZlibRs,
    /// Intel's ISA-L (igzip): faster, smaller output; the same bytes on every x86-64 CPU with
    /// SSE4.2 and on every aarch64 CPU with CRC32, but x86-64 and aarch64 differ, and other
    /// CPUs are refused (`cnb_igzip::check_cpu`).
    Isal,
}

impl GzipEngine {
    /// Refuses a CPU on which this engine's bytes would differ from other machines'.
    pub fn check_cpu(self) -> Result<(), cnb_igzip::Error> {
        match self {
            Self::ZlibRs => Ok(()),
            Self::Isal => cnb_igzip::check_cpu(),
        }
    }

    /// Deflates one block (see [`compress_block`]) into a buffer from [`outputs`].
    fn compress(
        self,
        level: u32,
        dictionary: &[u8],
        data: &[u8],
        last: bool,
    ) -> io::Result<PooledBuffer> {
        let mut out = outputs().take();
        match self {
            Self::ZlibRs => compress_block(level, dictionary, data, last, &mut out)?,
            Self::Isal => DEFLATER.with_borrow_mut(|deflater| {
                deflater
                    .deflate_into(level.min(3), dictionary, data, last, &mut out)
                    .map_err(io::Error::other)
            })?,
        }
        Ok(out)
    }
}

thread_local! {
    /// Each thread's ISA-L stream and work buffer, reused block after block.
    static DEFLATER: RefCell<cnb_igzip::Deflater> = RefCell::new(cnb_igzip::Deflater::new());
}

/// The blocks' input buffers, reused: a fresh MiB per block costs page faults and an
/// `munmap` (see [`BufferPool`]). At most `2 × threads` blocks wait in each stream, one more
/// is filled, and one per worker is compressed.
fn blocks() -> &'static BufferPool {
    static BLOCKS: OnceLock<BufferPool> = OnceLock::new();
    BLOCKS.get_or_init(|| BufferPool::new(BLOCK_SIZE, 4 * threads() + 2))
}

/// The blocks' output buffers, reused like [`blocks`].
fn outputs() -> &'static BufferPool {
    static OUTPUTS: OnceLock<BufferPool> = OnceLock::new();
    OUTPUTS.get_or_init(|| BufferPool::new(OUTPUT_SIZE, 4 * threads() + 2))
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// A block to compress, how, and where its result goes.
struct Job {
    data: PooledBuffer,
    dictionary: Vec<u8>,
    last: bool,
    level: u32,
    engine: GzipEngine,
    result: SyncSender<io::Result<PooledBuffer>>,
}

/// The process's compression workers, one per core, started on first use and shared by
/// every gzip stream: layers compressed at the same time (the exporter's parallel layers)
/// share the cores instead of each starting a thread per core.
fn pool() -> &'static SyncSender<Job> {
    static POOL: OnceLock<SyncSender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = threads();
        let (jobs, queue) = sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || work(&queue));
        }
        jobs
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let output = job
            .engine
            .compress(job.level, &job.dictionary, &job.data, job.last);
        let _ = job.result.send(output);
    }
}

/// Deflates one block with zlib-rs into `out`: raw deflate primed with `dictionary`, ending on
/// a sync flush, or finishing the stream when `last`. Always with a new compressor: zlib-rs's
/// `reset()` keeps state that changes later output (seen on a 256 MiB layer: block 3 came out
/// 2 bytes longer after blocks 0–2 went through the same compressor), so reusing one per
/// thread would make the bytes depend on which thread compressed what before.
fn compress_block(
    level: u32,
    dictionary: &[u8],
    data: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let mut compressor = Compress::new(Level::new(level), false);
    if !dictionary.is_empty() {
        compressor
            .set_dictionary(dictionary)
            .map_err(io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    out.reserve(data.len() + data.len() / 8 + 1024);
    let mut consumed = 0;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        let before = compressor.total_in();
        let status = compressor
            .compress_vec(&data[consumed..], out, flush)
            .map_err(io::Error::other)?;
        consumed += usize::try_from(compressor.total_in() - before).map_err(io::Error::other)?;
        let done = match status {
            Status::StreamEnd => true,
            Status::Ok | Status::BufError => {
                !last && consumed == data.len() && out.len() < out.capacity()
            }
        };
        if done {
            return Ok(());
        }
    }
}

/// A gzip stream into `sink`, its blocks compressed on the shared workers ([`pool`]), at most
/// `2 × threads` in flight; with one thread, here.
pub(crate) struct GzipEncoder<W: Write> {
    sink: W,
    level: u32,
    engine: GzipEngine,
    threads: usize,
    /// The block being filled; taken from [`blocks`] at the first byte.
    block: Option<PooledBuffer>,
    dictionary: Vec<u8>,
    crc: crc32fast::Hasher,
    total: u64,
    header_written: bool,
    pending: VecDeque<Receiver<io::Result<PooledBuffer>>>,
}

impl<W: Write> GzipEncoder<W> {
    pub(crate) fn new(sink: W, level: u32, engine: GzipEngine, threads: usize) -> Self {
        Self {
            sink,
            level: level.min(9),
            engine,
            threads: threads.max(1),
            block: None,
            dictionary: Vec::new(),
            crc: crc32fast::Hasher::new(),
            total: 0,
            header_written: false,
            pending: VecDeque::new(),
        }
    }

    /// Compresses what is left, writes the gzip trailer and hands back the sink.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.submit(true)?;
        while let Some(result) = self.pending.pop_front() {
            self.emit(&result)?;
        }
        let crc = self.crc.clone().finalize();
        // ISIZE is the input length modulo 2^32
        let size = (self.total & 0xffff_ffff) as u32;
        self.sink.write_all(&crc.to_le_bytes())?;
        self.sink.write_all(&size.to_le_bytes())?;
        self.sink.flush()?;
        Ok(self.sink)
    }

    /// The gzip header as Go's `compress/gzip` writes it: no name, mtime 0, OS unknown (255);
    /// extra flags 4 for the fastest level and 2 for the best.
    fn header(&self) -> [u8; 10] {
        let extra_flags = match self.level {
            1 => 4,
            9 => 2,
            _ => 0,
        };
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 255]
    }

    fn emit(&mut self, result: &Receiver<io::Result<PooledBuffer>>) -> io::Result<()> {
        let block = result
            .recv()
            .map_err(|_| io::Error::other("a gzip worker thread stopped"))??;
        self.write_out(&block)
    }

    fn write_out(&mut self, bytes: &[u8]) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            let header = self.header();
            self.sink.write_all(&header)?;
        }
        self.sink.write_all(bytes)
    }

    /// Hands the current block to a worker, or compresses it here with one thread.
    fn submit(&mut self, last: bool) -> io::Result<()> {
        let data = self.block.take().unwrap_or_else(|| blocks().take());
        let dictionary = std::mem::take(&mut self.dictionary);
        self.dictionary = data[data.len().saturating_sub(DICTIONARY)..].to_vec();
        if self.threads == 1 || (last && self.pending.is_empty()) {
            let output = self.engine.compress(self.level, &dictionary, &data, last)?;
            return self.write_out(&output);
        }
        let (result, receiver) = sync_channel(1);
        let job = Job {
            data,
            dictionary,
            last,
            level: self.level,
            engine: self.engine,
            result,
        };
        pool()
            .send(job)
            .map_err(|_| io::Error::other("the gzip workers are gone"))?;
        self.pending.push_back(receiver);
        while self.pending.len() > 2 * self.threads {
            if let Some(result) = self.pending.pop_front() {
                self.emit(&result)?;
            }
        }
        Ok(())
    }
}

impl<W: Write> GzipEncoder<W> {
    /// Reads up to `max` bytes from `reader` straight into the block being filled (no copy
    /// through a buffer of the caller's; `read_to_end` on a bounded reader fills the spare
    /// room without zeroing it first), up to the end of the block; returns them, to hash.
    /// Fewer than asked only at the end of the block or of `reader`. The block is handed on
    /// by [`GzipEncoder::submit_if_full`], which the caller calls next.
    pub(crate) fn read_into(&mut self, reader: &mut dyn Read, max: u64) -> io::Result<&[u8]> {
        let block = self.block.get_or_insert_with(|| blocks().take());
        let room = (BLOCK_SIZE - block.len()) as u64;
        let start = block.len();
        reader.take(max.min(room)).read_to_end(block)?;
        let added = &block[start..];
        self.crc.update(added);
        self.total += added.len() as u64;
        Ok(added)
    }

    /// Hands the block on when it is full.
    pub(crate) fn submit_if_full(&mut self) -> io::Result<()> {
        if self
            .block
            .as_ref()
            .is_some_and(|block| block.len() >= BLOCK_SIZE)
        {
            self.submit(false)?;
        }
        Ok(())
    }
}

impl<W: Write> Write for GzipEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let block = self.block.get_or_insert_with(|| blocks().take());
        let take = buf.len().min(BLOCK_SIZE - block.len());
        block.extend_from_slice(&buf[..take]);
        let full = block.len() == BLOCK_SIZE;
        self.crc.update(&buf[..take]);
        self.total += take as u64;
        if full {
            self.submit(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

#[cfg(test)]
mod tests;
