//! The restorer with a cache image on a hostile registry (see `hostile.rs`): a cache image
//! whose manifest cannot be fetched fails with 1 ("failed to create image cache", as Go) and
//! restores nothing; cached layers whose bytes do not match their digest are skipped with a
//! warning each (Go warns on layer read errors) and removed.

use std::fs;
use std::process::Command;

use cnb_testkit::{FaultKind, RegistryFixture, RegistryProxy};

use super::API;
use super::matrix::{Cache, Matrix};
use cnb_image::ImageStore;

use crate::analyzer::fixtures::{run, store};
use crate::hostile::{
    PATIENCE, PEAK_RSS_KIB, always, failing_token_service, flood_manifests, the_error,
    with_peak_rss,
};
use crate::image_support::reference;
use crate::registry_store::amd64;

/// The restore matrix with its cache image in a registry, a hostile proxy in front.
struct Scene {
    registry: RegistryFixture,
    proxy: RegistryProxy,
    matrix: Matrix,
}

impl Scene {
    fn new() -> Self {
        let registry = RegistryFixture::start().expect("registry");
        let matrix = Matrix::new(Cache::Image(registry.reference("test/cache")));
        let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
        Self {
            registry,
            proxy,
            matrix,
        }
    }

    /// The restorer reading the cache image through the proxy.
    fn restorer(&self) -> Command {
        let mut command = self.matrix.build.command("restorer", API);
        command
            .env("CNB_REGISTRY_TIMEOUT", PATIENCE)
            .arg("-cache-image")
            .arg(format!("{}/test/cache", self.proxy.host()));
        command
    }

    /// Whether any layer of `some/bp` was restored.
    fn restored_anything(&self) -> bool {
        let dir = self.matrix.build.layers().join("some_bp");
        fs::read_dir(&dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name() != "store.toml")
        })
    }
}

#[test]
fn a_cache_image_manifest_of_200_mib_fails_with_1_in_bounded_memory_restoring_nothing() {
    let scene = Scene::new();
    flood_manifests(&scene.proxy, "/test/cache/manifests/");
    let (finished, peak) = with_peak_rss(&scene.restorer(), scene.matrix.build.dir.path());
    assert_eq!(finished.code, Some(1), "{finished}");
    let line = the_error(&finished);
    assert!(
        line.starts_with("ERROR: failed to create image cache: ")
            && line.ends_with(": the manifest is larger than 4 MiB"),
        "{line}"
    );
    assert!(peak < PEAK_RSS_KIB, "peak RSS {peak} KiB");
    assert!(!scene.restored_anything(), "{finished}");
}

#[test]
fn a_cache_image_behind_a_failing_token_service_fails_with_1() {
    let scene = Scene::new();
    failing_token_service(&scene.proxy);
    let finished = run(&mut scene.restorer());
    assert_eq!(finished.code, Some(1), "{finished}");
    let line = the_error(&finished);
    assert!(line.contains("the token service answered 500"), "{line}");
    assert!(!scene.restored_anything(), "{finished}");
}

#[test]
fn cached_layers_whose_bytes_differ_from_their_digest_are_skipped_with_a_warning() {
    let scene = Scene::new();
    let image = store()
        .read_image(
            &reference(&scene.registry.reference("test/cache")),
            &amd64(),
        )
        .expect("cache image readable")
        .expect("cache image exists");
    for layer in &image.manifest.manifest.layers {
        scene.proxy.inject(always(
            "GET",
            &format!("/test/cache/blobs/{}", layer.digest),
            FaultKind::Tamper,
        ));
    }
    let finished = run(&mut scene.restorer());
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(!finished.stderr.contains("ERROR: "), "{finished}");
    let dir = scene.matrix.build.layers().join("some_bp");
    for name in ["btt", "btf", "ftt", "ftf"] {
        assert!(
            finished.stderr.contains(&format!(
                "Warning: Skipping restore for layer some/bp:{name}"
            )),
            "{name}: {finished}"
        );
        assert!(!dir.join(name).exists(), "{name}: {finished}");
    }
}
