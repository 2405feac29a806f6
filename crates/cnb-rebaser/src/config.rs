//! What the rebaser is asked to do: its configuration, one request, and what a rebase made.

use std::num::NonZeroUsize;

use cnb_api::PlatformApi;
use cnb_image::{ImageIdentity, ImageRef, Platform};

/// How many images [`Rebaser::rebase_fleet`](crate::Rebaser::rebase_fleet) rebases at once
/// unless told otherwise; each rebase has at most one store request in flight.
pub const FLEET_PARALLELISM: NonZeroUsize = match NonZeroUsize::new(8) {
    Some(value) => value,
    None => NonZeroUsize::MIN,
};

/// The rebaser's resolved configuration (cnb-cli maps the platform inputs into it).
#[derive(Debug, Clone)]
pub struct RebaserConfig {
    /// The Platform API the lifecycle runs at (the app image's own API decides validation).
    pub platform_api: PlatformApi,
    /// The new run image (`-run-image`), as given; `None` takes it from each app image's
    /// label, choosing the mirror on the app's registry first.
    pub run_image: Option<String>,
    /// `-force`: rebase even when validation fails (P≥0.12 app images only), and record a
    /// run image that the label does not list.
    pub force: bool,
    /// The platform an app image named by an index is read for (the runtime's).
    pub platform: Platform,
    /// At most this many images are rebased at once in fleet mode.
    pub parallelism: NonZeroUsize,
}

/// One image to rebase: where it is read from and the tags the result is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebaseRequest {
    /// The app image to rebase (`-previous-image`, else the first tag).
    pub source: ImageRef,
    /// Where the rebased image goes: the image, then its additional tags. Never empty.
    pub targets: Vec<ImageRef>,
}

impl RebaseRequest {
    /// Rebases `image` in place.
    pub fn in_place(image: ImageRef) -> Self {
        Self {
            source: image.clone(),
            targets: vec![image],
        }
    }
}

/// A finished rebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebased {
    /// The app image before: its manifest digest, or its daemon image ID.
    pub old_image: ImageIdentity,
    /// The rebased image: its manifest digest, or the image ID the daemon gave it.
    pub new_image: ImageIdentity,
    /// The size of the new manifest in bytes.
    pub manifest_size: u64,
    /// The run image the app now sits on, as named (a mirror, `-run-image`, …).
    pub run_image: String,
    /// The run image: its manifest digest, or its daemon image ID.
    pub run_image_identity: ImageIdentity,
    /// The references written, as given.
    pub tags: Vec<String>,
}
