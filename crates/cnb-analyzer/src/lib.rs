//! The analyzer phase (platform.md › analyzer): checks that the images the build will write
//! are writable and the images it reads are readable, reads the previous image's
//! `io.buildpacks.lifecycle.metadata`, restores the previous image's SBOM layer, identifies
//! the run image (digest reference, and from Platform API 0.12 its name and target), and
//! writes `analyzed.toml`.
//!
//! Layer 4 (connected phase): images come through an injected
//! [`ImageStore`](cnb_image::ImageStore); the run image is chosen by the caller (cnb-cli,
//! with [`cnb_image::select_run_image`]). Never depends on cnb-platform or an adapter.

mod access;
mod analyzer;
mod error;

pub use access::{check_read, check_write};
pub use analyzer::{Analyzer, AnalyzerConfig, NameImage};
pub use error::Error;
