//! ISA-L's deflate (Intel's igzip, built from source by `isal-sys`) one block at a time: raw
//! deflate, primed with a dictionary, ending on a sync flush or finishing the stream. That is
//! the unit `cnb-archive`'s parallel gzip works in.
//!
//! **Reproducibility.** ISA-L picks its code paths by CPU features when first called. Its
//! output is the same on every x86-64 CPU that has SSE4.2, whichever of the SSE4.2, AVX,
//! AVX2 and AVX-512 paths runs, and the same on every aarch64 CPU that has the CRC32
//! instructions; but the x86-64 bytes differ from the aarch64 bytes, and a CPU without those
//! features takes ISA-L's portable path, whose bytes differ from both (its match finder hashes
//! differently). [`check_cpu`] refuses such a CPU, so that a blob never silently depends on
//! which machine made it. `cnb-archive`'s tests run every path under `qemu-x86_64 -cpu …`.
//!
//! Layer 0: depends on nothing of ours. With `cnb-sys`, the only crate allowed `unsafe`: the
//! calls into the C library, in this file only.
#![allow(
    unsafe_code,
    reason = "ISA-L is a C library: its stream is set up and driven through raw pointers"
)]

use std::mem::MaybeUninit;

use isal_sys::igzip_lib as isal;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// ISA-L has levels 0 to 3.
    #[error("ISA-L has no compression level {0} (it has 0 to 3)")]
    Level(u32),
    /// A block longer than ISA-L's 32-bit counters.
    #[error("a block of {0} bytes is too large for ISA-L")]
    BlockTooLarge(usize),
    /// `isal_deflate` or `isal_deflate_set_dict` returned an error code.
    #[error("ISA-L deflate failed with code {0}")]
    Deflate(i32),
    /// This CPU would take ISA-L's portable path (see the crate docs).
    #[error(
        "ISA-L's gzip needs {0}: on this CPU its output would differ from other machines' (use the default gzip engine)"
    )]
    UnsupportedCpu(&'static str),
}

/// The CPU features under which ISA-L's output is the same on every CPU of this
/// architecture.
pub const REQUIRED_CPU: &str = if cfg!(target_arch = "x86_64") {
    "an x86-64 CPU with SSE4.2"
} else if cfg!(target_arch = "aarch64") {
    "an aarch64 CPU with the CRC32 instructions"
} else {
    "an x86-64 or aarch64 CPU"
};

/// Whether this CPU runs ISA-L's reproducible code paths ([`REQUIRED_CPU`]).
pub fn check_cpu() -> Result<(), Error> {
    #[cfg(target_arch = "x86_64")]
    let supported = std::arch::is_x86_feature_detected!("sse4.2");
    #[cfg(target_arch = "aarch64")]
    let supported = std::arch::is_aarch64_feature_detected!("crc");
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let supported = false;
    if supported {
        Ok(())
    } else {
        Err(Error::UnsupportedCpu(REQUIRED_CPU))
    }
}

/// The size of the work buffer ISA-L wants at `level` (its "default" sizes). Part of the
/// output format: the buffer bounds ISA-L's internal blocks.
fn level_buffer_size(level: u32) -> Result<usize, Error> {
    let size = match level {
        0 => 0,
        1 => isal::ISAL_DEF_LVL1_DEFAULT,
        2 => isal::ISAL_DEF_LVL2_DEFAULT,
        3 => isal::ISAL_DEF_LVL3_DEFAULT,
        _ => return Err(Error::Level(level)),
    };
    Ok(size as usize)
}

/// Deflates `data` as raw deflate at ISA-L `level` (0–3), primed with `dictionary` (its last
/// 32 KiB count), ending on a sync flush (byte-aligned, no final block) or, when `last`,
/// finishing the stream. The bytes depend only on the arguments (and on the CPU family, see
/// the crate docs). A caller that deflates block after block keeps a [`Deflater`] instead.
pub fn deflate_block(
    level: u32,
    dictionary: &[u8],
    data: &[u8],
    last: bool,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    Deflater::new().deflate_into(level, dictionary, data, last, &mut out)?;
    Ok(out)
}

/// ISA-L's stream and work buffer, kept from block to block: both are large (about 80 KiB
/// and, at level 1, 276 KiB), and fresh ones cost page faults and an `munmap` per block.
/// Both are zeroed before each block, so each block starts from the state a fresh stream
/// has and its bytes do not depend on the blocks before.
pub struct Deflater {
    stream: Box<isal::isal_zstream>,
    level_buffer: Vec<u8>,
}

impl Default for Deflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflater {
    /// A deflater whose buffers are made at its first block.
    pub fn new() -> Self {
        Self {
            stream: new_stream(),
            level_buffer: Vec::new(),
        }
    }

    /// Deflates one block as [`deflate_block`] does, appending the bytes to `out`.
    pub fn deflate_into(
        &mut self,
        level: u32,
        dictionary: &[u8],
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let level_size = level_buffer_size(level)?;
        self.level_buffer.clear();
        self.level_buffer.resize(level_size, 0);
        let too_large = |length: usize| move |_| Error::BlockTooLarge(length);
        let data_length = u32::try_from(data.len()).map_err(too_large(data.len()))?;
        let dictionary_length =
            u32::try_from(dictionary.len()).map_err(too_large(dictionary.len()))?;
        let stream = &mut *self.stream;
        // SAFETY: isal_zstream is plain C data for which all-zero bytes are a valid value (as
        // in `new_stream`); zeroing it returns it to the state of a fresh stream.
        unsafe { std::ptr::write_bytes(&raw mut *stream, 0, 1) };
        // SAFETY: `stream` is a valid, writable isal_zstream.
        unsafe { isal::isal_deflate_init(stream) };
        stream.level = level;
        stream.level_buf = self.level_buffer.as_mut_ptr();
        stream.level_buf_size = u32::try_from(level_size).map_err(too_large(0))?;
        stream.gzip_flag = flag(isal::IGZIP_DEFLATE);
        stream.end_of_stream = u16::from(last);
        stream.flush = flag(if last {
            isal::NO_FLUSH
        } else {
            isal::SYNC_FLUSH
        });
        if !dictionary.is_empty() {
            // SAFETY: ISA-L copies the dictionary (it takes `*mut` but only reads it); the
            // pointer and length describe `dictionary`.
            let code = unsafe {
                isal::isal_deflate_set_dict(
                    &raw mut *stream,
                    dictionary.as_ptr().cast_mut(),
                    dictionary_length,
                )
            };
            if code != 0 {
                return Err(Error::Deflate(code));
            }
        }
        stream.next_in = data.as_ptr().cast_mut();
        stream.avail_in = data_length;
        out.reserve(data.len() + data.len() / 8 + 64 * 1024);
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(64 * 1024);
            }
            let spare = out.spare_capacity_mut();
            let spare_length = u32::try_from(spare.len()).unwrap_or(u32::MAX);
            stream.next_out = spare.as_mut_ptr().cast::<u8>();
            stream.avail_out = spare_length;
            // SAFETY: next_in/avail_in describe `data` (read only, alive for the call),
            // next_out/avail_out the spare capacity of `out`, level_buf `self.level_buffer`;
            // all outlive it.
            let code = unsafe { isal::isal_deflate(&raw mut *stream) };
            if code != 0 {
                return Err(Error::Deflate(code));
            }
            let written = (spare_length - stream.avail_out) as usize;
            // SAFETY: ISA-L initialised exactly `written` bytes of the spare capacity.
            unsafe { out.set_len(out.len() + written) };
            let state = stream.internal_state.state;
            let done = if last {
                state == isal::isal_zstate_state_ZSTATE_END
            } else {
                stream.avail_in == 0
                    && stream.avail_out != 0
                    && state == isal::isal_zstate_state_ZSTATE_NEW_HDR
            };
            if done {
                return Ok(());
            }
        }
    }
}

/// One of ISA-L's small flag constants (0 to 2) as the stream's 16-bit field.
fn flag(value: u32) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

/// A zeroed stream on the heap (it is about 80 KiB, mostly ISA-L's history buffer).
fn new_stream() -> Box<isal::isal_zstream> {
    let stream: Box<MaybeUninit<isal::isal_zstream>> = Box::new_zeroed();
    // SAFETY: isal_zstream is plain C data (integers, pointers, arrays of them), for which
    // all-zero bytes are a valid value; isal_deflate_init sets it up before use.
    unsafe { stream.assume_init() }
}

#[cfg(test)]
mod tests;
