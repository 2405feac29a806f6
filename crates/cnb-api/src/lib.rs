//! The spec's vocabulary, shared by every other crate: API versions and the ranges this
//! lifecycle supports, named capability predicates (instead of scattered `>= 0.12` checks),
//! environment variable names, modes, phases and the exit-code table.
//!
//! Layer 0: depends on nothing of ours. It must stay small enough for the launcher to link.

mod exit;
mod modes;
mod phase;
mod platform_api;
mod buildpack_api;
mod supported;
mod version;

pub mod env;

pub use buildpack_api::BuildpackApi;
pub use exit::ExitKind;
pub use modes::{DeprecationMode, ExperimentalMode};
pub use phase::Phase;
pub use platform_api::PlatformApi;
pub use supported::{
    BUILDPACK_APIS, PLATFORM_APIS, UnsupportedApi, check_buildpack_api, check_platform_api,
};
pub use version::{ParseVersionError, Version};

/// The lifecycle's own version, as printed by `-version` and written to `lifecycle.toml`.
pub const LIFECYCLE_VERSION: &str = env!("CARGO_PKG_VERSION");
