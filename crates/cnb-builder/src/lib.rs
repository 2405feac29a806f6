//! The builder phase (platform.md › builder; buildpack.md › Phase #5: Build, Layers,
//! Environment): runs each group buildpack's `bin/build` in order, each with the environment
//! the earlier buildpacks' build layers made (cnb-env's rules, shared with the launcher) and
//! the plan entries still unmet; settles each buildpack's layers (`.ignore` for layers of no
//! type); and turns what the buildpacks wrote into `<layers>/config/metadata.toml` and
//! `<layers>/sbom/{launch,build,cache}` for the exporter and the launcher.
//!
//! Layer 4, hermetic: depends on `cnb-api`, `cnb-files`, `cnb-env`, `cnb-buildpack` and
//! `cnb-layers`; never on images, registries or the platform's flag handling (`cnb-cli` fills
//! [`BuilderConfig`]).

mod builder;
mod config;
mod error;
mod layers;
mod outputs;
mod plan;
mod processes;
mod sbom;
#[cfg(test)]
mod test_support;

pub use builder::Builder;
pub use config::{BuilderConfig, DEFAULT_OS_RELEASE};
pub use error::Error;
