//! The release artifacts of both installs (`make package`): the arm64 tgz holds aarch64
//! binaries; the lifecycle image is an index with linux/amd64 and linux/arm64/v8 that skopeo
//! reads (`inspect --raw`) and pulls the arm64 image from (`copy --override-arch arm64`), from
//! the layout and from a registry.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use cnb_image::{Digest, ImageConfig, Manifest};
use cnb_layout::Layout;
use cnb_package::{InstalledLifecycle, ReleasePlatform, lifecycle_image, publish, tgz};
use cnb_testkit::{Arch, Lifecycle, RegistryFixture};
use serde_json::Value;

use crate::image_support::skopeo;

fn installed(arch: Arch) -> InstalledLifecycle {
    let lifecycle = Lifecycle::installed_for(arch);
    let install: PathBuf = lifecycle.dir().join("../..");
    InstalledLifecycle::open(&install).expect("the install opens")
}

/// The first bytes of each entry of a gzip tar whose name ends with one of `names`.
fn headers(gzip: impl Read, names: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gzip));
    let mut found = Vec::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if names.iter().any(|wanted| name.ends_with(wanted))
            && entry.header().entry_type().is_file()
        {
            let mut header = vec![0; 20];
            entry.read_exact(&mut header).expect("binary bytes");
            found.push((name, header));
        }
    }
    found
}

/// The platforms `skopeo inspect --raw` shows for the index at `transport_ref`.
fn raw_platforms(transport_ref: &str, tls: &[&str]) -> (Value, Vec<String>) {
    let mut args = vec!["inspect", "--raw"];
    args.extend_from_slice(tls);
    args.push(transport_ref);
    let raw: Value = serde_json::from_slice(&skopeo(&args).stdout).expect("JSON");
    let platforms = raw["manifests"]
        .as_array()
        .expect("an index")
        .iter()
        .map(|entry| {
            let platform = &entry["platform"];
            let mut name = format!(
                "{}/{}",
                platform["os"].as_str().unwrap_or_default(),
                platform["architecture"].as_str().unwrap_or_default()
            );
            if let Some(variant) = platform["variant"].as_str() {
                name = format!("{name}/{variant}");
            }
            name
        })
        .collect();
    (raw, platforms)
}

/// `skopeo copy --override-arch arm64 <from> oci:<dir>:pulled`; returns the pulled image's
/// config and the launcher's first bytes.
fn pull_arm64(from: &str, tls: &[&str], dir: &Path) -> (ImageConfig, Vec<u8>) {
    let to = format!("oci:{}:pulled", dir.display());
    let mut args = vec![
        "copy",
        "--quiet",
        "--insecure-policy",
        "--override-arch",
        "arm64",
    ];
    args.extend_from_slice(tls);
    args.extend([from, to.as_str()]);
    skopeo(&args);
    let layout = Layout::new(dir);
    let (_, bytes) = layout.root_manifest().expect("read").expect("pulled");
    let manifest = Manifest::from_json(&bytes).expect("a manifest");
    let config = layout
        .read_blob(&manifest.config.digest)
        .expect("read")
        .expect("config");
    let last = manifest.layers.last().expect("a layer");
    let blob = layout
        .open_blob(&last.digest)
        .expect("read")
        .expect("layer");
    let launcher = headers(blob, &["cnb/lifecycle/launcher"]);
    (
        ImageConfig::from_json(&config).expect("config"),
        launcher.into_iter().next().expect("the launcher").1,
    )
}

#[test]
fn the_arm64_tgz_holds_aarch64_binaries_and_skopeo_pulls_arm64_from_the_lifecycle_image_index() {
    let (amd64, arm64) = (installed(Arch::Amd64), installed(Arch::Arm64));
    let version = arm64.version().to_owned();
    let out = tempfile::tempdir().expect("temp dir");

    let tgz = tgz::write(&arm64, out.path()).expect("tgz");
    let name = format!("lifecycle-v{version}+linux.arm64.tgz");
    assert_eq!(tgz, out.path().join(&name));
    let sum = fs::read_to_string(out.path().join(format!("{name}.sha256"))).expect(".sha256");
    let digest = Digest::of(&fs::read(&tgz).expect("tgz"));
    assert_eq!(sum, format!("{}  {name}\n", digest.hex()));
    let binaries = headers(
        File::open(&tgz).expect("tgz"),
        &["lifecycle/lifecycle", "lifecycle/launcher"],
    );
    assert_eq!(binaries.len(), 2, "{binaries:?}");
    for (name, header) in &binaries {
        assert_eq!(
            ReleasePlatform::of_elf_header(header),
            Some(ReleasePlatform::Arm64),
            "{name}"
        );
    }

    let layout = out.path().join("lifecycle-image");
    let written = lifecycle_image::write(&[amd64, arm64], None, &layout, &version).expect("image");
    let local = format!("oci:{}:{version}", layout.display());
    let (raw, platforms) = raw_platforms(&local, &[]);
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    let (config, launcher) = pull_arm64(&local, &[], &out.path().join("pulled"));
    assert_eq!(config.platform().to_string(), "linux/arm64/v8");
    assert_eq!(
        ReleasePlatform::of_elf_header(&launcher),
        Some(ReleasePlatform::Arm64)
    );

    let registry = RegistryFixture::start().expect("registry");
    let target = registry.reference(&format!("cnb/lifecycle:{version}"));
    let store = publish::registry_store(&target).expect("store");
    let pushed = publish::publish(&layout, &version, &store, &target).expect("published");
    assert_eq!(pushed, written.index);
    let remote = format!("docker://{target}");
    let (_, platforms) = raw_platforms(&remote, &["--tls-verify=false"]);
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    let (config, launcher) = pull_arm64(
        &remote,
        &["--src-tls-verify=false"],
        &out.path().join("pulled-remote"),
    );
    assert_eq!(config.architecture, "arm64");
    assert_eq!(
        ReleasePlatform::of_elf_header(&launcher),
        Some(ReleasePlatform::Arm64)
    );
}
