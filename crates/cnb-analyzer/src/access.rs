//! Registry access checks through the image store alone. Reading: asking for the manifest
//! (a missing image is readable: nothing is denied). Writing: the store's write check (a
//! registry is asked to start an upload into the repository, as go-containerregistry's
//! `CheckPushPermission` does; a layout directory gets the empty layer blob).

use cnb_image::{Action, ImageRef, ImageStore, StoreError};

/// Whether `reference` may be read: `Ok(())` also when it does not exist.
pub fn check_read(store: &dyn ImageStore, reference: &ImageRef) -> Result<(), StoreError> {
    store.read_manifest_raw(reference, None).map(drop)
}

/// Whether `reference` may be written.
pub fn check_write(store: &dyn ImageStore, reference: &ImageRef) -> Result<(), StoreError> {
    store.check_write_access(reference)
}

/// Whether `error` means the registry refused us, rather than failing otherwise.
pub(crate) fn is_denied(error: &StoreError, action: Action) -> bool {
    matches!(error, StoreError::Unauthorized { action: refused, .. } if *refused == action)
}
