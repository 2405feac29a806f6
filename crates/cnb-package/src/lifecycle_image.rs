//! The lifecycle image pack's untrusted builds and kpack's `ClusterLifecycle` read
//! (clients.md §6, §2.2): an OCI image index with one image per architecture (as the Go
//! release's `buildpacksio/lifecycle:<version>` is a manifest list over `linux/amd64`,
//! `linux/arm64/v8`, …), each with working dir `/layers`, its config's `os`, `architecture`
//! and `variant`, the labels
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

use std::collections::BTreeMap;
use std::path::Path;

use cnb_archive::{EntrySink, Header, Owner};
use cnb_image::{Descriptor, Digest, ImageConfig, Index, MediaType};
use cnb_layout::Layout;
use serde_json::Map;

use crate::image::ImageWriter;
use crate::labels::lifecycle_image_labels;
use crate::{Error, InstalledLifecycle, ReleasePlatform, Result};

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

/// The lifecycle image [`write()`] laid out: the index and each architecture's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleImage {
    /// The index's digest, tagged `<tag>`.
    pub index: Digest,
    /// Each image's platform and manifest digest, in index order, tagged
    /// [`platform_tag`]`(<tag>, platform)`.
    pub images: Vec<(ReleasePlatform, Digest)>,
}

/// The layout tag of one architecture's image: `<tag>-linux-<arch>`, as the Go release tags
/// `buildpacksio/lifecycle:<version>-linux-arm64`.
pub fn platform_tag(tag: &str, platform: ReleasePlatform) -> String {
    format!("{tag}-linux-{}", platform.release_name())
}

/// Writes the lifecycle image of `lifecycles` (one install per architecture, all of the same
/// version) into the OCI layout `out_layout` (absent, empty or a layout), with `ca_bundle` (a
/// PEM file) as every image's trusted roots: one image per install, and an OCI image index
/// over them tagged `tag`.
pub fn write(
    lifecycles: &[InstalledLifecycle],
    ca_bundle: Option<&Path>,
    out_layout: &Path,
    tag: &str,
) -> Result<LifecycleImage> {
    check_installs(lifecycles, out_layout)?;
    let mut images = Vec::new();
    let mut manifests = Vec::new();
    let mut tagged = Vec::new();
    for lifecycle in lifecycles {
        let platform = lifecycle.platform();
        let descriptor = write_image(lifecycle, ca_bundle, out_layout)?;
        images.push((platform, descriptor.digest));
        tagged.push((descriptor.clone(), platform_tag(tag, platform)));
        manifests.push(Descriptor {
            platform: Some(platform.image_platform()),
            ..descriptor
        });
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(MediaType::OciIndex),
        manifests,
        annotations: BTreeMap::new(),
        other: Map::new(),
    };
    let bytes = index.to_json();
    let layout = Layout::new(out_layout);
    let digest = layout.put_blob(&bytes)?;
    let index_descriptor = Descriptor::new(MediaType::OciIndex, digest, bytes.len() as u64);
    let mut names: Vec<(Descriptor, &str)> = vec![(index_descriptor, tag)];
    names.extend(
        tagged
            .iter()
            .map(|(entry, name)| (entry.clone(), name.as_str())),
    );
    layout.write_index_entries(&names)?;
    Ok(LifecycleImage {
        index: digest,
        images,
    })
}

/// At least one install, one per architecture, all of one version.
fn check_installs(lifecycles: &[InstalledLifecycle], out_layout: &Path) -> Result<()> {
    let refuse = |reason: String| Error::NotInstalled {
        path: out_layout.to_owned(),
        reason,
    };
    let Some(first) = lifecycles.first() else {
        return Err(refuse("no lifecycle install given".to_owned()));
    };
    for (position, lifecycle) in lifecycles.iter().enumerate() {
        if lifecycle.version() != first.version() {
            return Err(refuse(format!(
                "the installs have different versions ({} and {})",
                first.version(),
                lifecycle.version()
            )));
        }
        if lifecycles[..position]
            .iter()
            .any(|other| other.platform() == lifecycle.platform())
        {
            return Err(refuse(format!(
                "two installs for {}",
                lifecycle.platform().image_platform()
            )));
        }
    }
    Ok(())
}

/// One architecture's image; returns its manifest's descriptor.
fn write_image(
    lifecycle: &InstalledLifecycle,
    ca_bundle: Option<&Path>,
    out_layout: &Path,
) -> Result<Descriptor> {
    let platform = lifecycle.platform().image_platform();
    let mut config = ImageConfig {
        architecture: platform.architecture,
        os: platform.os,
        variant: platform.variant,
        ..ImageConfig::default()
    };
    config.config.env = Some(vec![IMAGE_PATH.to_owned()]);
    config.config.working_dir = Some(WORKING_DIR.to_owned());
    config.config.labels = Some(lifecycle_image_labels(lifecycle.descriptor()));
    let mut image = ImageWriter::create(out_layout, config)?;
    image.add_layer(BASE_LAYER_NAME, |sink| add_base(sink, ca_bundle))?;
    image.add_layer(LAYER_NAME, |sink| lifecycle.add_layer(sink))?;
    image.finish_untagged()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fake_install_for;

    fn install(root: &Path, machine: u16) -> InstalledLifecycle {
        fake_install_for(root, machine);
        InstalledLifecycle::open(root).unwrap()
    }

    #[test]
    fn an_index_over_one_image_per_architecture_each_also_tagged() {
        let temp = tempfile::tempdir().unwrap();
        let amd64 = install(&temp.path().join("amd64"), 0x3e);
        let arm64 = install(&temp.path().join("arm64"), 0xb7);
        let out = temp.path().join("image");
        let written = write(&[amd64, arm64], None, &out, "1.2.3").unwrap();
        let layout = Layout::new(&out);
        let index = Index::from_json(&layout.read_blob(&written.index).unwrap().unwrap()).unwrap();
        let platforms: Vec<String> = index
            .manifests
            .iter()
            .map(|entry| entry.platform.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
        let arm = &written.images[1];
        assert_eq!(arm.0, ReleasePlatform::Arm64);
        assert_eq!(index.manifests[1].digest, arm.1);
        let manifest =
            cnb_image::Manifest::from_json(&layout.read_blob(&arm.1).unwrap().unwrap()).unwrap();
        let config = layout.read_blob(&manifest.config.digest).unwrap().unwrap();
        let config = ImageConfig::from_json(&config).unwrap();
        assert_eq!(config.platform().to_string(), "linux/arm64/v8");

        let (tags, _) = layout.read_index().unwrap().unwrap();
        let names: Vec<&str> = tags
            .manifests
            .iter()
            .map(|entry| entry.annotations[cnb_layout::REF_NAME_ANNOTATION].as_str())
            .collect();
        assert_eq!(names, ["1.2.3", "1.2.3-linux-x86-64", "1.2.3-linux-arm64"]);
        assert_eq!(tags.manifests[0].media_type, MediaType::OciIndex);
    }

    #[test]
    fn refuses_two_installs_of_one_architecture_or_none() {
        let temp = tempfile::tempdir().unwrap();
        let one = install(&temp.path().join("one"), 0x3e);
        let two = install(&temp.path().join("two"), 0x3e);
        let out = temp.path().join("image");
        let error = write(&[one, two], None, &out, "t").unwrap_err();
        assert!(
            error.to_string().ends_with("two installs for linux/amd64"),
            "{error}"
        );
        let error = write(&[], None, &out, "t").unwrap_err();
        assert!(
            error.to_string().contains("no lifecycle install"),
            "{error}"
        );
    }
}
