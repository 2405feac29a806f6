//! The lifecycle's layer caches (platform.md › Caching; the formats are Go's, spec-matrix.md
//! §13): a [`VolumeCache`] directory (`committed/<diffID>.tar` plus the metadata file) and an
//! [`ImageCache`] (an image whose layers are the cached tars and whose label is the metadata).
//!
//! Reading is the [`Cache`] trait, which the restorer uses; [`restore_layer`] extracts one
//! entry, verifying its diffID, so that a corrupt entry is an error the caller can skip.
//! Writing, for the exporter, goes through [`VolumeCacheWriter`] and [`ImageCacheWriter`]: add
//! a layer from its tar stream or reuse one by diffID, then commit. A commit is atomic: until
//! it completes, readers see the previous cache.
//!
//! The [`LaunchCache`] (daemon exports only) keeps the layer tars of the last image exported
//! to a Docker daemon in the volume cache's layout, so that a rebuild sends unchanged layers
//! from there instead of exporting them from the daemon.
//!
//! Layer 2 (services): depends on cnb-image, cnb-archive and cnb-files; images are reached
//! only through an injected [`ImageStore`](cnb_image::ImageStore).

mod error;
mod image;
mod launch;
mod restore;
mod volume;

use std::io::Read;

use cnb_files::labels::CacheMetadata;

pub use error::Error;
pub use image::{ImageCache, ImageCacheWriter};
pub use launch::LaunchCache;
pub use restore::restore_layer;
pub use volume::{METADATA_FILE, StagedLayer, VolumeCache, VolumeCacheWriter};

/// A cache as the restorer reads it.
pub trait Cache {
    /// Whether the cache existed when it was opened (a missing cache reads as empty).
    fn exists(&self) -> bool;

    /// What the cache holds; empty for a missing or unreadable cache.
    fn metadata(&self) -> &CacheMetadata;

    /// The layer with `diff_id` (`sha256:…`), as stored (plain or compressed).
    fn open_layer(&self, diff_id: &str) -> Result<Box<dyn Read + Send + '_>, Error>;
}
