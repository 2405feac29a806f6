//! The cache half of the export (spec-matrix.md §13): `cache=true` layers with contents go
//! to the volume or image cache in Go's formats, unchanged ones are reused, and a cache that
//! cannot be written is a warning, never a failed export; a cache that cannot be opened fails
//! the phase before the export, as in Go.

use std::fs;

use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};
use serde_json::Value;

use super::fixture::World;

const CACHE_LABEL: &str = "io.buildpacks.lifecycle.cache.metadata";

fn cached_layers(metadata: &Value) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for buildpack in metadata["buildpacks"].as_array().expect("buildpacks") {
        for (name, layer) in buildpack["layers"].as_object().expect("layers") {
            assert_eq!(layer["cache"], true, "{metadata}");
            names.push((
                format!("{}:{name}", buildpack["key"].as_str().expect("key")),
                layer["sha"].as_str().expect("sha").to_owned(),
            ));
        }
    }
    names
}

#[test]
fn cache_layers_go_to_the_volume_cache_and_are_reused_next_time() {
    let world = World::start();
    let cache = world.dir.path().join("cache");
    fs::create_dir(&cache).expect("mkdir cache");
    let cache_arg = format!("-cache-dir={}", cache.display());
    let app = world.name("test/app:latest");
    let finished = world.export(&app, &[&cache_arg]);
    assert!(
        finished
            .stdout
            .contains("Adding cache layer 'test/first:cached'"),
        "{finished}"
    );
    let committed = cache.join("committed");
    let metadata: Value =
        serde_json::from_slice(&fs::read(committed.join(CACHE_LABEL)).expect("cache metadata"))
            .expect("json");
    let layers = cached_layers(&metadata);
    let names: Vec<&str> = layers.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["test/first:cached", "second:cache-only"]);
    for (_, sha) in &layers {
        assert!(committed.join(format!("{sha}.tar")).is_file(), "{sha}");
    }
    // The launch+cache layer is the same tar in the image and in the cache.
    let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
    assert_eq!(
        label["buildpacks"][0]["layers"]["cached"]["sha"],
        layers[0].1.as_str()
    );

    let finished = world.export(&app, &[&cache_arg]);
    assert!(
        finished
            .stdout
            .contains("Reusing cache layer 'test/first:cached'"),
        "{finished}"
    );
}

#[test]
fn with_parallel_the_image_and_the_cache_image_are_both_pushed() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let cache = world.name("test/cache:latest");
    world.export(&app, &["-parallel", &format!("-cache-image={cache}")]);
    assert!(world.exists(&app));
    let image = world.image(&cache);
    let metadata: Value =
        serde_json::from_str(image.label(CACHE_LABEL).expect("cache label")).expect("json");
    let layers = cached_layers(&metadata);
    assert_eq!(layers.len(), 2, "{metadata}");
    let diff_ids: Vec<String> = image
        .config
        .rootfs
        .diff_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    for (_, sha) in &layers {
        assert!(diff_ids.contains(sha), "{sha} in {diff_ids:?}");
    }
}

#[test]
fn a_cache_dir_that_is_not_a_directory_fails_before_any_export_work() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let cache = world.dir.path().join("cache-file");
    fs::write(&cache, "not a directory").expect("write");
    let finished = Finished::run(
        world
            .exporter("0.15")
            .args([&format!("-cache-dir={}", cache.display()), &app]),
    );
    // Go: `failed to create volume cache: …`, exit 1, before the export.
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished
            .stderr
            .contains("ERROR: failed to create volume cache: "),
        "{finished}"
    );
    assert!(!finished.stdout.contains("Adding layer"), "{finished}");
    assert!(!world.exists(&app));
    assert!(!world.layers().join("report.toml").exists());
}

#[test]
fn a_cache_that_cannot_be_written_is_only_a_warning() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let cache = format!("{}/test/cache:latest", proxy.host());
    proxy.inject(Fault {
        method: "PUT".to_owned(),
        path_contains: "/test/cache/manifests/".to_owned(),
        kind: FaultKind::Status(500),
        times: 1000,
    });
    let finished = Finished::run(
        world
            .exporter("0.15")
            .args([&format!("-cache-image={cache}"), &app]),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished.stderr.contains("Failed to export cache"),
        "{finished}"
    );
    assert!(world.exists(&app));
    assert!(!world.exists(&world.name("test/cache:latest")));
    assert!(world.layers().join("report.toml").is_file());
}
