use cnb_files::labels::LabelRunImage;
use cnb_image::{Manifest, MediaType, ResolvedManifest};

use cnb_image::{Descriptor, Digest};

use super::*;

fn label(image: Option<&str>, mirrors: &[&str], stack: Option<&str>) -> LifecycleMetadata {
    LifecycleMetadata {
        run_image: LabelRunImage {
            image: image.map(Into::into),
            mirrors: Some(mirrors.iter().map(|m| (*m).to_owned()).collect()),
            ..LabelRunImage::default()
        },
        stack: stack.map(|image| LabelStack {
            run_image: RunImageForExport {
                image: Some(image.into()),
                mirrors: None,
            },
        }),
        ..LifecycleMetadata::default()
    }
}

#[test]
fn names_compare_with_tags_ignoring_digests_and_docker_hub_spelling() {
    let metadata = label(Some("r.test/run:v1"), &["m.test/run"], Some("busybox"));
    assert!(names(&metadata, "r.test/run:v1"));
    assert!(!names(&metadata, "r.test/run:v2"), "Go compares tags too");
    let digest = Digest::of(b"x");
    assert!(names(&metadata, &format!("r.test/run:v1@{digest}")));
    assert!(names(&metadata, &format!("m.test/run@{digest}")), "latest");
    assert!(names(&metadata, "m.test/run:latest"));
    assert!(names(&metadata, "index.docker.io/library/busybox:latest"));
    assert!(!names(&metadata, "busybox:1"));
    assert!(!names(&metadata, "r.test/other:v1"));
    assert!(!names(&label(None, &[], None), "r.test/run"));
}

#[test]
fn existing_metadata_is_printed_from_run_image_then_stack() {
    let both = label(Some("r.test/run"), &[], Some("s.test/run"));
    assert_eq!(
        existing_run_image(&both),
        r#"{"topLayer":"","reference":"","image":"r.test/run","mirrors":[]}"#
    );
    assert_eq!(
        existing_run_image(&label(None, &[], Some("s.test/run"))),
        r#"{"image":"s.test/run"}"#
    );
    assert_eq!(existing_run_image(&label(None, &[], None)), "not found");
}

fn app_with_env(env: &[&str]) -> Image {
    let manifest = Manifest::new(
        MediaType::OciManifest,
        Descriptor::new(MediaType::OciConfig, Digest::of(b"c"), 1),
        Vec::new(),
    );
    let mut config = cnb_image::ImageConfig::default();
    config.config.env = Some(env.iter().map(|e| (*e).to_owned()).collect());
    Image {
        manifest: ResolvedManifest {
            reference: ImageRef::parse("r.test/app").unwrap(),
            digest: Digest::of(b"m"),
            identity: cnb_image::ImageIdentity::Manifest(Digest::of(b"m")),
            bytes: Vec::new(),
            manifest,
            index: None,
        },
        config,
    }
}

#[test]
fn the_apps_platform_api_comes_from_its_env_and_may_be_unsupported_here() {
    let source = ImageRef::parse("r.test/app").unwrap();
    let api = |env: &[&str]| app_platform_api(&app_with_env(env), &source);
    assert_eq!(api(&[]).unwrap(), None);
    assert_eq!(api(&["CNB_PLATFORM_API="]).unwrap(), None);
    let old = api(&["CNB_PLATFORM_API=0.3"]).unwrap().unwrap();
    assert!(!old.rebase_checks_targets());
    assert!(
        api(&["CNB_PLATFORM_API=0.12"])
            .unwrap()
            .unwrap()
            .rebase_checks_targets()
    );
    let err = api(&["CNB_PLATFORM_API=latest"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "app image r.test/app:latest records platform API 'latest', which is not a version"
    );
}
