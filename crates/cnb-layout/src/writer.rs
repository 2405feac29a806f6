//! [`LayoutBlobWriter`]: bytes go to a staged file in `blobs/sha256` while they are hashed,
//! and the file is synced and renamed to its digest when the writer finishes.

use std::io::{self, Write};

use cnb_image::{BlobWriter, Descriptor, MediaType, Sha256Writer, StoreError};
use cnb_sys::StagedFile;

use crate::Layout;
use crate::layout::{commit_durably, staged_file};

/// A blob being written into a layout. Dropping it unfinished removes the staged file; a
/// writer killed leaves it for the next index write to sweep.
pub(crate) struct LayoutBlobWriter {
    layout: Layout,
    reference: String,
    media_type: MediaType,
    staged: Sha256Writer<StagedFile>,
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
            staged: Sha256Writer::new(staged),
        })
    }
}

impl Write for LayoutBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.staged.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.staged.flush()
    }
}

impl BlobWriter for LayoutBlobWriter {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let Self {
            layout,
            reference,
            media_type,
            staged,
        } = *self;
        let (staged, digest, size) = staged.finish();
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
