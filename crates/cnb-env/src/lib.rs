//! The environment rules of the buildpack contract (buildpack.md › Environment), implemented
//! once for the builder and the launcher: which variables of the lifecycle's own environment
//! reach buildpacks and apps, the implicit path directories of a layer (`bin`, `lib`, …), env
//! directories with their `.append`/`.prepend`/`.override`/`.default`/`.delim` files, and the
//! platform's and operator's env directories. Callers decide the order across buildpacks and
//! layers; this crate applies one step at a time, exactly as the Go lifecycle does.
//!
//! Layer 1: depends on nothing of ours; reads only the directories it is given.

mod action;
mod env;
mod error;
mod files;

pub use action::Action;
pub use env::{Env, Scope};
pub use error::Error;
