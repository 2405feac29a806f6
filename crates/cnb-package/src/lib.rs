//! Release artifacts of this lifecycle, written reproducibly (the same inputs give the same
//! bytes and digests: normalised mtimes and owners, Go-identical tars, no clock):
//!
//! - [`tgz`]: `lifecycle-v<version>+linux.<arch>.tgz` (`x86-64`, `arm64`), what pack's
//!   `builder create` reads;
//! - [`lifecycle_image`]: the lifecycle image pack's untrusted builds and kpack's
//!   `ClusterLifecycle` read, an OCI image index over one image per architecture, as an OCI
//!   layout;
//! - [`builder`]: a builder image assembled from a build base (an OCI layout), the lifecycle,
//!   buildpack and image extension directories, an order and a run image;
//! - [`publish`](publish::publish): pushes an image from a layout to a registry.
//!
//! Each starts from an [`InstalledLifecycle`], the directory `make install` lays out. The
//! `cnb-package` binary drives all of them (`make package`).
//!
//! Top layer (a tool beside `cnb-cli`): uses cnb-archive, cnb-layout, cnb-registry, cnb-image
//! and cnb-files; nothing depends on it but tests.

mod error;
mod image;
mod lifecycle;
mod module;
mod release_platform;

pub mod builder;
pub mod labels;
pub mod lifecycle_image;
pub mod publish;
pub mod tgz;

#[cfg(test)]
mod test_support;

pub use builder::BuilderInputs;
pub use error::{Error, Result};
pub use lifecycle::{InstalledLifecycle, REQUIRED_BINARIES, SBOM_BINARIES};
pub use release_platform::ReleasePlatform;
