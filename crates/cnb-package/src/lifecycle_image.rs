//! The lifecycle image pack's untrusted builds and kpack's `ClusterLifecycle` read
//! (clients.md §6, §2.2): working dir `/layers`, linux/amd64, the labels
//! `io.buildpacks.lifecycle.version`, `io.buildpacks.lifecycle.apis` and the legacy
//! `io.buildpacks.builder.metadata`, and two layers:
//! - a base layer with what a distroless base gives Go's image and the binaries need when
//!   pack runs the analyzer, restorer and exporter in this image: `/tmp` (1777; large blobs
//!   are spooled there) and, when given, the CA bundle at `/etc/ssl/certs/ca-certificates.crt`
//!   (the registry client needs trust anchors to start);
//! - the last layer, the one kpack takes into its builders: `/cnb/lifecycle/*` (the binaries
//!   and their SBOMs) and `/cnb/lifecycle.toml` (root-owned, normalised mtime).
//!
//! The binaries are static, so nothing else is needed.

use std::path::Path;

use cnb_archive::{EntrySink, Header, Owner};
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
/// The history entry of the base layer.
const BASE_LAYER_NAME: &str = "base /tmp /etc/ssl/certs";
/// Where the CA bundle goes (Debian's path, one of the places the lifecycle looks).
pub const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Writes the lifecycle image of `lifecycle` into the OCI layout `out_layout` (absent, empty
/// or a layout), tagged `tag`, with `ca_bundle` (a PEM file) as its trusted roots; returns
/// the manifest digest.
pub fn write(
    lifecycle: &InstalledLifecycle,
    ca_bundle: Option<&Path>,
    out_layout: &Path,
    tag: &str,
) -> Result<Digest> {
    let mut config = ImageConfig {
        architecture: "amd64".to_owned(),
        os: "linux".to_owned(),
        ..ImageConfig::default()
    };
    config.config.env = Some(vec![IMAGE_PATH.to_owned()]);
    config.config.working_dir = Some(WORKING_DIR.to_owned());
    config.config.labels = Some(lifecycle_image_labels(lifecycle.descriptor()));
    let mut image = ImageWriter::create(out_layout, config)?;
    image.add_layer(BASE_LAYER_NAME, |sink| add_base(sink, ca_bundle))?;
    image.add_layer(LAYER_NAME, |sink| lifecycle.add_layer(sink))?;
    image.finish(tag)
}

fn add_base(sink: &mut dyn EntrySink, ca_bundle: Option<&Path>) -> cnb_archive::Result<()> {
    if let Some(bundle) = ca_bundle {
        for dir in ["/etc", "/etc/ssl", "/etc/ssl/certs"] {
            sink.append(&Header::directory(dir, 0o755), &mut std::io::empty())?;
        }
        cnb_archive::add_tree(sink, bundle, CA_BUNDLE_PATH.as_bytes(), Owner::new(0, 0))?;
    }
    sink.append(&Header::directory("/tmp", 0o1777), &mut std::io::empty())
}
