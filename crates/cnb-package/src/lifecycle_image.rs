//! The lifecycle image pack's untrusted builds and kpack's `ClusterLifecycle` read
//! (clients.md §6, §2.2): one layer holding `/cnb/lifecycle/*` and `/cnb/lifecycle.toml`
//! (root-owned, normalised mtime), working dir `/layers`, linux/amd64, and the labels
//! `io.buildpacks.lifecycle.version`, `io.buildpacks.lifecycle.apis` and the legacy
//! `io.buildpacks.builder.metadata`. The binaries are static, so no base image is needed.

use std::path::Path;

use cnb_image::{Digest, ImageConfig};

use crate::image::ImageWriter;
use crate::labels::lifecycle_image_labels;
use crate::{InstalledLifecycle, Result};

/// `PATH` in the config (what a distroless base sets).
pub(crate) const IMAGE_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The working dir of lifecycle and builder images (Tekton's `-layers=` relies on it).
pub(crate) const WORKING_DIR: &str = "/layers";
/// The history entry of the lifecycle layer.
pub(crate) const LAYER_NAME: &str = "lifecycle /cnb/lifecycle";

/// Writes the lifecycle image of `lifecycle` into the OCI layout `out_layout` (absent, empty
/// or a layout), tagged `tag`; returns the manifest digest.
pub fn write(lifecycle: &InstalledLifecycle, out_layout: &Path, tag: &str) -> Result<Digest> {
    let mut config = ImageConfig {
        architecture: "amd64".to_owned(),
        os: "linux".to_owned(),
        ..ImageConfig::default()
    };
    config.config.env = Some(vec![IMAGE_PATH.to_owned()]);
    config.config.working_dir = Some(WORKING_DIR.to_owned());
    config.config.labels = Some(lifecycle_image_labels(lifecycle.descriptor()));
    let mut image = ImageWriter::create(out_layout, config)?;
    image.add_layer(LAYER_NAME, |sink| lifecycle.add_layer(sink))?;
    image.finish(tag)
}
