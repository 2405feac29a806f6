//! The detector phase (platform.md › detector; buildpack.md › Phase #1: Detection;
//! `image_extension.md`): expands the order (composite buildpacks depth-first, `optional`
//! entries, Platform API 0.15 system buildpacks, `[[order-extensions]]` as an optional slot in
//! front of every group), runs each group's `bin/detect`s concurrently, resolves the build plan
//! trial by trial, and writes `group.toml` and `plan.toml` for the first group that passes.
//! Results are combined in group order, so logs and files are those of a sequential run. When
//! the group has extensions, the generate step ([`Detector::generate`]) runs their
//! `bin/generate`, checks their Dockerfiles, switches the run image and rewrites
//! `analyzed.toml` and `plan.toml`.
//!
//! Layer 4, hermetic: depends on `cnb-api`, `cnb-files`, `cnb-env`, `cnb-buildpack` and
//! `cnb-dockerfile`; never on images, registries or the platform's flag handling (`cnb-cli`
//! fills [`DetectorConfig`]).

mod config;
mod detector;
mod error;
mod generator;
mod log;
mod order;
mod outputs;
mod resolve;

pub use config::{DEFAULT_OS_RELEASE, DetectorConfig};
pub use detector::{Detected, Detector};
pub use error::Error;
pub use generator::GenerateResult;
