//! [`LayoutBlobWriter`]: bytes go to a staged file in `blobs/sha256` while they are hashed
//! (unless the caller gives their digest at the end), and the file is synced and renamed to
//! its digest when the writer finishes.

use std::io::{self, Write};

use cnb_image::{BlobDigest, BlobWriter, Descriptor, Digest, MediaType, StoreError};
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
    /// The digest of the bytes written, unless the caller gives it at the end.
    digest: BlobDigest,
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
            digest: BlobDigest::new(),
        })
    }
}

impl Write for LayoutBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.staged.write(buf)?;
        self.digest.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.staged.flush()
    }
}

impl BlobWriter for LayoutBlobWriter {
    fn digest_follows(&mut self) {
        self.digest.digest_follows();
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
            digest,
        } = *self;
        let (digest, size) = digest.settle(given).map_err(|err| StoreError::WriteBlob {
            reference: reference.clone(),
            source: err.into(),
        })?;
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
