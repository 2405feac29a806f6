//! Platform inputs: for each phase and Platform API version, which flags exist, which
//! environment variable backs each one, and what it defaults to (platform.md › Inputs of each
//! phase; the Go lifecycle's `platform/` package). Resolution follows flag > env > default,
//! moves `<layers>`-relative defaults with `-layers`, applies the `order.toml` lookup rule and
//! makes paths absolute. This crate is the only reader of the process environment.
//!
//! Layer 2: depends on `cnb-api` only; knows nothing of images, registries or phases' work.

mod env_source;
mod error;
mod flag_table;
mod inputs;
mod resolve;
mod values;

pub use env_source::{EnvSource, ProcessEnv};
pub use error::Error;
pub use flag_table::{Arity, FlagDef, FlagKind, arity, flags_for};
pub use inputs::{Environ, GzipEngine, Inputs, LogLevel};
pub use resolve::{FlagValues, documented_source, resolve};
pub use values::{parse_bool, parse_duration, parse_int};

/// Reads and checks `CNB_PLATFORM_API` from `env`: unset, blank, malformed and unsupported
/// versions are refused (exit 11).
pub fn platform_api(env: &dyn EnvSource) -> Result<cnb_api::PlatformApi, cnb_api::UnsupportedApi> {
    cnb_api::check_platform_api(env.var(cnb_api::env::PLATFORM_API).as_deref())
}
