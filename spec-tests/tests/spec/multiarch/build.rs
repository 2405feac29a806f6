//! The creator on a run image index: the aarch64 lifecycle takes the arm64 image, records its
//! target, lets only buildpacks for it run, exports an arm64 app that runs under runc; the
//! `x86_64` lifecycle takes the amd64 image; both export the same launch layers.

use std::fs;
use std::io::Read;

use cnb_image::{Image, ImageStore};
use cnb_package::ReleasePlatform;
use cnb_registry::Environment;
use cnb_testkit::{Arch, Finished, PushedIndex};

use super::fixture::{create_on_index, creator, install_probe, order, read};
use crate::container_support::{can_run_containers, run_pulled};
use crate::creator::Create;
use crate::image_support::{reference, registry_store};

/// Builds `tag` with the creator of `arch`; returns the app image and analyzed.toml.
fn build(create: &Create, arch: Arch, tag: &str) -> (Image, toml::Table, Finished) {
    create.fresh_layers();
    let app = create.registry.reference(tag);
    let out = Finished::run(&mut creator(create, arch, &app));
    assert_eq!(out.code, Some(0), "{arch:?}: {out}");
    let analyzed = fs::read_to_string(create.layers().join("analyzed.toml")).expect("analyzed");
    let analyzed: toml::Table = toml::from_str(&analyzed).expect("analyzed.toml parses");
    (read(&app, arch), analyzed, out)
}

/// The app was built on the run image index's image for `arch`: analyzed.toml names it and
/// its target, the config has its platform, and its layers come first.
fn assert_built_on(app: &Image, analyzed: &toml::Table, index: &PushedIndex, arch: Arch) {
    let digest = index.manifest_for(&arch.platform());
    let run_image = &analyzed["run-image"];
    assert_eq!(
        run_image["reference"].as_str(),
        Some(format!("{}@{digest}", index.repository).as_str())
    );
    assert_eq!(run_image["image"].as_str(), Some(index.reference.as_str()));
    let target = &run_image["target"];
    assert_eq!(target["os"].as_str(), Some("linux"));
    assert_eq!(target["arch"].as_str(), Some(arch.name()));
    assert_eq!(
        target.get("arch-variant").and_then(toml::Value::as_str),
        arch.variant()
    );
    assert_eq!(target["distro"]["name"].as_str(), Some("busybox"));

    let config = &app.config;
    assert_eq!(
        (config.os.as_str(), config.architecture.as_str()),
        ("linux", arch.name())
    );
    assert_eq!(config.variant.as_deref(), arch.variant());
    let base = read(&format!("{}@{digest}", index.repository), arch);
    let base_layers = &base.manifest.manifest.layers;
    assert_eq!(
        &app.manifest.manifest.layers[..base_layers.len()],
        base_layers.as_slice(),
        "the base layers are the {arch:?} run image's"
    );
}

#[test]
fn the_aarch64_creator_builds_on_the_arm64_image_of_an_index_and_the_app_runs_under_runc() {
    let (create, index) = create_on_index();
    install_probe(&create, Arch::Arm64);
    install_probe(&create, Arch::Amd64);
    order(&create, &["test/arm64-probe", "test/amd64-probe"]);
    let (app, analyzed, out) = build(&create, Arch::Arm64, "test/app:arm64");
    assert_built_on(&app, &analyzed, &index, Arch::Arm64);
    assert!(
        out.stdout
            .contains("target-probe: linux/arm64/v8 distro busybox 1.35.0"),
        "CNB_TARGET_* describe the arm64 run image: {out}"
    );
    let group = fs::read_to_string(create.layers().join("group.toml")).expect("group.toml");
    assert!(group.contains("test/arm64-probe"), "{group}");
    assert!(
        !group.contains("test/amd64-probe"),
        "[[targets]] keep the amd64 buildpack out: {group}"
    );
    if can_run_containers() {
        let app = create.registry.reference("test/app:arm64");
        let ran = run_pulled(&app, None, "multiarch-arm64");
        assert_eq!(ran.code, Some(0), "{ran}");
        assert_eq!(ran.stdout, "hello from the creator\n", "{ran}");
    }
}

#[test]
fn the_x86_64_creator_takes_the_amd64_image_and_both_export_byte_identical_launch_layers() {
    let (create, index) = create_on_index();
    order(&create, &[]);
    let (arm, arm_analyzed, _) = build(&create, Arch::Arm64, "test/app:arm64");
    let (amd, amd_analyzed, _) = build(&create, Arch::Amd64, "test/app:amd64");
    assert_built_on(&arm, &arm_analyzed, &index, Arch::Arm64);
    assert_built_on(&amd, &amd_analyzed, &index, Arch::Amd64);

    let base = read(&index.reference, Arch::Arm64)
        .manifest
        .manifest
        .layers
        .len();
    let layers = |image: &Image| {
        let digests = image.manifest.manifest.layers[base..].to_vec();
        let diff_ids = image.config.rootfs.diff_ids[base..].to_vec();
        (digests, diff_ids)
    };
    let ((arm_layers, arm_ids), (amd_layers, amd_ids)) = (layers(&arm), layers(&amd));
    assert_eq!(arm_layers.len(), amd_layers.len());
    let differing: Vec<usize> = (0..arm_layers.len())
        .filter(|&i| arm_layers[i] != amd_layers[i] || arm_ids[i] != amd_ids[i])
        .collect();
    assert_eq!(
        differing.len(),
        1,
        "only the launcher layer differs: {differing:?}"
    );
    let launcher = differing[0];
    for (image, arch, layer) in [
        (&arm, ReleasePlatform::Arm64, &arm_layers[launcher]),
        (&amd, ReleasePlatform::Amd64, &amd_layers[launcher]),
    ] {
        let header = launcher_header(image, &layer.digest);
        assert_eq!(ReleasePlatform::of_elf_header(&header), Some(arch));
    }
}

/// The first bytes of `/cnb/lifecycle/launcher` in layer `digest` of `image`.
fn launcher_header(image: &Image, digest: &cnb_image::Digest) -> Vec<u8> {
    let store = registry_store(&Environment::default(), &[]);
    let blob = store
        .open_blob(&reference(&image.manifest.reference.to_string()), digest)
        .expect("readable")
        .expect("blob");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob));
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        if entry.path_bytes().ends_with(b"cnb/lifecycle/launcher") {
            let mut header = vec![0; 20];
            entry.read_exact(&mut header).expect("launcher bytes");
            return header;
        }
    }
    panic!("layer {digest} holds no launcher")
}
