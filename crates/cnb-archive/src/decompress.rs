//! Reading a layer blob whatever its compression, told by its first bytes.

use std::io::{self, Cursor, Read};

use crate::{Error, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The tar inside `blob`: gunzipped (every member) if it starts with gzip's magic bytes,
/// zstd-decoded (every frame) if with zstd's, and passed through otherwise.
pub fn decompress<'a>(mut blob: impl Read + 'a) -> Result<Box<dyn Read + 'a>> {
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match blob.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => return Err(Error::ReadArchive { source }),
        }
    }
    let whole = Cursor::new(magic).take(filled as u64).chain(blob);
    Ok(if magic[..2] == GZIP_MAGIC && filled >= 2 {
        Box::new(flate2::read::MultiGzDecoder::new(whole))
    } else if filled == 4 && magic == ZSTD_MAGIC {
        let decoder = zstd::stream::read::Decoder::new(whole)
            .map_err(|source| Error::ReadArchive { source })?;
        Box::new(decoder)
    } else {
        Box::new(whole)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read_all(blob: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decompress(blob).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn reads_plain_gzip_and_zstd() {
        let data = b"a tar, or anything else".repeat(100);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&data).unwrap();
        let gzip = gzip.finish().unwrap();
        let zstd = zstd::encode_all(data.as_slice(), 3).unwrap();
        assert_eq!(read_all(&data), data);
        assert_eq!(read_all(&gzip), data);
        assert_eq!(read_all(&zstd), data);
    }

    #[test]
    fn short_inputs_pass_through() {
        assert_eq!(read_all(b""), b"");
        assert_eq!(read_all(b"\x1f"), b"\x1f");
        assert_eq!(read_all(b"\x28\xb5\x2f"), b"\x28\xb5\x2f");
    }
}
