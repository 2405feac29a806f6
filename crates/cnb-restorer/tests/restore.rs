//! The restorer over a real volume cache and `<layers>` in a temp dir: which layers come
//! back, per Platform API, and what happens to altered cache entries.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::fs;
use std::path::{Path, PathBuf};

use cnb_api::check_platform_api;
use cnb_cache::{VolumeCache, VolumeCacheWriter};
use cnb_files::labels::{BuildpackLayers, CacheMetadata, LabelLayer};
use cnb_image::{ImageIdentity, ImageRef, Platform};
use cnb_layout::LayoutStore;
use cnb_restorer::{Restorer, RestorerConfig, RestorerStores};
use cnb_testkit::TarLayer;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(analyzed: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let layers = dir.path().join("layers");
        fs::create_dir_all(&layers).unwrap();
        fs::write(
            layers.join("group.toml"),
            "[[group]]\nid = \"bp\"\nversion = \"1\"\napi = \"0.12\"\n",
        )
        .unwrap();
        fs::write(layers.join("analyzed.toml"), analyzed).unwrap();
        Self { dir }
    }

    fn layers(&self) -> PathBuf {
        self.dir.path().join("layers")
    }

    /// A tar of `<layers>/<bp>/<layer>/file` holding `contents`.
    fn layer_tar(&self, bp: &str, layer: &str, contents: &str) -> Vec<u8> {
        let path = self.layers().join(bp).join(layer).join("file");
        TarLayer::new().file(path, contents).tar()
    }

    /// Commits a cache holding `layers` of buildpack `bp`: (name, tar, launch).
    fn cache(&self, bp: &str, layers: &[(&str, Vec<u8>, bool)]) -> PathBuf {
        let dir = self.dir.path().join("cache");
        let mut writer = VolumeCacheWriter::new(&dir).unwrap();
        let mut buildpack = BuildpackLayers {
            key: bp.to_owned(),
            version: "1".to_owned(),
            ..BuildpackLayers::default()
        };
        for (name, tar, launch) in layers {
            let sha = writer.add_layer(&tar[..]).unwrap();
            buildpack.layers.insert(
                (*name).to_owned(),
                LabelLayer {
                    sha,
                    cache: true,
                    launch: *launch,
                    ..LabelLayer::default()
                },
            );
        }
        let metadata = CacheMetadata {
            buildpacks: vec![buildpack],
            ..CacheMetadata::default()
        };
        writer.commit(&metadata).unwrap();
        dir
    }

    fn restore(&self, api: &str, cache_dir: &Path, skip_layers: bool) {
        let config = RestorerConfig {
            platform_api: check_platform_api(Some(api)).unwrap(),
            layers_dir: self.layers(),
            analyzed_path: self.layers().join("analyzed.toml"),
            group_path: self.layers().join("group.toml"),
            run_path: self.dir.path().join("run.toml"),
            skip_layers,
            build_image: None,
            check_run_image: false,
            use_layout: false,
            platform: Platform {
                architecture: "amd64".to_owned(),
                os: "linux".to_owned(),
                variant: None,
            },
            extract_root: PathBuf::from("/"),
        };
        let store = LayoutStore::new(self.dir.path().join("images"));
        let base_images = LayoutStore::base_images(&self.dir.path().join("kaniko"));
        let cache = VolumeCache::open(cache_dir).unwrap();
        let name =
            |reference: &ImageRef, identity: &ImageIdentity| format!("{reference}@{identity}");
        let stores = RestorerStores {
            registry: &store,
            images: &store,
            name_image: &name,
            base_images: &base_images,
        };
        Restorer::new(config, stores, Some(&cache)).run().unwrap();
    }
}

const NO_PREVIOUS_IMAGE: &str = "[image]\nreference = \"\"\n";

#[test]
fn a_launch_cache_layer_only_in_the_cache_comes_back_from_platform_0_14() {
    for (api, restored) in [("0.13", false), ("0.14", true), ("0.15", true)] {
        let fixture = Fixture::new(NO_PREVIOUS_IMAGE);
        let tar = fixture.layer_tar("bp", "deps", "deps");
        let cache = fixture.cache("bp", &[("deps", tar, true)]);
        fixture.restore(api, &cache, false);
        let bp = fixture.layers().join("bp");
        assert_eq!(bp.join("deps.toml").is_file(), restored, "P{api}");
        assert_eq!(bp.join("deps/file").is_file(), restored, "P{api}");
    }
}

#[test]
fn a_cache_entry_whose_bytes_changed_is_skipped_and_its_layer_removed() {
    let fixture = Fixture::new(NO_PREVIOUS_IMAGE);
    let good = fixture.layer_tar("bp", "good", "good");
    let altered = fixture.layer_tar("bp", "altered", "same");
    let cache = fixture.cache("bp", &[("good", good, false), ("altered", altered, false)]);
    // Same length, other bytes: the tar extracts but no longer hashes to its diffID.
    let replacement = fixture.layer_tar("bp", "altered", "diff");
    for entry in fs::read_dir(cache.join("committed")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let is_tar = path.extension().is_some_and(|extension| extension == "tar");
        if is_tar && bytes.windows(7).any(|window| window == b"altered") {
            fs::write(&path, &replacement).unwrap();
        }
    }
    fixture.restore("0.15", &cache, false);
    let bp = fixture.layers().join("bp");
    assert!(bp.join("good/file").is_file());
    assert!(!bp.join("altered.toml").exists());
    assert!(!bp.join("altered").exists());
}

#[test]
fn skip_layers_leaves_the_cache_alone() {
    let fixture = Fixture::new(NO_PREVIOUS_IMAGE);
    let tar = fixture.layer_tar("bp", "deps", "deps");
    let cache = fixture.cache("bp", &[("deps", tar, false)]);
    fixture.restore("0.15", &cache, true);
    assert!(!fixture.layers().join("bp").exists());
}

#[test]
fn layers_of_buildpacks_outside_the_group_are_not_restored() {
    let fixture = Fixture::new(NO_PREVIOUS_IMAGE);
    let tar = fixture.layer_tar("other", "deps", "deps");
    let cache = fixture.cache("other", &[("deps", tar, false)]);
    fixture.restore("0.15", &cache, false);
    assert!(!fixture.layers().join("other").exists());
}
