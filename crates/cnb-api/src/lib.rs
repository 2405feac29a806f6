//! The spec's vocabulary, shared by every other crate: API versions and the ranges this
//! lifecycle supports, named capability predicates (instead of scattered `>= 0.12` checks),
//! environment variable names, modes, phases and the exit-code table.
//!
//! Layer 0: depends on nothing of ours. It must stay small enough for the launcher to link.

mod buildpack_api;
mod exit;
mod modes;
mod one_line;
mod phase;
mod platform_api;
mod sbom_format;
mod supported;
mod version;

pub mod env;

pub use buildpack_api::BuildpackApi;
pub use exit::ExitKind;
pub use modes::{DeprecationMode, ExperimentalMode};
pub use one_line::{one_line, one_line_text};
pub use phase::Phase;
pub use platform_api::PlatformApi;
pub use sbom_format::SbomFormat;
pub use supported::{
    BUILDPACK_APIS, PLATFORM_APIS, UnsupportedApi, check_buildpack_api, check_platform_api,
};
pub use version::{ParseVersionError, Version};

/// The lifecycle's own directory in builder and lifecycle images: its binaries, their SBOMs
/// (`<binary>.sbom.<ext>`), and the default of `-launcher-sbom`.
pub const LIFECYCLE_DIR: &str = "/cnb/lifecycle";

/// The lifecycle's own version, as written to `lifecycle.toml`.
pub const LIFECYCLE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version line every binary prints for `-version`: `<version>+<commit>` when the build
/// recorded a commit (`CNB_LIFECYCLE_COMMIT` at compile time, set by the Makefile) that the
/// version does not already contain, as the Go lifecycle prints it.
pub fn version_line() -> String {
    match option_env!("CNB_LIFECYCLE_COMMIT") {
        Some(commit) if !commit.is_empty() && !LIFECYCLE_VERSION.contains(commit) => {
            format!("{LIFECYCLE_VERSION}+{commit}")
        }
        _ => LIFECYCLE_VERSION.to_owned(),
    }
}
