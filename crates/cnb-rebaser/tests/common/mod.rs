//! Shared by the OCI layout suites: a layout root with run images v1 and v2 (and a mirror of
//! v2) and an app on v1, plus small readers and writers.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

use std::num::NonZeroUsize;

use cnb_api::check_platform_api;
use cnb_files::JsonLabel;
use cnb_files::labels::{LIFECYCLE_METADATA, LifecycleMetadata};
use cnb_image::{Digest, Image, ImageConfig, ImageRef, ImageStore, Manifest, MediaType, Platform};
use cnb_layout::LayoutStore;
use cnb_rebaser::RebaserConfig;

pub(crate) fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

pub(crate) fn config(api: &str, run_image: Option<&str>, force: bool) -> RebaserConfig {
    RebaserConfig {
        platform_api: check_platform_api(Some(api)).unwrap(),
        run_image: run_image.map(Into::into),
        force,
        platform: amd64(),
        parallelism: NonZeroUsize::new(4).unwrap(),
    }
}

pub(crate) fn reference(name: &str) -> ImageRef {
    ImageRef::parse(name).unwrap()
}

/// Writes an image whose layers are the given bytes (stored uncompressed, so the diffID is
/// the digest) with `labels` and `env`.
pub(crate) fn put(
    store: &LayoutStore,
    name: &str,
    layers: &[&[u8]],
    labels: &[(&str, &str)],
    env: &[&str],
) {
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
pub(crate) fn copy_app(
    store: &LayoutStore,
    target: &ImageRef,
    edit: impl FnOnce(&mut ImageConfig),
) {
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

pub(crate) fn read(store: &LayoutStore, name: &str) -> Image {
    store
        .read_image(&reference(name), &amd64())
        .unwrap()
        .unwrap()
}

pub(crate) fn metadata(image: &Image) -> LifecycleMetadata {
    LifecycleMetadata::from_label(image.label(LIFECYCLE_METADATA).unwrap()).unwrap()
}

pub(crate) const RUN: &str = "registry.test/run";
pub(crate) const MIRROR: &str = "mirror.test/run";

/// A run image v1 and v2 under `RUN` (and v2 also under `MIRROR`), and an app on v1.
pub(crate) fn fixture(
    app_labels: &[(&str, &str)],
    app_api: &str,
) -> (tempfile::TempDir, LayoutStore) {
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
