//! Registry access checks through the image store alone. Reading: asking for the manifest
//! (a missing image is readable: nothing is denied). Writing: uploading the empty layer tar,
//! the one blob every cache image may hold anyway; the store first asks whether the
//! repository has it, and only uploads when not.

use cnb_image::{Action, ImageRef, ImageStore, MediaType, StoreError};

/// The tar of an empty layer: two zero blocks.
const EMPTY_TAR: [u8; 1024] = [0; 1024];

/// Whether `reference` may be read: `Ok(())` also when it does not exist.
pub fn check_read(store: &dyn ImageStore, reference: &ImageRef) -> Result<(), StoreError> {
    store.read_manifest_raw(reference, None).map(drop)
}

/// Whether `reference` may be written, by writing the empty layer blob into its repository.
/// A repository that already holds that blob is taken as writable without an upload.
pub fn check_write(store: &dyn ImageStore, reference: &ImageRef) -> Result<(), StoreError> {
    store
        .write_blob(reference, MediaType::OciLayer, &EMPTY_TAR)
        .map(drop)
}

/// Whether `error` means the registry refused us, rather than failing otherwise.
pub(crate) fn is_denied(error: &StoreError, action: Action) -> bool {
    matches!(error, StoreError::Unauthorized { action: refused, .. } if *refused == action)
}
