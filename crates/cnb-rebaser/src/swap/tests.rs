use cnb_image::{Digest, ImageRef, Manifest, MediaType, ResolvedManifest};

use super::*;

fn layer(n: u8) -> (Descriptor, Digest) {
    (
        Descriptor::new(MediaType::OciLayerGzip, Digest::of(&[n, 0]), 10),
        Digest::of(&[n]),
    )
}

fn history(created_by: &str, empty_layer: bool) -> History {
    History {
        created_by: Some(created_by.into()),
        empty_layer,
        ..History::default()
    }
}

fn image(name: &str, layers: &[u8], history: Vec<History>, labels: &[(&str, &str)]) -> Image {
    let (descriptors, ids): (Vec<_>, Vec<_>) = layers.iter().map(|n| layer(*n)).unzip();
    let config_descriptor = Descriptor::new(MediaType::OciConfig, Digest::of(name.as_bytes()), 1);
    let manifest = Manifest::new(MediaType::OciManifest, config_descriptor, descriptors);
    let mut config = ImageConfig {
        os: "linux".into(),
        architecture: "amd64".into(),
        history,
        ..ImageConfig::default()
    };
    config.rootfs.diff_ids = ids;
    for (key, value) in labels {
        config.set_label(key, value);
    }
    let reference = ImageRef::parse(name).unwrap();
    Image {
        manifest: ResolvedManifest {
            reference: reference.clone(),
            digest: Digest::of(&manifest.to_json()),
            identity: cnb_image::ImageIdentity::Manifest(Digest::of(&manifest.to_json())),
            bytes: manifest.to_json(),
            manifest,
            index: None,
        },
        config,
    }
}

#[test]
fn the_layers_under_the_top_layer_are_replaced_by_the_new_bases() {
    let app = image(
        "r.test/app",
        &[1, 2, 10, 11],
        vec![
            history("old base 1", false),
            history("old base 2", false),
            history("old config", true),
            history("app 1", false),
            history("app 2", false),
        ],
        &[],
    );
    let mut base = image(
        "r.test/run:v2",
        &[5, 6, 7],
        vec![
            history("new 1", false),
            history("new 2", false),
            history("new 3", false),
        ],
        &[],
    );
    base.config.architecture = "arm64".into();
    base.config
        .other
        .insert(OS_VERSION.into(), serde_json::json!("10"));
    let swapped = swap_base(&app, &base, &layer(2).1.to_string()).unwrap();
    let ids: Vec<_> = [5, 6, 7, 10, 11].iter().map(|n| layer(*n).1).collect();
    assert_eq!(swapped.config.rootfs.diff_ids, ids);
    let digests: Vec<_> = swapped.layers.iter().map(|l| l.digest).collect();
    let expected: Vec<_> = [5, 6, 7, 10, 11]
        .iter()
        .map(|n| layer(*n).0.digest)
        .collect();
    assert_eq!(digests, expected);
    assert_eq!(swapped.config.architecture, "arm64");
    assert_eq!(swapped.config.other[OS_VERSION], "10");
    let steps: Vec<_> = swapped
        .config
        .history
        .iter()
        .map(|h| h.created_by.clone().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["new 1", "new 2", "new 3", "old config", "app 1", "app 2"]
    );
}

#[test]
fn history_that_does_not_line_up_is_dropped() {
    let app = image(
        "r.test/app",
        &[1, 10],
        vec![history("only one", false)],
        &[],
    );
    let base = image("r.test/run", &[5], vec![], &[]);
    let swapped = swap_base(&app, &base, &layer(1).1.to_string()).unwrap();
    assert!(swapped.config.history.is_empty());
    assert_eq!(swapped.layers.len(), 2);
}

#[test]
fn a_top_layer_the_app_does_not_have_is_an_error() {
    let app = image("r.test/app", &[1, 10], vec![], &[]);
    let base = image("r.test/run", &[5], vec![], &[]);
    let err = swap_base(&app, &base, "sha256:nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        "top layer 'sha256:nope' of the run image not found in r.test/app:latest"
    );
    let empty = image("r.test/run", &[], vec![], &[]);
    let err = swap_base(&app, &empty, &layer(1).1.to_string()).unwrap_err();
    assert!(matches!(err, Error::EmptyRunImage { .. }), "{err}");
}

#[test]
fn stack_and_base_labels_come_from_the_new_base() {
    let mut config = ImageConfig::default();
    config.set_label("io.buildpacks.stack.id", "old");
    config.set_label("io.buildpacks.stack.gone", "x");
    config.set_label("io.buildpacks.base.distro.name", "old");
    config.set_label("io.buildpacks.rebasable", "true");
    config.set_label("app", "kept");
    let mut base = ImageConfig::default();
    base.set_label("io.buildpacks.stack.id", "new");
    base.set_label("io.buildpacks.base.distro.name", "new");
    base.set_label("io.buildpacks.rebasable", "false");
    base.set_label("unrelated", "not copied");
    let mut stack_only = config.clone();
    sync_labels(&mut config, &base, true);
    assert_eq!(config.label("io.buildpacks.stack.id"), Some("new"));
    assert_eq!(config.label("io.buildpacks.stack.gone"), None);
    assert_eq!(config.label("io.buildpacks.base.distro.name"), Some("new"));
    assert_eq!(config.label("io.buildpacks.rebasable"), Some("true"));
    assert_eq!(config.label("app"), Some("kept"));
    assert_eq!(config.label("unrelated"), None);
    sync_labels(&mut stack_only, &base, false);
    assert_eq!(
        stack_only.label("io.buildpacks.base.distro.name"),
        Some("old")
    );
    assert_eq!(stack_only.label("io.buildpacks.stack.id"), Some("new"));
}
