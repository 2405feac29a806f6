//! The extender phase (platform.md › extender; `image_extension.md` › Phase: Extension):
//! applies the Dockerfiles that extensions generated, in group order, to the root file system
//! of the container it runs in, without kaniko and without a daemon.
//!
//! - `-kind build` ([`Extender::extend_build`]) runs in the builder container as root: each
//!   `build.Dockerfile` changes the container itself, and the final `Env` is handed back for
//!   the build that follows in the same process.
//! - `-kind run` ([`Extender::extend_run`]) runs in a container of the run image as root: each
//!   `RUN`, `COPY` and `ADD` of the `run.Dockerfile`s is snapshotted into a layer (a walk of
//!   the root before and after, see the `snapshot` module), and the extended image is
//!   written to `<extended>/run/<digest hex>/` as an OCI layout holding the new layers only.
//!   Layers are cached under `<kaniko-dir>/cache/layers` by a key of the base image, the
//!   instructions so far and their inputs, so the same Dockerfiles on the same base give the
//!   same image again without running anything.
//!
//! The base image (manifest and config) is the one the restorer saved under
//! `<kaniko-dir>/cache/base/<digest hex>/`.
//!
//! Layer 4 (phase): depends on cnb-api, cnb-sys, cnb-files, cnb-image, cnb-archive,
//! cnb-layout and cnb-dockerfile; never on another phase or on cnb-platform.

mod apply;
mod base;
mod cache;
mod config;
mod copy;
mod dockerfiles;
mod error;
mod extender;
mod image_config;
mod layers;
mod output;
mod run;
mod scope;
mod snapshot;
mod state;
mod users;

pub use config::{DEFAULT_MOUNTINFO, ExtenderConfig};
pub use error::{Error, StepError};
pub use extender::{BuildOutcome, Extender, RunOutcome};
