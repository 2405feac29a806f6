//! The tar stream: header blocks, contents padded to whole blocks, and Go's trailer of two
//! zero blocks with no padding to a 10 KiB record.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use crate::header::{BLOCK, Header, encode};
use crate::{Error, Result};

/// Size of the buffer file contents are copied through.
const COPY_BUFFER: usize = 64 * 1024;

/// Something tar entries can be appended to: a [`TarWriter`] or a [`crate::LayerWriter`].
pub trait EntrySink {
    /// Appends `header`, then exactly [`Header::data_size`] bytes read from `data`.
    fn append(&mut self, header: &Header, data: &mut dyn Read) -> Result<()>;
}

/// Writes a tar stream, byte-identical to Go's `archive/tar` writer behind the lifecycle's
/// normalising writer (see [`Header`]).
#[derive(Debug)]
pub struct TarWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
    /// Reads entry contents straight into the stream, when the stream can take them so.
    fill: Option<Fill<W>>,
}

/// Reads up to the given number of bytes from a reader straight into the stream's own
/// buffer, and returns how many (0 only at the reader's end); a [`FillError`] says whether
/// reading or writing failed.
pub(crate) type Fill<W> = fn(&mut W, &mut dyn Read, u64) -> std::result::Result<u64, FillError>;

/// What failed in a [`Fill`].
pub(crate) enum FillError {
    /// Reading the entry's contents.
    Read(io::Error),
    /// Passing the stream on.
    Write(io::Error),
}

impl<W: Write> TarWriter<W> {
    /// A tar stream into `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            fill: None,
        }
    }

    /// A tar stream into `inner`, which takes entry contents by `fill` rather than through a
    /// copy buffer.
    pub(crate) fn filled_by(inner: W, fill: Fill<W>) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            fill: Some(fill),
        }
    }

    /// The stream the tar goes into.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Writes the trailer and hands back the stream.
    pub fn finish(mut self) -> Result<W> {
        self.inner
            .write_all(&[0u8; 2 * BLOCK])
            .map_err(Error::write)?;
        self.inner.flush().map_err(Error::write)?;
        Ok(self.inner)
    }

    fn copy_data(&mut self, header: &Header, data: &mut dyn Read) -> Result<()> {
        let expected = header.data_size();
        let name = || String::from_utf8_lossy(&header.name).into_owned();
        let mismatch = || Error::SizeMismatch {
            name: name(),
            expected,
        };
        let read_error = |source| Error::ReadFile {
            path: PathBuf::from(name()),
            source,
        };
        let mut remaining = expected;
        if let Some(fill) = self.fill {
            while remaining > 0 {
                let read = match fill(&mut self.inner, data, remaining) {
                    Ok(0) => return Err(mismatch()),
                    Ok(read) => read,
                    Err(FillError::Read(err)) => return Err(read_error(err)),
                    Err(FillError::Write(err)) => return Err(Error::write(err)),
                };
                remaining -= read;
            }
        }
        if self.buffer.is_empty() && remaining > 0 {
            self.buffer.resize(COPY_BUFFER, 0);
        }
        while remaining > 0 {
            let want = usize::try_from(remaining).map_or(COPY_BUFFER, |r| r.min(COPY_BUFFER));
            let read = match data.read(&mut self.buffer[..want]) {
                Ok(0) => return Err(mismatch()),
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(read_error(err)),
            };
            self.inner
                .write_all(&self.buffer[..read])
                .map_err(Error::write)?;
            remaining -= read as u64;
        }
        if !header.kind.is_header_only() {
            let mut probe = [0u8; 1];
            loop {
                match data.read(&mut probe) {
                    Ok(0) => break,
                    Ok(_) => return Err(mismatch()),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(read_error(err)),
                }
            }
        }
        let pad = crate::header::padding(expected);
        self.inner
            .write_all(&[0u8; BLOCK][..pad])
            .map_err(Error::write)
    }
}

impl<W: Write> EntrySink for TarWriter<W> {
    fn append(&mut self, header: &Header, data: &mut dyn Read) -> Result<()> {
        let blocks = encode_header(header)?;
        self.inner.write_all(&blocks).map_err(Error::write)?;
        self.copy_data(header, data)
    }
}

fn encode_header(header: &Header) -> Result<Vec<u8>> {
    encode(header).map_err(|reason| Error::EncodeHeader {
        name: String::from_utf8_lossy(&header.name).into_owned(),
        reason,
    })
}

/// Counts the bytes a [`TarWriter`] writes for the same entries, trailer included, without
/// reading any entry's data: a layer's size before its bytes, for a store that must announce
/// it first. Headers are encoded as for writing, so an entry the writer refuses fails here.
#[derive(Debug, Default)]
pub struct TarSize {
    bytes: u64,
}

impl TarSize {
    /// No entries yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The size of the whole tar, with Go's two-block trailer.
    pub fn total(&self) -> u64 {
        self.bytes + 2 * BLOCK as u64
    }
}

impl EntrySink for TarSize {
    fn append(&mut self, header: &Header, _data: &mut dyn Read) -> Result<()> {
        let data = header.data_size();
        self.bytes +=
            encode_header(header)?.len() as u64 + data + crate::header::padding(data) as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntryKind;

    fn tar(entries: &[(Header, &[u8])]) -> Result<Vec<u8>> {
        let mut writer = TarWriter::new(Vec::new());
        for (header, data) in entries {
            writer.append(header, &mut &data[..])?;
        }
        writer.finish()
    }

    #[test]
    fn an_empty_tar_is_two_zero_blocks() {
        assert_eq!(tar(&[]).unwrap(), vec![0u8; 1024]);
    }

    #[test]
    fn contents_are_padded_to_whole_blocks() {
        let out = tar(&[(Header::regular("/f", 0o644, 3), b"abc")]).unwrap();
        assert_eq!(out.len(), 512 + 512 + 1024);
        assert_eq!(&out[512..515], b"abc");
        assert!(out[515..].iter().all(|&b| b == 0));
    }

    #[test]
    fn refuses_contents_of_the_wrong_size() {
        let short = tar(&[(Header::regular("/f", 0o644, 4), b"abc")]);
        assert!(matches!(
            short,
            Err(Error::SizeMismatch { expected: 4, .. })
        ));
        let long = tar(&[(Header::regular("/f", 0o644, 2), b"abc")]);
        assert!(matches!(long, Err(Error::SizeMismatch { expected: 2, .. })));
    }

    #[test]
    fn header_only_entries_take_no_data() {
        let mut dir = Header::directory("/d", 0o755);
        dir.size = 4096;
        let out = tar(&[(dir, b"")]).unwrap();
        assert_eq!(out.len(), 512 + 1024);
        assert_eq!(&out[124..136], b"00000010000\0");
    }

    #[test]
    fn the_size_counter_agrees_with_the_writer_without_reading_data() {
        let long = format!("/{}/file", "d".repeat(120));
        let entries: Vec<(Header, &[u8])> = vec![
            (Header::directory("/d", 0o755), b""),
            (Header::regular("/f", 0o644, 3), b"abc"),
            (Header::regular(long.as_str(), 0o644, 600), &[7u8; 600]),
            (Header::symlink("/l", "f", 0o777), b""),
        ];
        let mut size = TarSize::new();
        for (header, _) in &entries {
            size.append(header, &mut io::empty()).unwrap();
        }
        assert_eq!(size.total(), tar(&entries).unwrap().len() as u64);
    }

    #[test]
    fn refuses_headers_go_would_not_write() {
        let nul = tar(&[(Header::directory(b"/a\0b".to_vec(), 0o755), b"")]);
        assert!(matches!(nul, Err(Error::EncodeHeader { .. })));
        let slash = tar(&[(Header::regular("/f/", 0o644, 0), b"")]);
        assert!(matches!(slash, Err(Error::EncodeHeader { .. })));
        let mut device = Header::new(EntryKind::CharDevice, "/dev", 0o600);
        device.dev_major = 1 << 21;
        let device = tar(&[(device, b"")]);
        assert!(matches!(device, Err(Error::EncodeHeader { .. })));
    }
}
