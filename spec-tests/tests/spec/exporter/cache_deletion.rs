//! The cache image a new one replaces: deleted below Platform API 0.13 (Go's
//! `deletionEnabled`, so that kpack's stale cache manifests do not pile up), kept from 0.13;
//! a registry that refuses deletion only earns a warning.

use std::fs;

use cnb_image::{Digest, ImageStore};
use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

use super::fixture::World;
use crate::image_support::reference;

/// Exports the app with `-cache-image <host>/test/cache` at `api` (through `host`), changing
/// the cache-only layer first so that the new cache image differs; returns the run and the
/// cache image's digest afterwards.
fn export_with_cache(world: &World, host: &str, api: &str, contents: &str) -> (Finished, Digest) {
    fs::write(
        world.layers().join("second/cache-only/blob"),
        format!("{contents}\n"),
    )
    .expect("change the cache-only layer");
    let _ = fs::remove_file(world.layers().join("report.toml"));
    let finished = Finished::run(
        world
            .exporter(api)
            .arg(format!("-cache-image={host}/test/cache"))
            .arg(format!("{host}/test/app:latest")),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let cache = world.image(&world.name("test/cache"));
    (finished, cache.digest())
}

/// Whether the registry still serves the manifest `digest` of `test/cache`.
fn cache_manifest_exists(world: &World, digest: &Digest) -> bool {
    let pinned = reference(&format!("{}/test/cache@{digest}", world.registry.host()));
    world
        .store
        .read_manifest_raw(&pinned, None)
        .expect("registry answers")
        .is_some()
}

#[test]
fn below_platform_api_0_13_the_replaced_cache_image_is_deleted() {
    let world = World::start();
    let host = world.registry.host();
    let (_, first) = export_with_cache(&world, &host, "0.12", "one");
    let (_, second) = export_with_cache(&world, &host, "0.12", "two");
    assert_ne!(first, second);
    assert!(
        !cache_manifest_exists(&world, &first),
        "replaced cache kept"
    );
    assert!(cache_manifest_exists(&world, &second));
    // Unchanged contents give the same cache image, which is not deleted.
    let (_, again) = export_with_cache(&world, &host, "0.12", "two");
    assert_eq!(again, second);
    assert!(cache_manifest_exists(&world, &second));
}

#[test]
fn from_platform_api_0_13_the_replaced_cache_image_is_kept() {
    let world = World::start();
    let host = world.registry.host();
    let (_, first) = export_with_cache(&world, &host, "0.13", "one");
    let (_, second) = export_with_cache(&world, &host, "0.13", "two");
    assert_ne!(first, second);
    assert!(
        cache_manifest_exists(&world, &first),
        "replaced cache deleted"
    );
    assert!(cache_manifest_exists(&world, &second));
}

#[test]
fn a_registry_that_refuses_deletion_only_earns_a_warning() {
    let world = World::start();
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    proxy.inject(Fault {
        method: "DELETE".into(),
        path_contains: "/manifests/".into(),
        kind: FaultKind::Status(405),
        times: 1,
    });
    let host = proxy.host();
    let (_, first) = export_with_cache(&world, &host, "0.12", "one");
    let (finished, second) = export_with_cache(&world, &host, "0.12", "two");
    assert!(
        finished
            .stderr
            .contains("Warning: Unable to delete cache image: deleting "),
        "{finished}"
    );
    assert!(finished.stderr.contains("405"), "{finished}");
    assert!(cache_manifest_exists(&world, &first));
    assert!(cache_manifest_exists(&world, &second));
    assert!(world.layers().join("report.toml").is_file());
}
