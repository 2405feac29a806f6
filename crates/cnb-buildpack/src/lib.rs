//! Buildpacks and image extensions as the lifecycle meets them (`buildpack.md`, `image_extension.md`):
//! the store under `<buildpacks>`/`<extensions>` (`<id with / as _>/<version>/`), descriptors
//! with their API checked and their targets inferred, the run image's target as buildpacks see it
//! (`CNB_TARGET_*`, with the build container's `/etc/os-release` as the distro fallback), and
//! running a module's executables by their own path (libcnb dispatches on `argv[0]`) with the
//! contract's environment and arguments. [`detect`] runs one `bin/detect`, [`build`] one
//! `bin/build` and [`generate`] one extension's `bin/generate`, all with the one environment
//! function of `contract.rs`.
//!
//! Layer 2: depends on `cnb-api`, `cnb-files`, `cnb-env` (and `cnb-sys` when it needs a seam);
//! never on images, registries or the platform's inputs.

mod build;
mod contract;
mod detect;
mod error;
mod generate;
mod invocation;
mod module;
mod store;
mod target;

pub use build::{BuildInputs, BuildRun, build};
pub use detect::{DetectCode, DetectInputs, DetectRun, detect};
pub use error::Error;
pub use generate::{GenerateInputs, GenerateRun, generate};
pub use invocation::{Captured, Invocation, describe_exit};
pub use module::{Module, ModuleKind};
pub use store::{Store, escape_id};
pub use target::{Distro, RunTarget, host_arch, parse_os_release};
