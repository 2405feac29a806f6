//! The rebaser against a hostile registry (see `hostile.rs`): an app image that cannot be
//! read fails with 72 ("failed to set app image"), a new run image with 1 ("failed to access
//! run image"), as in Go; each with one line, the app's tag untouched and no report.

use cnb_image::{Digest, MediaType};
use cnb_testkit::{FaultKind, Finished, RegistryProxy};

use super::fixture::World;
use crate::hostile::{
    PATIENCE, PEAK_RSS_KIB, always, failing_token_service, flood_manifests, redirect_loop,
    the_error, with_peak_rss,
};

/// The rebaser world with an app on v1, a hostile proxy in front of its registry.
struct Scene {
    world: World,
    proxy: RegistryProxy,
    /// The app as the registry knows it, and its digest before any rebase.
    app: String,
    before: Digest,
    report: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let world = World::start();
        let app = world.app(&world.on_v1("test/app:latest"));
        let before = world.digest(&app);
        let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
        Self {
            world,
            proxy,
            app,
            before,
            report: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The rebaser of `<proxy>/test/app:latest` onto `<proxy>/test/run:v2`.
    fn rebaser(&self) -> std::process::Command {
        let mut command = World::rebaser("0.12");
        command
            .env("CNB_REGISTRY_TIMEOUT", PATIENCE)
            .arg("-run-image")
            .arg(format!("{}/test/run:v2", self.proxy.host()))
            .arg(format!("-report={}", self.report_path().display()))
            .arg(format!("{}/test/app:latest", self.proxy.host()));
        command
    }

    fn report_path(&self) -> std::path::PathBuf {
        self.report.path().join("report.toml")
    }

    /// Expects `code`, one line holding `expected`, the app untouched and no report.
    fn failed(&self, finished: &Finished, code: i32, expected: &str) {
        assert_eq!(finished.code, Some(code), "{finished}");
        let line = the_error(finished);
        assert!(line.contains(expected), "{expected:?} not in {line}");
        assert_eq!(self.world.digest(&self.app), self.before, "app untouched");
        assert!(!self.report_path().exists());
    }
}

#[test]
fn an_app_image_manifest_of_200_mib_fails_with_72_in_bounded_memory() {
    let scene = Scene::new();
    flood_manifests(&scene.proxy, "/test/app/manifests/");
    let (finished, peak) = with_peak_rss(&scene.rebaser(), scene.report.path());
    scene.failed(
        &finished,
        72,
        "ERROR: failed to set app image: reading image to rebase",
    );
    assert!(
        the_error(&finished).ends_with("the manifest is larger than 4 MiB"),
        "{finished}"
    );
    assert!(peak < PEAK_RSS_KIB, "peak RSS {peak} KiB");
}

#[test]
fn an_app_image_behind_a_redirect_loop_fails_with_72() {
    let scene = Scene::new();
    redirect_loop(&scene.proxy, "/v2/test/app/manifests/latest");
    let finished = World::run(&mut scene.rebaser());
    scene.failed(&finished, 72, "redirect");
}

#[test]
fn a_registry_whose_token_service_fails_fails_with_72() {
    let scene = Scene::new();
    failing_token_service(&scene.proxy);
    let finished = World::run(&mut scene.rebaser());
    scene.failed(&finished, 72, "the token service answered 500");
}

#[test]
fn a_new_run_image_that_never_answers_is_given_up_on_with_1() {
    let scene = Scene::new();
    scene
        .proxy
        .inject(always("GET", "/test/run/manifests/v2", FaultKind::Silence));
    let finished = World::run(&mut scene.rebaser());
    scene.failed(
        &finished,
        1,
        &format!(
            "ERROR: failed to access run image: reading run image {}/test/run:v2",
            scene.proxy.host()
        ),
    );
    assert!(
        the_error(&finished).ends_with(&format!(
            "gave up on {}: no answer for 2 s",
            scene.proxy.host()
        )),
        "{finished}"
    );
}

#[test]
fn a_new_run_image_whose_config_claims_an_absurd_size_fails_with_1() {
    let scene = Scene::new();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciManifest.as_str(),
        "config": {
            "mediaType": MediaType::OciConfig.as_str(),
            "digest": Digest::of(b"config").to_string(),
            "size": 1u64 << 50,
        },
        "layers": [],
    });
    scene.proxy.inject(always(
        "GET",
        "/test/run/manifests/v2",
        FaultKind::Answer {
            status: 200,
            headers: vec![(
                "Content-Type".to_owned(),
                MediaType::OciManifest.as_str().to_owned(),
            )],
            body: manifest.to_string().into_bytes(),
        },
    ));
    let finished = World::run(&mut scene.rebaser());
    scene.failed(&finished, 1, "is larger than 32 MiB");
}
