//! The analyzer over an OCI layout in a temp dir: previous image metadata, run image identity
//! and target, and what is ignored.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::path::Path;

use cnb_analyzer::{Analyzer, AnalyzerConfig, Error};
use cnb_api::check_platform_api;
use cnb_files::JsonLabel;
use cnb_files::labels::LifecycleMetadata;
use cnb_image::{
    Digest, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest, MediaType, Platform,
};
use cnb_layout::LayoutStore;

fn platform() -> Platform {
    Platform {
        architecture: "amd64".to_owned(),
        os: "linux".to_owned(),
        variant: None,
    }
}

fn write_image(store: &LayoutStore, name: &str, config: &ImageConfig) -> Digest {
    let reference = ImageRef::parse(name).unwrap();
    let layer = store
        .write_blob(&reference, MediaType::OciLayer, &[0; 1024])
        .unwrap();
    let mut config = config.clone();
    config.rootfs.diff_ids = vec![layer.digest];
    let config = store
        .write_config(&reference, MediaType::OciConfig, &config)
        .unwrap();
    let manifest = Manifest::new(MediaType::OciManifest, config, vec![layer]);
    *store.write_image(&[reference], &manifest).unwrap().digest()
}

fn run_config() -> ImageConfig {
    let mut config = ImageConfig {
        os: "linux".to_owned(),
        architecture: "amd64".to_owned(),
        ..ImageConfig::default()
    };
    config.set_label("io.buildpacks.base.distro.name", "ubuntu");
    config.set_label("io.buildpacks.base.distro.version", "24.04");
    config
}

fn config(dir: &Path, api: &str) -> AnalyzerConfig {
    AnalyzerConfig {
        platform_api: check_platform_api(Some(api)).unwrap(),
        analyzed_path: dir.join("layers/analyzed.toml"),
        output_image: ImageRef::parse("example.com/app").unwrap(),
        additional_tags: Vec::new(),
        previous_image: Some(ImageRef::parse("example.com/app").unwrap()),
        run_image_name: "example.com/run".to_owned(),
        run_image: ImageRef::parse("example.com/run").unwrap(),
        cache_image: None,
        skip_layers: false,
        check_access: false,
        platform: platform(),
        sbom_root: dir.to_owned(),
    }
}

fn name(reference: &ImageRef, identity: &ImageIdentity) -> String {
    identity.name(reference)
}

#[test]
fn records_previous_metadata_run_image_digest_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    let run_digest = write_image(&store, "example.com/run", &run_config());
    let mut app = run_config();
    let label = r#"{"buildpacks":[{"key":"bp","version":"1","layers":{"l":{"sha":"sha256:aa","launch":true}}}],"runImage":{"topLayer":"x","reference":"y"}}"#;
    app.set_label(LifecycleMetadata::LABEL, label);
    let app_digest = write_image(&store, "example.com/app", &app);

    let analyzed = Analyzer::new(config(dir.path(), "0.15"), &store, &name)
        .run()
        .unwrap();
    assert_eq!(
        analyzed.previous_image_ref(),
        format!("example.com/app@{app_digest}")
    );
    assert_eq!(analyzed.metadata.buildpacks[0].key, "bp");
    let run = analyzed.run_image.unwrap();
    assert_eq!(run.reference, format!("example.com/run@{run_digest}"));
    assert_eq!(run.image.as_deref(), Some("example.com/run"));
    let target = run.target.unwrap();
    assert_eq!(
        (target.os.as_str(), target.arch.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(target.distro.unwrap().version, "24.04");
    assert!(dir.path().join("layers/analyzed.toml").is_file());
}

#[test]
fn no_previous_image_and_an_invalid_label_both_give_an_empty_reference() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    write_image(&store, "example.com/run", &run_config());
    let analyzed = Analyzer::new(config(dir.path(), "0.12"), &store, &name)
        .run()
        .unwrap();
    assert_eq!(analyzed.previous_image_ref(), "");

    let mut app = run_config();
    app.set_label(LifecycleMetadata::LABEL, "{not json");
    write_image(&store, "example.com/app", &app);
    let analyzed = Analyzer::new(config(dir.path(), "0.12"), &store, &name)
        .run()
        .unwrap();
    assert_eq!(analyzed.previous_image_ref(), "");
    assert!(analyzed.metadata.buildpacks.is_empty());
}

#[test]
fn before_platform_0_12_only_the_run_image_reference_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    let digest = write_image(&store, "example.com/run", &run_config());
    let analyzed = Analyzer::new(config(dir.path(), "0.11"), &store, &name)
        .run()
        .unwrap();
    let run = analyzed.run_image.unwrap();
    assert_eq!(run.reference, format!("example.com/run@{digest}"));
    assert_eq!((run.image, run.target), (None, None));
}

#[test]
fn a_run_image_without_os_or_missing_fails_from_platform_0_12() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    let error = Analyzer::new(config(dir.path(), "0.12"), &store, &name)
        .run()
        .unwrap_err();
    assert!(matches!(error, Error::RunImageNotFound { .. }), "{error}");

    write_image(&store, "example.com/run", &ImageConfig::default());
    let error = Analyzer::new(config(dir.path(), "0.12"), &store, &name)
        .run()
        .unwrap_err();
    assert!(matches!(error, Error::RunImageWithoutOs { .. }), "{error}");
    assert_eq!(error.kind(), cnb_api::ExitKind::AnalyzeError);
}

/// Writes a run image for each of `platforms` under `name`, then an index of them (in that
/// order) under the same name; returns each image's manifest digest.
fn write_multi_platform(store: &LayoutStore, name: &str, platforms: &[Platform]) -> Vec<Digest> {
    let reference = ImageRef::parse(name).unwrap();
    let mut entries = Vec::new();
    let mut digests = Vec::new();
    for platform in platforms {
        let config = ImageConfig {
            os: platform.os.clone(),
            architecture: platform.architecture.clone(),
            variant: platform.variant.clone(),
            ..run_config()
        };
        let digest = write_image(store, name, &config);
        let (_, bytes) = store.read_manifest_raw(&reference, None).unwrap().unwrap();
        entries.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": bytes.len(), "platform": platform,
        }));
        digests.push(digest);
    }
    let index = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries,
    });
    store
        .write_manifest(
            &[reference],
            &MediaType::OciIndex,
            &serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    digests
}

fn arm64_v8() -> Platform {
    Platform {
        variant: Some("v8".to_owned()),
        ..Platform::new("linux", "arm64")
    }
}

#[test]
fn a_multi_platform_run_image_gives_the_lifecycles_platform_and_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    let digests = write_multi_platform(&store, "example.com/run", &[platform(), arm64_v8()]);
    for (wanted, digest, arch, variant) in [
        (
            Platform::new("linux", "arm64"),
            digests[1],
            "arm64",
            Some("v8"),
        ),
        (platform(), digests[0], "amd64", None),
    ] {
        let config = AnalyzerConfig {
            platform: wanted,
            ..config(dir.path(), "0.15")
        };
        let analyzed = Analyzer::new(config, &store, &name).run().unwrap();
        let run = analyzed.run_image.unwrap();
        assert_eq!(run.reference, format!("example.com/run@{digest}"));
        let target = run.target.unwrap();
        assert_eq!(target.arch, arch);
        assert_eq!(target.arch_variant.as_deref(), variant);
        assert_eq!(target.distro.unwrap().name, "ubuntu");
    }
}

#[test]
fn no_run_image_for_the_platform_fails_naming_those_on_offer_and_such_a_previous_image_is_ignored()
{
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path().join("images"));
    write_multi_platform(&store, "example.com/run", &[platform(), arm64_v8()]);
    write_multi_platform(&store, "example.com/app", &[platform()]);
    let config = AnalyzerConfig {
        platform: Platform::new("linux", "arm64"),
        ..config(dir.path(), "0.15")
    };
    let analyzed = Analyzer::new(config.clone(), &store, &name).run().unwrap();
    assert_eq!(
        analyzed.previous_image_ref(),
        "",
        "amd64-only previous image"
    );

    let config = AnalyzerConfig {
        platform: Platform::new("linux", "s390x"),
        ..config
    };
    let error = Analyzer::new(config, &store, &name).run().unwrap_err();
    assert_eq!(error.kind(), cnb_api::ExitKind::AnalyzeError);
    assert!(
        cnb_api::one_line(&error).ends_with(
            "example.com/run:latest has no image for platform linux/s390x (it offers linux/amd64, linux/arm64/v8)"
        ),
        "{}",
        cnb_api::one_line(&error)
    );
}
