//! [`LayoutBlobWriter`]: bytes go to a temp file in `blobs/sha256` while they are hashed, and
//! the file is renamed to its digest when the writer finishes.

use std::io::{self, Write};

use cnb_image::{BlobWriter, Descriptor, MediaType, Sha256Writer, StoreError};
use tempfile::NamedTempFile;

use crate::Layout;
use crate::layout::{persist, temp_file};

/// A blob being written into a layout. Dropping it unfinished removes the temp file.
pub(crate) struct LayoutBlobWriter {
    layout: Layout,
    reference: String,
    media_type: MediaType,
    temp: Sha256Writer<NamedTempFile>,
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
        let temp = temp_file(&layout.blobs_dir()).map_err(fail)?;
        Ok(Self {
            layout,
            reference,
            media_type,
            temp: Sha256Writer::new(temp),
        })
    }
}

impl Write for LayoutBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

impl BlobWriter for LayoutBlobWriter {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let Self {
            layout,
            reference,
            media_type,
            temp,
        } = *self;
        let (mut temp, digest, size) = temp.finish();
        let fail = |err: crate::Error| StoreError::WriteBlob {
            reference: reference.clone(),
            source: err.into(),
        };
        let target = layout.blob_path(&digest);
        temp.flush().map_err(|source| {
            fail(crate::Error::Write {
                path: target.clone(),
                source,
            })
        })?;
        if !layout.has_blob(&digest) {
            persist(temp, &target).map_err(fail)?;
        }
        tracing::debug!(%digest, size, path = %target.display(), "wrote blob");
        Ok(Descriptor::new(media_type, digest, size))
    }
}
