//! [`RegistryBlobWriter`]: bytes are hashed while they are spooled to a temp file; when the
//! writer finishes, the digest is known, so the registry is asked first whether it has the
//! blob, and only otherwise is the file sent as a chunked upload (`POST`, `PATCH`…, `PUT
//! ?digest=`). A failed attempt restarts the upload from the file, so retries are possible.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use cnb_image::{Action, BlobWriter, Descriptor, ImageRef, MediaType, Sha256Writer, StoreError};
use futures_util::TryStreamExt as _;
use tempfile::NamedTempFile;
use tokio_util::io::ReaderStream;

use crate::RequestError;
use crate::client::{Inner, registry_error, store_error};
use crate::retry::retry;

/// Bytes per read from the spool file, and so per chunk handed to the client.
const READ_CHUNK: usize = 1024 * 1024;
/// The client sends PATCH requests of at most this many bytes.
const PATCH_SIZE: u64 = 4 * 1024 * 1024;

/// A blob upload to a registry.
pub(crate) struct RegistryBlobWriter {
    inner: Arc<Inner>,
    target: ImageRef,
    media_type: MediaType,
    spool: Sha256Writer<BufWriter<NamedTempFile>>,
}

impl RegistryBlobWriter {
    pub(crate) fn new(
        inner: Arc<Inner>,
        target: ImageRef,
        media_type: MediaType,
    ) -> Result<Self, StoreError> {
        let builder = tempfile::Builder::new()
            .prefix("cnb-blob-")
            .tempfile_in_or_default(inner.spool_dir.as_deref());
        let file = builder
            .map_err(|source| write_error(&target, spool_error("creating spool file", source)))?;
        Ok(Self {
            inner,
            target,
            media_type,
            spool: Sha256Writer::new(BufWriter::new(file)),
        })
    }
}

trait TempIn {
    fn tempfile_in_or_default(&self, dir: Option<&std::path::Path>) -> io::Result<NamedTempFile>;
}

impl TempIn for tempfile::Builder<'_, '_> {
    fn tempfile_in_or_default(&self, dir: Option<&std::path::Path>) -> io::Result<NamedTempFile> {
        match dir {
            Some(dir) => self.tempfile_in(dir),
            None => self.tempfile(),
        }
    }
}

fn spool_error(operation: &str, source: io::Error) -> RequestError {
    RequestError::Spool {
        operation: operation.to_owned(),
        source,
    }
}

fn write_error(target: &ImageRef, err: RequestError) -> StoreError {
    store_error(Action::Write, target, err, |reference, source| {
        StoreError::WriteBlob { reference, source }
    })
}

impl Write for RegistryBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.spool.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.spool.flush()
    }
}

impl BlobWriter for RegistryBlobWriter {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let Self {
            inner,
            target,
            media_type,
            spool,
        } = *self;
        let (buffered, digest, size) = spool.finish();
        let file = buffered.into_inner().map_err(|err| {
            write_error(
                &target,
                spool_error("flushing spool file", err.into_error()),
            )
        })?;
        let descriptor = Descriptor::new(media_type, digest, size);
        if inner
            .has_blob(&target, &digest)
            .map_err(|err| write_error(&target, err))?
        {
            tracing::debug!(%digest, size, reference = %target, "blob already present");
            return Ok(descriptor);
        }
        let session = inner
            .session(&target)
            .map_err(|err| write_error(&target, err))?;
        let chunks = u32::try_from(size.div_ceil(PATCH_SIZE)).unwrap_or(u32::MAX);
        let timeout = inner.timeout().saturating_mul(chunks.saturating_add(1));
        let digest_text = digest.to_string();
        inner
            .block_on(retry(inner.retry, timeout, "blob upload", || {
                let (client, reference, digest, file) =
                    (&session.client, &session.reference, &digest_text, &file);
                async move {
                    let reopened = file
                        .reopen()
                        .map_err(|source| spool_error("reopening spool file", source))?;
                    let stream = ReaderStream::with_capacity(
                        tokio::fs::File::from_std(reopened),
                        READ_CHUNK,
                    )
                    .map_err(oci_client::errors::OciDistributionError::IoError);
                    client
                        .push_blob_stream(reference, stream, digest, Some(size))
                        .await
                        .map_err(|source| registry_error("blob upload", source))
                }
            }))
            .map_err(|err| write_error(&target, err))?;
        inner.mark_present(&target, &digest);
        tracing::debug!(%digest, size, reference = %target, "uploaded blob");
        Ok(descriptor)
    }
}
