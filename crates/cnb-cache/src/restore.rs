//! Extracting one cached layer, verified: the stored bytes must hash to the diffID they are
//! kept under, else the entry is corrupt.

use std::io::{self, Read};
use std::path::Path;

use cnb_archive::Extractor;
use cnb_image::Sha256Writer;

use crate::{Cache, Error};

/// Extracts the cached layer `diff_id` under `root` (cached tars hold absolute paths, so
/// `root` is `/` in a real build). A truncated or altered entry fails with
/// [`Error::Extract`] or [`Error::DiffIdMismatch`]; what was extracted before the failure
/// stays, and the caller decides what to remove.
pub fn restore_layer(cache: &dyn Cache, diff_id: &str, root: &Path) -> Result<(), Error> {
    let stored = cache.open_layer(diff_id)?;
    let plain = cnb_archive::decompress(stored).map_err(|source| Error::Extract {
        diff_id: diff_id.to_owned(),
        source,
    })?;
    let mut hashing = Hashing {
        inner: plain,
        hasher: Sha256Writer::new(io::sink()),
    };
    Extractor::new(root)
        .extract(&mut hashing)
        .map_err(|source| Error::Extract {
            diff_id: diff_id.to_owned(),
            source,
        })?;
    io::copy(&mut hashing, &mut io::sink()).map_err(|source| Error::Extract {
        diff_id: diff_id.to_owned(),
        source: cnb_archive::Error::ReadArchive { source },
    })?;
    let (_, actual, _) = hashing.hasher.finish();
    if actual.to_string() != diff_id {
        return Err(Error::DiffIdMismatch {
            diff_id: diff_id.to_owned(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256Writer<io::Sink>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        io::Write::write_all(&mut self.hasher, &buf[..count])?;
        Ok(count)
    }
}
