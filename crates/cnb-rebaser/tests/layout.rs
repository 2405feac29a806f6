//! The rebaser end to end over OCI layout directories (cnb-layout), in temp dirs: the swap,
//! the label updates, mirror choice, validation leaving images untouched, bad inputs.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

mod common;

use cnb_image::Digest;
use cnb_layout::LayoutStore;
use cnb_rebaser::{Error, RebaseRequest, Rebaser};
use common::{MIRROR, RUN, config, copy_app, fixture, metadata, put, read, reference};
use pretty_assertions::assert_eq;

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
    assert_eq!(rebased.old_image, before.identity());
    assert_eq!(rebased.run_image, format!("{RUN}:v2"));
    let after = read(&store, "registry.test/app:latest");
    assert_eq!(after.identity(), rebased.new_image);
    assert_eq!(
        read(&store, "registry.test/app:other").identity(),
        rebased.new_image
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
        text.contains(&format!("digest = \"{}\"", rebased.new_image)),
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
fn no_run_image_anywhere_fails_to_set_the_app_image() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    put(&store, "registry.test/app:latest", &[b"x"], &[], &[]);
    let rebaser = Rebaser::new(config("0.12", None, false), &store);
    let err = rebaser
        .rebase(&RebaseRequest::in_place(reference(
            "registry.test/app:latest",
        )))
        .unwrap_err();
    // Go wraps it in "set app image" and exits 72 (exit-codes.md §7.1).
    assert_eq!(err.kind(), cnb_api::ExitKind::RebaseError);
    assert_eq!(err.action(), "set app image");
}
