//! The rebaser end to end over OCI layout directories (cnb-layout), in temp dirs: the swap,
//! the label updates, mirror choice, validation leaving images untouched, fleet mode.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

use std::num::NonZeroUsize;

use cnb_api::check_platform_api;
use cnb_files::JsonLabel;
use cnb_files::labels::{LIFECYCLE_METADATA, LifecycleMetadata};
use cnb_image::{Digest, Image, ImageConfig, ImageRef, ImageStore, Manifest, MediaType, Platform};
use cnb_layout::LayoutStore;
use cnb_rebaser::{Error, FleetResult, RebaseRequest, Rebaser, RebaserConfig, write_fleet_report};
use pretty_assertions::assert_eq;

fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

fn config(api: &str, run_image: Option<&str>, force: bool) -> RebaserConfig {
    RebaserConfig {
        platform_api: check_platform_api(Some(api)).unwrap(),
        run_image: run_image.map(Into::into),
        force,
        platform: amd64(),
        parallelism: NonZeroUsize::new(4).unwrap(),
    }
}

fn reference(name: &str) -> ImageRef {
    ImageRef::parse(name).unwrap()
}

/// Writes an image whose layers are the given bytes (stored uncompressed, so the diffID is
/// the digest) with `labels` and `env`.
fn put(store: &LayoutStore, name: &str, layers: &[&[u8]], labels: &[(&str, &str)], env: &[&str]) {
    let target = reference(name);
    let mut config = ImageConfig {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..ImageConfig::default()
    };
    config.config.env = Some(env.iter().map(|pair| (*pair).to_owned()).collect());
    for (key, value) in labels {
        config.set_label(key, value);
    }
    let mut descriptors = Vec::new();
    for bytes in layers {
        descriptors.push(
            store
                .write_blob(&target, MediaType::OciLayer, bytes)
                .unwrap(),
        );
        config.rootfs.diff_ids.push(Digest::of(bytes));
    }
    let config_descriptor = store
        .write_config(&target, MediaType::OciConfig, &config)
        .unwrap();
    let manifest = Manifest::new(MediaType::OciManifest, config_descriptor, descriptors);
    store.write_image(&[target], &manifest).unwrap();
}

/// Copies registry.test/app:latest to `target` (layers lent, not copied), editing its config.
fn copy_app(store: &LayoutStore, target: &ImageRef, edit: impl FnOnce(&mut ImageConfig)) {
    let source = reference("registry.test/app:latest");
    let app = store.read_image(&source, &amd64()).unwrap().unwrap();
    for layer in &app.manifest.manifest.layers {
        let sources = std::slice::from_ref(&source);
        assert!(store.reuse_blob(target, &layer.digest, sources).unwrap());
    }
    let mut config = app.config.clone();
    edit(&mut config);
    let descriptor = store
        .write_config(target, MediaType::OciConfig, &config)
        .unwrap();
    let mut manifest = app.manifest.manifest.clone();
    manifest.config = descriptor;
    store
        .write_image(std::slice::from_ref(target), &manifest)
        .unwrap();
}

fn read(store: &LayoutStore, name: &str) -> Image {
    store
        .read_image(&reference(name), &amd64())
        .unwrap()
        .unwrap()
}

fn metadata(image: &Image) -> LifecycleMetadata {
    LifecycleMetadata::from_label(image.label(LIFECYCLE_METADATA).unwrap()).unwrap()
}

const RUN: &str = "registry.test/run";
const MIRROR: &str = "mirror.test/run";

/// A run image v1 and v2 under `RUN` (and v2 also under `MIRROR`), and an app on v1.
fn fixture(app_labels: &[(&str, &str)], app_api: &str) -> (tempfile::TempDir, LayoutStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let base_labels = [
        ("io.buildpacks.stack.id", "io.test.stack"),
        ("io.buildpacks.base.distro.name", "busybox"),
    ];
    put(
        &store,
        &format!("{RUN}:v1"),
        &[b"os v1", b"tools v1"],
        &base_labels,
        &[],
    );
    let v2_labels = [
        ("io.buildpacks.stack.id", "io.test.stack"),
        ("io.buildpacks.stack.version", "2"),
        ("io.buildpacks.base.distro.name", "busybox"),
    ];
    put(
        &store,
        &format!("{RUN}:v2"),
        &[b"os v2", b"tools v2", b"patch"],
        &v2_labels,
        &[],
    );
    put(
        &store,
        &format!("{MIRROR}:v2"),
        &[b"os v2", b"tools v2", b"patch"],
        &v2_labels,
        &[],
    );
    let v1 = read(&store, &format!("{RUN}:v1"));
    let top = v1.config.rootfs.diff_ids[1].to_string();
    let label = format!(
        r#"{{"app":[{{"sha":"{app}"}}],"runImage":{{"topLayer":"{top}","reference":"{RUN}@{digest}","image":"{RUN}:v2","mirrors":["{MIRROR}:v2"]}},"stack":{{"runImage":{{"image":"{RUN}:v2"}}}}}}"#,
        app = Digest::of(b"app"),
        digest = v1.digest()
    );
    let mut labels = vec![
        (LIFECYCLE_METADATA, label.as_str()),
        ("io.buildpacks.stack.id", "io.test.stack"),
        ("io.buildpacks.base.distro.name", "busybox"),
    ];
    labels.extend_from_slice(app_labels);
    let api_env = format!("CNB_PLATFORM_API={app_api}");
    put(
        &store,
        "registry.test/app:latest",
        &[b"os v1", b"tools v1", b"app", b"config"],
        &labels,
        &[&api_env],
    );
    (dir, store)
}

#[test]
fn rebases_onto_the_labels_run_image_and_updates_the_metadata() {
    let (_dir, store) = fixture(&[], "0.12");
    let before = read(&store, "registry.test/app:latest");
    let phase = Rebaser::new(config("0.13", None, false), &store);
    let request = RebaseRequest {
        source: reference("registry.test/app:latest"),
        targets: vec![
            reference("registry.test/app:latest"),
            reference("registry.test/app:other"),
        ],
    };
    let rebased = phase.rebase(&request).unwrap();
    assert_eq!(rebased.old_digest, before.digest());
    assert_eq!(rebased.run_image, format!("{RUN}:v2"));
    let after = read(&store, "registry.test/app:latest");
    assert_eq!(after.digest(), rebased.new_digest);
    assert_eq!(
        read(&store, "registry.test/app:other").digest(),
        rebased.new_digest
    );
    let v2 = read(&store, &format!("{RUN}:v2"));
    let mut expected_ids = v2.config.rootfs.diff_ids.clone();
    expected_ids.extend([Digest::of(b"app"), Digest::of(b"config")]);
    assert_eq!(after.config.rootfs.diff_ids, expected_ids);
    let layers: Vec<Digest> = after
        .manifest
        .manifest
        .layers
        .iter()
        .map(|l| l.digest)
        .collect();
    assert_eq!(layers, expected_ids, "uncompressed layers: digest = diffID");
    let label = metadata(&after);
    assert_eq!(label.run_image.top_layer, Digest::of(b"patch").to_string());
    assert_eq!(label.run_image.reference, format!("{RUN}@{}", v2.digest()));
    assert_eq!(
        label.run_image.image.as_deref(),
        Some(format!("{RUN}:v2").as_str())
    );
    assert_eq!(after.label("io.buildpacks.stack.version"), Some("2"));
    assert_eq!(after.config.env("CNB_PLATFORM_API"), Some("0.12"));
    let report_dir = tempfile::tempdir().unwrap();
    let report = report_dir.path().join("report.toml");
    Rebaser::write_report(&report, &rebased).unwrap();
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains(&format!("digest = \"{}\"", rebased.new_digest)),
        "{text}"
    );
    assert!(text.contains("registry.test/app:other"), "{text}");
}

#[test]
fn the_mirror_on_the_apps_registry_wins() {
    let (_dir, store) = fixture(&[], "0.12");
    let target = reference("mirror.test/app:latest");
    copy_app(&store, &target, |_| {});
    let phase = Rebaser::new(config("0.12", None, false), &store);
    let rebased = phase.rebase(&RebaseRequest::in_place(target)).unwrap();
    assert_eq!(rebased.run_image, format!("{MIRROR}:v2"));
}

#[test]
fn an_unlisted_run_image_needs_force_and_then_becomes_the_labels_image() {
    let (_dir, store) = fixture(&[], "0.12");
    put(
        &store,
        "other.test/run:v3",
        &[b"os v3"],
        &[("io.buildpacks.base.distro.name", "busybox")],
        &[],
    );
    let source = reference("registry.test/app:latest");
    let before = read(&store, "registry.test/app:latest");
    let rebaser = Rebaser::new(config("0.12", Some("other.test/run:v3"), false), &store);
    let err = rebaser
        .rebase(&RebaseRequest::in_place(source.clone()))
        .unwrap_err();
    assert!(matches!(err, Error::RunImageNotInMetadata { .. }), "{err}");
    assert_eq!(err.kind(), cnb_api::ExitKind::RebaseError);
    assert_eq!(
        read(&store, "registry.test/app:latest").digest(),
        before.digest()
    );
    let forced = Rebaser::new(config("0.12", Some("other.test/run:v3"), true), &store);
    forced.rebase(&RebaseRequest::in_place(source)).unwrap();
    let label = metadata(&read(&store, "registry.test/app:latest"));
    assert_eq!(label.run_image.image.as_deref(), Some("other.test/run:v3"));
    assert_eq!(label.run_image.mirrors, Some(Vec::new()));
    assert_eq!(
        label.stack.unwrap().run_image.image.as_deref(),
        Some("other.test/run:v3")
    );
}

#[test]
fn at_platform_0_11_an_unlisted_run_image_is_fine_and_the_names_stay() {
    let (_dir, store) = fixture(&[], "0.11");
    put(
        &store,
        "other.test/run:v3",
        &[b"os v3"],
        &[("io.buildpacks.stack.id", "io.test.stack")],
        &[],
    );
    let rebaser = Rebaser::new(config("0.11", Some("other.test/run:v3"), false), &store);
    rebaser
        .rebase(&RebaseRequest::in_place(reference(
            "registry.test/app:latest",
        )))
        .unwrap();
    let after = read(&store, "registry.test/app:latest");
    let label = metadata(&after);
    assert_eq!(
        label.run_image.image.as_deref(),
        Some(format!("{RUN}:v2").as_str())
    );
    assert_eq!(label.run_image.top_layer, Digest::of(b"os v3").to_string());
    assert_eq!(
        after.label("io.buildpacks.base.distro.name"),
        Some("busybox"),
        "base.* not synced before 0.12"
    );
}

#[test]
fn no_run_image_anywhere_is_a_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    put(&store, "registry.test/app:latest", &[b"x"], &[], &[]);
    let rebaser = Rebaser::new(config("0.12", None, false), &store);
    let err = rebaser
        .rebase(&RebaseRequest::in_place(reference(
            "registry.test/app:latest",
        )))
        .unwrap_err();
    assert_eq!(err.kind(), cnb_api::ExitKind::InvalidArgs);
    assert_eq!(err.action(), "parse arguments");
}

#[test]
fn fleet_mode_rebases_each_image_and_leaves_an_invalid_one_untouched() {
    let (_dir, store) = fixture(&[], "0.12");
    let mut names = Vec::new();
    for n in 0..6 {
        let name = format!("registry.test/app{n}:latest");
        copy_app(&store, &reference(&name), |config| {
            config.set_label("n", &n.to_string());
            if n == 3 {
                config.set_label("io.buildpacks.rebasable", "false");
            }
        });
        names.push(name);
    }
    names.push("registry.test/missing:latest".to_owned());
    let before3 = read(&store, "registry.test/app3:latest").digest();
    let rebaser = Rebaser::new(config("0.12", None, false), &store);
    let results = rebaser.rebase_fleet(&names);
    let failed: Vec<&FleetResult> = results.iter().filter(|r| !r.succeeded()).collect();
    assert_eq!(failed.len(), 2, "{results:#?}");
    assert_eq!(failed[0].image, "registry.test/app3:latest");
    assert_eq!(
        failed[0].old_digest.as_deref(),
        Some(before3.to_string().as_str())
    );
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("not marked as rebasable")
    );
    assert_eq!(read(&store, "registry.test/app3:latest").digest(), before3);
    assert_eq!(failed[1].image, "registry.test/missing:latest");
    assert_eq!(failed[1].old_digest, None);
    for (n, result) in results
        .iter()
        .enumerate()
        .filter(|(n, _)| *n < 6 && *n != 3)
    {
        let after = read(&store, &format!("registry.test/app{n}:latest"));
        assert_eq!(
            result.new_digest.as_deref(),
            Some(after.digest().to_string().as_str())
        );
        assert_eq!(after.label("n"), Some(n.to_string().as_str()));
        assert_eq!(after.config.rootfs.diff_ids[0], Digest::of(b"os v2"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet-report.jsonl");
    write_fleet_report(&path, &results).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["image"], "registry.test/app0:latest");
    assert!(
        lines[0]["new-digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .starts_with("failed to rebase: ")
    );
    assert!(lines[3].get("new-digest").is_none());
}

#[test]
fn the_recorded_run_images_are_listed_for_credential_resolution() {
    let (_dir, store) = fixture(&[], "0.12");
    let api = check_platform_api(Some("0.12")).unwrap();
    let names = cnb_rebaser::recorded_run_images(
        &store,
        api,
        &reference("registry.test/app:latest"),
        &amd64(),
    );
    assert_eq!(names, [format!("{RUN}:v2"), format!("{MIRROR}:v2")]);
    let missing = reference("registry.test/none:latest");
    assert!(cnb_rebaser::recorded_run_images(&store, api, &missing, &amd64()).is_empty());
}
