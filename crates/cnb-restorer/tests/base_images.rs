//! What the restorer does for image extensions, over OCI layouts standing in for the registry:
//! `-build-image` and an extended run image are saved whole under `<kaniko>/cache/base`, and
//! a run image extensions switched to is resolved to a digest reference and a target.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use cnb_api::check_platform_api;
use cnb_image::{
    Digest, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest, MediaType, Platform,
};
use cnb_layout::LayoutStore;
use cnb_restorer::{Restorer, RestorerConfig, RestorerStores};
use serde_json::Value;

const BUILD_IMAGE: &str = "127.0.0.1:5000/builder:latest";
const RUN_IMAGE: &str = "127.0.0.1:5000/run:latest";
const GROUP: &str = "[[group]]\nid = \"bp\"\nversion = \"1\"\napi = \"0.12\"\n";
const WITH_EXTENSION: &str =
    "[[group-extensions]]\nid = \"ext\"\nversion = \"1\"\napi = \"0.10\"\n";

struct Fixture {
    dir: tempfile::TempDir,
    registry: LayoutStore,
}

impl Fixture {
    fn new(group: &str, analyzed: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let layers = dir.path().join("layers");
        fs::create_dir_all(&layers).unwrap();
        fs::write(layers.join("group.toml"), group).unwrap();
        fs::write(layers.join("analyzed.toml"), analyzed).unwrap();
        let registry = LayoutStore::new(dir.path().join("registry"));
        Self { dir, registry }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a two-layer image with a distro label as `reference`; returns its manifest
    /// digest.
    fn image(&self, reference: &str, distro: &str) -> Digest {
        let target = ImageRef::parse(reference).unwrap();
        let mut layers = Vec::new();
        let mut config = ImageConfig {
            os: "linux".into(),
            architecture: "amd64".into(),
            ..ImageConfig::default()
        };
        for bytes in [b"first layer".as_slice(), distro.as_bytes()] {
            let mut writer = self
                .registry
                .blob_writer(&target, MediaType::OciLayerGzip)
                .unwrap();
            writer.write_all(bytes).unwrap();
            let layer = writer.finish().unwrap();
            config.rootfs.diff_ids.push(layer.digest);
            layers.push(layer);
        }
        config.set_label("io.buildpacks.base.distro.name", distro);
        let config = self
            .registry
            .write_config(&target, MediaType::OciConfig, &config)
            .unwrap();
        let manifest = Manifest::new(MediaType::OciManifest, config, layers);
        *self
            .registry
            .write_image(&[target], &manifest)
            .unwrap()
            .digest()
    }

    fn restore(&self, api: &str, build_image: Option<&str>) -> Result<(), cnb_restorer::Error> {
        let layers = self.path("layers");
        let config = RestorerConfig {
            platform_api: check_platform_api(Some(api)).unwrap(),
            analyzed_path: layers.join("analyzed.toml"),
            group_path: layers.join("group.toml"),
            run_path: self.path("run.toml"),
            layers_dir: layers,
            skip_layers: false,
            build_image: build_image.map(|name| ImageRef::parse(name).unwrap()),
            check_run_image: false,
            use_layout: false,
            platform: Platform {
                architecture: "amd64".to_owned(),
                os: "linux".to_owned(),
                variant: None,
            },
            extract_root: PathBuf::from("/"),
        };
        let base_images = LayoutStore::base_images(&self.path("kaniko"));
        let name = |reference: &ImageRef, identity: &ImageIdentity| {
            format!("named {reference}@{identity}")
        };
        let stores = RestorerStores {
            registry: &self.registry,
            images: &self.registry,
            name_image: &name,
            base_images: &base_images,
        };
        Restorer::new(config, stores, None).run()
    }

    fn analyzed(&self) -> toml::Table {
        let text = fs::read_to_string(self.path("layers/analyzed.toml")).unwrap();
        toml::from_str(&text).unwrap()
    }

    /// The base layout of `digest`: every blob of the image is there.
    fn assert_saved(&self, digest: Digest) {
        let dir = self.path("kaniko/cache/base").join(digest.hex());
        assert!(dir.join("oci-layout").is_file(), "{}", dir.display());
        let index: Value =
            serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
        let manifests = index["manifests"].as_array().unwrap();
        assert_eq!(manifests.len(), 1);
        assert_eq!(
            manifests[0]["digest"].as_str(),
            Some(digest.to_string().as_str())
        );
        let blob = |digest: &str| {
            dir.join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:"))
        };
        let manifest: Value =
            serde_json::from_slice(&fs::read(blob(&digest.to_string())).unwrap()).unwrap();
        assert!(blob(manifest["config"]["digest"].as_str().unwrap()).is_file());
        for layer in manifest["layers"].as_array().unwrap() {
            assert!(blob(layer["digest"].as_str().unwrap()).is_file());
        }
    }
}

fn run_image(extend: bool) -> String {
    format!(
        "[run-image]\nreference = \"{RUN_IMAGE}\"\nimage = \"{RUN_IMAGE}\"\n{}",
        if extend { "extend = true\n" } else { "" }
    )
}

#[test]
fn the_build_image_is_saved_whole_and_recorded_by_digest() {
    let fixture = Fixture::new(GROUP, &run_image(false));
    let digest = fixture.image(BUILD_IMAGE, "build");
    fixture.restore("0.10", Some(BUILD_IMAGE)).unwrap();
    fixture.assert_saved(digest);
    let analyzed = fixture.analyzed();
    assert_eq!(
        analyzed["build-image"]["reference"].as_str(),
        Some(format!("127.0.0.1:5000/builder@{digest}").as_str())
    );

    // Saving again over the same layout fetches nothing and changes nothing.
    fixture.restore("0.15", Some(BUILD_IMAGE)).unwrap();
    fixture.assert_saved(digest);

    let missing = fixture
        .restore("0.15", Some("127.0.0.1:5000/none:latest"))
        .unwrap_err();
    assert_eq!(missing.kind(), cnb_api::ExitKind::Failed);
    assert!(
        missing.to_string().contains("pull builder image"),
        "{missing}"
    );
}

#[test]
fn a_run_image_to_extend_is_saved_and_its_reference_and_target_refreshed() {
    let fixture = Fixture::new(GROUP, &run_image(true));
    let digest = fixture.image(RUN_IMAGE, "ubuntu");
    fixture.restore("0.11", None).unwrap();
    assert!(
        !fixture.path("kaniko").exists(),
        "not before Platform API 0.12"
    );
    fixture.restore("0.12", None).unwrap();
    fixture.assert_saved(digest);
    let analyzed = fixture.analyzed();
    let run = &analyzed["run-image"];
    assert_eq!(
        run["reference"].as_str(),
        Some(format!("127.0.0.1:5000/run@{digest}").as_str())
    );
    assert_eq!(run["image"].as_str(), Some(RUN_IMAGE));
    assert_eq!(run["extend"].as_bool(), Some(true));
    assert_eq!(run["target"]["os"].as_str(), Some("linux"));
    assert_eq!(run["target"]["distro"]["name"].as_str(), Some("ubuntu"));
}

#[test]
fn a_switched_run_image_is_resolved_only_when_the_group_has_extensions() {
    let group = format!("{GROUP}{WITH_EXTENSION}");
    let fixture = Fixture::new(&group, &run_image(false));
    let digest = fixture.image(RUN_IMAGE, "switched");
    fixture.restore("0.13", None).unwrap();
    assert!(!fixture.path("kaniko").exists(), "resolved, not saved");
    let analyzed = fixture.analyzed();
    let run = &analyzed["run-image"];
    assert_eq!(
        run["reference"].as_str(),
        Some(format!("named {RUN_IMAGE}@{digest}").as_str())
    );
    assert_eq!(run["target"]["distro"]["name"].as_str(), Some("switched"));

    let without = Fixture::new(GROUP, &run_image(false));
    without.image(RUN_IMAGE, "switched");
    without.restore("0.13", None).unwrap();
    assert_eq!(
        without.analyzed()["run-image"]["reference"].as_str(),
        Some(RUN_IMAGE)
    );

    let missing = Fixture::new(&group, &run_image(false));
    let err = missing.restore("0.13", None).unwrap_err();
    assert!(err.to_string().contains("get run image"), "{err}");
}
