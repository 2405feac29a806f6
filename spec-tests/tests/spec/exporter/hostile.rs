//! The exporter against a hostile registry (see `hostile.rs`): Go opens the run image, the
//! previous image and the cache image before it exports anything, and fails with 1 when one
//! cannot be fetched; so does ours, with one line, no tag written or moved, no report.toml.

use std::fs;
use std::process::Command;

use cnb_testkit::{FaultKind, Finished, RegistryProxy};

use super::fixture::World;
use crate::hostile::{
    PATIENCE, PEAK_RSS_KIB, always, flood_manifests, silence, the_error, with_peak_rss,
};

/// The exporter's world with a hostile proxy in front of its registry; analyzed.toml names
/// the run image through the proxy.
struct Scene {
    world: World,
    proxy: RegistryProxy,
}

impl Scene {
    fn new() -> Self {
        let world = World::start();
        let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
        let scene = Self { world, proxy };
        scene
            .world
            .write_analyzed(None, &scene.through_proxy(&scene.world.run_digest_ref));
        scene
    }

    /// `name` (on the registry) as reached through the proxy.
    fn through_proxy(&self, name: &str) -> String {
        name.replacen(&self.world.registry.host(), &self.proxy.host(), 1)
    }

    /// The exporter of `<proxy>/test/app:latest` with `extra` arguments.
    fn exporter(&self, extra: &[&str]) -> Command {
        let mut command = self.world.exporter("0.15");
        command
            .env("CNB_REGISTRY_TIMEOUT", PATIENCE)
            .args(extra)
            .arg(format!("{}/test/app:latest", self.proxy.host()));
        command
    }

    /// Expects 1, one line holding `expected`, the tag where it was (`before`) and no
    /// report.toml.
    fn failed(&self, finished: &Finished, expected: &str, before: Option<cnb_image::Digest>) {
        assert_eq!(finished.code, Some(1), "{finished}");
        let line = the_error(finished);
        assert!(line.contains(expected), "{expected:?} not in {line}");
        let app = self.world.name("test/app:latest");
        match before {
            Some(digest) => assert_eq!(self.world.image(&app).digest(), digest),
            None => assert!(!self.world.exists(&app), "no tag written"),
        }
        assert!(!self.world.layers().join("report.toml").exists());
    }
}

#[test]
fn a_run_image_whose_bytes_differ_from_its_pinned_digest_fails_with_1_writing_nothing() {
    let scene = Scene::new();
    scene.proxy.inject(always(
        "GET",
        "/test/run/manifests/sha256:",
        FaultKind::Tamper,
    ));
    let finished = Finished::run(&mut scene.exporter(&[]));
    scene.failed(
        &finished,
        "ERROR: failed to create new app image: get run image",
        None,
    );
    assert!(
        the_error(&finished).contains("content does not match digest"),
        "{finished}"
    );
}

#[test]
fn a_previous_image_manifest_of_200_mib_fails_with_1_in_bounded_memory() {
    let scene = Scene::new();
    let app = scene.world.name("test/app:latest");
    scene.world.export(&app, &[]);
    fs::remove_file(scene.world.layers().join("report.toml")).expect("rm report");
    let before = scene.world.image(&app).digest();
    let label = scene.world.label(&app, "io.buildpacks.lifecycle.metadata");
    let previous = format!("{}/test/app@{before}", scene.proxy.host());
    scene.world.write_analyzed(
        Some((&previous, &label)),
        &scene.through_proxy(&scene.world.run_digest_ref),
    );
    flood_manifests(&scene.proxy, "/test/app/manifests/sha256:");
    let (finished, peak) = with_peak_rss(&scene.exporter(&[]), scene.world.dir.path());
    scene.failed(
        &finished,
        "ERROR: failed to create new app image: get previous image",
        Some(before),
    );
    assert!(peak < PEAK_RSS_KIB, "peak RSS {peak} KiB");
}

#[test]
fn a_cache_image_that_cannot_be_fetched_fails_with_1_before_anything_is_written() {
    let scene = Scene::new();
    flood_manifests(&scene.proxy, "/test/cache/manifests/");
    let cache = format!("-cache-image={}/test/cache", scene.proxy.host());
    let finished = Finished::run(&mut scene.exporter(&[&cache]));
    scene.failed(&finished, "ERROR: failed to create image cache: ", None);
}

#[test]
fn a_registry_that_accepts_and_never_answers_is_given_up_on_with_1() {
    let scene = Scene::new();
    silence(&scene.proxy);
    let finished = Finished::run(&mut scene.exporter(&[]));
    scene.failed(
        &finished,
        &format!("gave up on {}: no answer for 2 s", scene.proxy.host()),
        None,
    );
}
