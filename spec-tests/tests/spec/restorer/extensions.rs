//! What the restorer does for image extensions (platform.md › restorer; Go
//! `cmd/lifecycle/restorer.go`): `-build-image` and a run image to extend are saved whole, as
//! OCI layouts under `<kaniko-dir>/cache/base/<manifest digest>` (the extender's input), and a
//! run image that extensions switched to is resolved to a digest reference and a target.

use std::fs;
use std::path::Path;

use cnb_image::ImageStore;
use cnb_layout::LayoutStore;
use cnb_testkit::{Lifecycle, RegistryFixture};
use serde_json::Value;

use crate::analyzer::fixtures::{Build, push_run_image, run, store};
use crate::image_support::reference;
use crate::registry_store::amd64;

const GROUP_WITH_EXTENSION: &str = "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n[[group-extensions]]\nid = \"some/ext\"\nversion = \"1.0\"\napi = \"0.10\"\n";

/// `<kaniko>/cache/base/<digest>` holds the image `digest_ref` names: `oci-layout`, an
/// `index.json` with that one manifest, and its config and every layer.
pub(super) fn assert_base_image(kaniko: &Path, digest_ref: &str) {
    let pinned = reference(digest_ref);
    let digest = pinned.digest().expect("a digest reference");
    let dir = kaniko.join("cache/base").join(digest.hex());
    assert!(dir.join("oci-layout").is_file(), "{}", dir.display());
    let index: Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index parses");
    let manifests = index["manifests"].as_array().expect("manifests");
    assert_eq!(manifests.len(), 1, "{index}");
    assert_eq!(
        manifests[0]["digest"].as_str(),
        Some(digest.to_string().as_str())
    );
    let base_images = LayoutStore::base_images(kaniko);
    let image = base_images
        .read_image(&pinned, &amd64())
        .expect("readable")
        .expect("saved");
    for blob in image.manifest.manifest.blobs() {
        assert!(
            base_images
                .has_blob(&pinned, &blob.digest)
                .expect("blob check"),
            "blob {} saved",
            blob.digest
        );
    }
    assert_eq!(image.digest(), *digest);
}

#[test]
fn a_run_image_extensions_switched_to_is_resolved_and_one_they_extend_is_saved() {
    let registry = RegistryFixture::start().expect("registry");
    let switched = registry.reference("test/switched:v1");
    let digest_ref = push_run_image(&store(), &switched);
    for extend in [false, true] {
        let build = Build::new();
        build.write("layers/group.toml", GROUP_WITH_EXTENSION);
        let extend_line = if extend { "extend = true\n" } else { "" };
        build.write(
            "layers/analyzed.toml",
            &format!(
                "[run-image]\nreference = \"{switched}\"\nimage = \"{switched}\"\n{extend_line}"
            ),
        );
        let finished = run(build
            .command("restorer", "0.13")
            .env("CNB_KANIKO_DIR", build.path("kaniko")));
        assert_eq!(finished.code, Some(0), "extend {extend}: {finished}");
        let analyzed = build.analyzed();
        let run_image = &analyzed["run-image"];
        assert_eq!(run_image["reference"].as_str(), Some(digest_ref.as_str()));
        assert_eq!(run_image["image"].as_str(), Some(switched.as_str()));
        assert_eq!(run_image["target"]["os"].as_str(), Some("linux"));
        assert_eq!(run_image["target"]["arch"].as_str(), Some("amd64"));
        assert_eq!(
            run_image["target"]["distro"]["name"].as_str(),
            Some("busybox")
        );
        assert_eq!(run_image["target"]["id"].as_str(), Some("io.test.run"));
        if extend {
            assert_eq!(run_image["extend"].as_bool(), Some(true));
            assert_base_image(&build.path("kaniko"), &digest_ref);
        } else {
            assert!(!build.path("kaniko").exists(), "resolved, not saved");
        }
    }
}

#[test]
fn without_extensions_a_run_image_without_target_is_left_alone() {
    let registry = RegistryFixture::start().expect("registry");
    let image = registry.reference("test/run:v1");
    push_run_image(&store(), &image);
    let build = Build::new();
    build.write(
        "layers/group.toml",
        "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n",
    );
    let analyzed = format!("[run-image]\nreference = \"{image}\"\nimage = \"{image}\"\n");
    build.write("layers/analyzed.toml", &analyzed);
    let finished = run(build
        .command("restorer", "0.13")
        .env("CNB_KANIKO_DIR", build.path("kaniko")));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(
        build.analyzed()["run-image"]["reference"].as_str(),
        Some(image.as_str())
    );
}

#[test]
fn a_build_image_that_cannot_be_pulled_fails_with_1() {
    let registry = RegistryFixture::start().expect("registry");
    let build = Build::new();
    build.write(
        "layers/group.toml",
        "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n",
    );
    build.write("layers/analyzed.toml", "[run-image]\nreference = \"\"\n");
    let missing = registry.reference("test/no-such-builder");
    let finished = run(build
        .command("restorer", "0.10")
        .env("CNB_KANIKO_DIR", build.path("kaniko"))
        .arg(format!("-build-image={missing}")));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished.stderr.contains(&format!(
            "ERROR: failed to restore: pull builder image {missing}"
        )),
        "{finished}"
    );
}

#[test]
fn the_detectors_run_image_switch_is_resolved_by_the_restorer() {
    use crate::detector::fixture::Fixture;
    let registry = RegistryFixture::start().expect("registry");
    let original = registry.reference("test/run:v1");
    let switched = registry.reference("test/switched:v2");
    let store = store();
    let original_ref = push_run_image(&store, &original);
    let switched_ref = push_run_image(&store, &switched);

    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.extension("ext", "1", "0.10", false, true);
    fixture.generates("ext@1", "run.Dockerfile", &format!("FROM {switched}\n"));
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n\
         [[order-extensions]]\n[[order-extensions.group]]\nid = \"ext\"\nversion = \"1\"\n",
    );
    fixture.analyzed(&format!(
        "[run-image]\nreference = \"{original_ref}\"\nimage = \"{original}\"\n\
         [run-image.target]\nos = \"linux\"\narch = \"amd64\"\n"
    ));
    let detected = fixture.run("0.13", &[]);
    assert_eq!(detected.code, Some(0), "{detected}");
    let analyzed = fixture.analyzed_toml();
    assert_eq!(
        analyzed["run-image"]["reference"].as_str(),
        Some(switched.as_str()),
        "the detector writes the FROM text"
    );

    let finished = run(Lifecycle::installed()
        .command("restorer")
        .env("CNB_PLATFORM_API", "0.13")
        .env("CNB_KANIKO_DIR", fixture.dir.join("kaniko"))
        .arg(format!("-layers={}", fixture.layers.display())));
    assert_eq!(finished.code, Some(0), "{finished}");
    let analyzed = fixture.analyzed_toml();
    let run_image = &analyzed["run-image"];
    assert_eq!(run_image["reference"].as_str(), Some(switched_ref.as_str()));
    assert_eq!(run_image["image"].as_str(), Some(switched.as_str()));
    assert_eq!(
        run_image["target"]["distro"]["version"].as_str(),
        Some("1.35.0")
    );
}
