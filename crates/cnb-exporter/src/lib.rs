//! The exporter phase (platform.md › exporter): turns `<layers>` and `<app>` into the app
//! image on top of the analyzed run image, and the `cache=true` layers into the cache.
//!
//! The image is the run image's layers and config, then the layers image extensions added to
//! the run image (the extended run image's config replacing the run image's when
//! `analyzed.toml` says `extend = true`), then each group buildpack's launch layers
//! (in group order, names sorted), the SBOM layer, one layer per app slice and one for the
//! rest of the app, the launcher, the launcher config (`<layers>/config`) and the process
//! types; labels, environment, working dir and entrypoint as the Go lifecycle sets them
//! (spec-matrix.md §4). A layer whose diffID equals the previous image's is lent by the
//! previous image, never uploaded again; run-image layers are mounted, never re-uploaded.
//! All tags get one manifest, written only when every blob is in place; report.toml follows
//! the successful save. [`Exporter::cache`] writes the volume or image cache.
//!
//! Layer 4 (connected phase): reaches images only through an injected
//! [`ImageStore`](cnb_image::ImageStore); knows nothing of flags or the environment.

mod cache;
mod config;
mod error;
mod exporter;
mod image;
mod run_image;
mod sbom;
mod settings;

pub use cache::CacheTarget;
pub use config::ExporterConfig;
pub use error::{Error, Result};
pub use exporter::{Exporter, ExtendedRunImage, NameImage};
pub use run_image::{RunImageSources, run_image_for_export};
pub use settings::{DEFAULT_CREATED, EXEC_ENV_LABEL, source_date_epoch};
