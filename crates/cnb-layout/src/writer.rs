//! [`LayoutBlobWriter`]: bytes go to a staged file in `blobs/sha256` while they are hashed
//! (unless the caller gives their digest at the end), and the file is synced and renamed to
//! its digest when the writer finishes.

use std::io::{self, Write};

use cnb_image::{BlobWriter, Descriptor, Digest, MediaType, Sha256Writer, StoreError};
use cnb_sys::StagedFile;

use crate::Layout;
use crate::layout::{commit_durably, staged_file};

/// A blob being written into a layout. Dropping it unfinished removes the staged file; a
/// writer killed leaves it for the next index write to sweep.
pub(crate) struct LayoutBlobWriter {
    layout: Layout,
    reference: String,
    media_type: MediaType,
    staged: StagedFile,
    /// Hashes the bytes, unless the caller gives their digest at the end
    /// ([`BlobWriter::digest_follows`]): the exporter has hashed them already.
    hasher: Option<Sha256Writer<io::Sink>>,
    /// Bytes written so far.
    written: u64,
}

impl LayoutBlobWriter {
    pub(crate) fn new(
        layout: Layout,
        reference: String,
        media_type: MediaType,
    ) -> Result<Self, StoreError> {
        let fail = |err: crate::Error| StoreError::WriteBlob {
            reference: reference.clone(),
            source: err.into(),
        };
        layout.init().map_err(fail)?;
        let staged = staged_file(&layout.blobs_dir(), "blob").map_err(fail)?;
        Ok(Self {
            layout,
            reference,
            media_type,
            staged,
            hasher: Some(Sha256Writer::new(io::sink())),
            written: 0,
        })
    }
}

impl Write for LayoutBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.staged.write(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.write_all(&buf[..written])?;
        }
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.staged.flush()
    }
}

impl BlobWriter for LayoutBlobWriter {
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

impl LayoutBlobWriter {
    /// Names the blob by the digest of its bytes: the one this writer computed, else the
    /// caller's `given` one (computed over exactly the bytes written, as the trait requires).
    fn complete(self: Box<Self>, given: Option<Digest>) -> Result<Descriptor, StoreError> {
        let Self {
            layout,
            reference,
            media_type,
            staged,
            hasher,
            written: size,
        } = *self;
        let refuse = |reason: String| StoreError::WriteBlob {
            reference: reference.clone(),
            source: reason.into(),
        };
        let computed = hasher.map(|hasher| hasher.finish().1);
        let digest = match (computed, given) {
            (Some(computed), Some(given)) if computed != given => {
                return Err(refuse(format!(
                    "the blob written has digest {computed}, not the {given} its writer computed"
                )));
            }
            (Some(digest), _) | (None, Some(digest)) => digest,
            (None, None) => {
                return Err(refuse(
                    "the blob's digest was to follow, and it did not".to_owned(),
                ));
            }
        };
        let fail = |err: crate::Error| StoreError::WriteBlob {
            reference: reference.clone(),
            source: err.into(),
        };
        let target = layout.blob_path(&digest);
        if !layout.has_blob(&digest) {
            commit_durably(staged, &target).map_err(fail)?;
        }
        tracing::debug!(%digest, size, path = %target.display(), "wrote blob");
        Ok(Descriptor::new(media_type, digest, size))
    }
}
