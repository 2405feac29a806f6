//! [`DirectFile`]: a new file written past the page cache (`O_DIRECT`) where the file system
//! allows it, for large files this process writes once and does not read back: the layer tars
//! a cache keeps for a later build.
//!
//! A buffered write copies every byte into freshly allocated page-cache pages and leaves them
//! dirty for the kernel to write back, which costs the writer CPU and makes it compete with
//! whatever else is writing at the time: a 1 GiB layer kept in the launch cache while the same
//! bytes are streamed into a Docker daemon, which is unpacking them to disk too. Written
//! direct, the bytes go from this writer's buffer to the device.
//!
//! `O_DIRECT` wants the buffer, the file offset and the length aligned to the device's block
//! size: bytes are gathered into an aligned block of [`CHUNK`] bytes and written whole, and
//! the tail that ends the file, which is rarely whole blocks, is written buffered. A file
//! system that refuses `O_DIRECT` (at the open or at the first write: tmpfs on older kernels,
//! some FUSE and network file systems) gets buffered writes throughout, the same bytes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::fcntl::{FcntlArg, OFlag, fcntl};

/// Bytes gathered before a direct write (a multiple of every block size in use).
pub(crate) const CHUNK: usize = 4 << 20;
/// The alignment asked of buffers, offsets and lengths: the largest logical block size of
/// common devices.
const ALIGN: usize = 4096;

/// A new file, written direct when it can be (see the module docs).
#[derive(Debug)]
pub struct DirectFile {
    file: File,
    direct: bool,
    /// `CHUNK + ALIGN` bytes, of which `CHUNK` from `start` are aligned.
    buffer: Vec<u8>,
    start: usize,
    /// Bytes gathered in the aligned block.
    filled: usize,
}

impl DirectFile {
    /// Creates `path` (which must not exist) with `mode` (the umask applies).
    pub fn create_new(path: &Path, mode: u32) -> io::Result<Self> {
        let open = |flags: OFlag| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .custom_flags(flags.bits())
                .open(path)
        };
        let (file, direct) = match open(OFlag::O_DIRECT) {
            Ok(file) => (file, true),
            Err(error) if error.raw_os_error() == Some(nix::libc::EINVAL) => {
                (open(OFlag::empty())?, false)
            }
            Err(error) => return Err(error),
        };
        let buffer = vec![0u8; CHUNK + ALIGN];
        let start = buffer.as_ptr().align_offset(ALIGN);
        Ok(Self {
            file,
            direct,
            buffer,
            start,
            filled: 0,
        })
    }

    /// Whether writes still bypass the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// The file, for `sync_all` and the like once the bytes are [`flush`](Write::flush)ed.
    pub fn get_ref(&self) -> &File {
        &self.file
    }

    /// Writes the gathered bytes: direct when they are whole blocks, else buffered from now
    /// on (the file offset is then no longer aligned).
    fn write_gathered(&mut self) -> io::Result<()> {
        if !self.filled.is_multiple_of(ALIGN) {
            self.go_buffered()?;
        }
        let mut written = 0;
        while written < self.filled {
            let rest = self.start + written..self.start + self.filled;
            match self.file.write(&self.buffer[rest]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(count) => written += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // The file system took the flag at the open and refuses it at the write (or a
                // short write left the rest unaligned): the rest goes buffered.
                Err(error) if self.direct && error.raw_os_error() == Some(nix::libc::EINVAL) => {
                    self.go_buffered()?;
                }
                Err(error) => return Err(error),
            }
        }
        self.filled = 0;
        Ok(())
    }

    fn go_buffered(&mut self) -> io::Result<()> {
        if self.direct {
            let flags = fcntl(self.file.as_fd(), FcntlArg::F_GETFL)?;
            let flags = OFlag::from_bits_truncate(flags) - OFlag::O_DIRECT;
            fcntl(self.file.as_fd(), FcntlArg::F_SETFL(flags))?;
            self.direct = false;
        }
        Ok(())
    }
}

impl Write for DirectFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.filled;
        let taken = room.min(buf.len());
        let at = self.start + self.filled;
        self.buffer[at..at + taken].copy_from_slice(&buf[..taken]);
        self.filled += taken;
        if self.filled == CHUNK {
            self.write_gathered()?;
        }
        Ok(taken)
    }

    /// Writes what is gathered; a part block ends direct writes for this file.
    fn flush(&mut self) -> io::Result<()> {
        if self.filled > 0 {
            self.write_gathered()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes whose period (251) lines up with no block or chunk size: a piece written twice,
    /// dropped or out of place shows.
    fn noise(len: usize) -> Vec<u8> {
        (0..len)
            .map(|index| (index % 251).to_le_bytes()[0])
            .collect()
    }

    fn written(bytes: &[u8], pieces: usize) -> (Vec<u8>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.tar");
        let mut file = DirectFile::create_new(&path, 0o644).unwrap();
        for piece in bytes.chunks(pieces) {
            file.write_all(piece).unwrap();
        }
        let direct = file.is_direct();
        file.flush().unwrap();
        drop(file);
        (std::fs::read(&path).unwrap(), direct)
    }

    #[test]
    fn whole_chunks_and_a_ragged_tail_are_written_as_given() {
        let bytes = noise(2 * CHUNK + 12_345);
        for pieces in [1 << 20, 4097, 512] {
            let (read, _) = written(&bytes, pieces);
            assert!(
                read == bytes,
                "pieces of {pieces}: the file holds what was written"
            );
        }
    }

    #[test]
    fn a_file_smaller_than_a_block_is_written_whole() {
        let bytes = noise(100);
        assert_eq!(written(&bytes, 7).0, bytes);
        assert!(written(&[], 1).0.is_empty());
    }

    #[test]
    fn whole_chunks_stay_direct_where_the_file_system_takes_it() {
        let bytes = noise(2 * CHUNK);
        let (read, direct) = written(&bytes, 1 << 16);
        assert!(read == bytes);
        // The temp dir's file system decides; either way the bytes are the same. On the
        // ext4 and xfs CI runs on, two whole chunks are written direct.
        let dir = tempfile::tempdir().unwrap();
        let probe = DirectFile::create_new(&dir.path().join("probe"), 0o644).unwrap();
        assert_eq!(
            direct,
            probe.is_direct(),
            "whole chunks never end direct writes"
        );
    }

    #[test]
    fn a_flush_in_the_middle_ends_direct_writes_and_keeps_the_bytes_in_order() {
        let bytes = noise(2 * CHUNK + 300);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.tar");
        let mut file = DirectFile::create_new(&path, 0o644).unwrap();
        file.write_all(&bytes[..CHUNK + 100]).unwrap();
        file.flush().unwrap();
        assert!(!file.is_direct(), "the file offset is no longer aligned");
        file.write_all(&bytes[CHUNK + 100..]).unwrap();
        file.flush().unwrap();
        drop(file);
        assert!(std::fs::read(&path).unwrap() == bytes);
    }

    #[test]
    fn an_existing_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        std::fs::write(&path, b"kept").unwrap();
        let error = DirectFile::create_new(&path, 0o644).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }
}
