//! The analyzer against a hostile registry (see `hostile.rs`): every case ends with 32 and
//! one line, and no analyzed.toml.

use cnb_image::{Digest, MediaType};
use cnb_testkit::{FaultKind, RegistryFixture, RegistryProxy, TarLayer};

use super::API;
use super::fixtures::{Build, push_app_image, push_run_image, run, store};
use crate::hostile::{
    HUGE, PATIENCE, PEAK_RSS_KIB, always, failing_token_service, flood_manifests, redirect_loop,
    silence, the_error, with_peak_rss,
};

/// A registry with a run image (`test/run`) and a previous app image (`test/app`), a hostile
/// proxy in front, and the previous image's digest.
struct Scene {
    _registry: RegistryFixture,
    proxy: RegistryProxy,
    previous: Digest,
    build: Build,
}

impl Scene {
    fn new() -> Self {
        let registry = RegistryFixture::start().expect("registry");
        let store = store();
        push_run_image(&store, &registry.reference("test/run"));
        let previous = push_app_image(
            &store,
            &registry.reference("test/app"),
            "{}",
            &[TarLayer::of(&[("workspace/app.txt", "app\n")])],
        );
        let previous = previous
            .rsplit_once('@')
            .and_then(|(_, digest)| digest.parse().ok())
            .expect("digest");
        let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
        Self {
            _registry: registry,
            proxy,
            previous,
            build: Build::new(),
        }
    }

    fn name(&self, repository: &str) -> String {
        format!("{}/{repository}", self.proxy.host())
    }

    /// The analyzer of `<proxy>/test/app` on the run image `<proxy>/test/run`, with `extra`
    /// flags.
    fn analyzer(&self, extra: &[&str]) -> std::process::Command {
        let mut command = self.build.command("analyzer", API);
        command
            .env("CNB_REGISTRY_TIMEOUT", PATIENCE)
            .args(extra)
            .arg("-run-image")
            .arg(self.name("test/run"))
            .arg(self.name("test/app"));
        command
    }

    /// Runs the analyzer; expects 32, one line holding `expected`, and no analyzed.toml.
    fn fails_with_32(&self, command: &mut std::process::Command, expected: &str) {
        let finished = run(command);
        assert_eq!(finished.code, Some(32), "{finished}");
        let line = the_error(&finished);
        assert!(line.contains(expected), "{expected:?} not in {line}");
        assert!(!self.build.layers().join("analyzed.toml").exists());
    }
}

#[test]
fn a_previous_image_pinned_by_digest_whose_bytes_differ_fails_with_32() {
    let scene = Scene::new();
    let digest = scene.previous;
    scene.proxy.inject(always(
        "GET",
        &format!("/manifests/{digest}"),
        FaultKind::Tamper,
    ));
    let pinned = format!("{}@{digest}", scene.name("test/app"));
    scene.fails_with_32(
        &mut scene.analyzer(&["-previous-image", &pinned]),
        &format!(
            "ERROR: failed to initialize analyzer: getting previous image: reading manifest of {pinned}: content does not match digest {digest}"
        ),
    );
}

#[test]
fn a_manifest_of_200_mib_is_refused_with_32_in_bounded_memory() {
    let scene = Scene::new();
    flood_manifests(&scene.proxy, "/test/run/manifests/");
    let (finished, peak) = with_peak_rss(&scene.analyzer(&[]), scene.build.dir.path());
    assert_eq!(finished.code, Some(32), "{finished}");
    let line = the_error(&finished);
    assert!(
        line.ends_with(": the manifest is larger than 4 MiB"),
        "{line}"
    );
    assert!(
        peak < PEAK_RSS_KIB,
        "peak RSS {peak} KiB refusing a {HUGE}-byte manifest"
    );
    assert!(!scene.build.layers().join("analyzed.toml").exists());
}

#[test]
fn a_config_claiming_an_absurd_size_is_refused_with_32() {
    let scene = Scene::new();
    let absurd = |size: u64, media_type: &str, digest: &Digest| serde_json::json!({"mediaType": media_type, "digest": digest.to_string(), "size": size});
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciManifest.as_str(),
        "config": absurd(1 << 60, MediaType::OciConfig.as_str(), &Digest::of(b"config")),
        "layers": [absurd(u64::MAX, MediaType::OciLayerGzip.as_str(), &Digest::of(b"layer"))],
    });
    scene.proxy.inject(always(
        "GET",
        "/test/run/manifests/latest",
        FaultKind::Answer {
            status: 200,
            headers: vec![(
                "Content-Type".to_owned(),
                MediaType::OciManifest.as_str().to_owned(),
            )],
            body: manifest.to_string().into_bytes(),
        },
    ));
    scene.fails_with_32(&mut scene.analyzer(&[]), "is larger than 32 MiB");
}

#[test]
fn a_redirect_loop_fails_with_32() {
    let scene = Scene::new();
    redirect_loop(&scene.proxy, "/v2/test/run/manifests/latest");
    scene.fails_with_32(&mut scene.analyzer(&[]), "redirect");
}

#[test]
fn a_registry_that_accepts_and_never_answers_is_given_up_on_with_32() {
    let scene = Scene::new();
    silence(&scene.proxy);
    scene.fails_with_32(
        &mut scene.analyzer(&[]),
        &format!("gave up on {}: no answer for 2 s", scene.proxy.host()),
    );
}

#[test]
fn a_token_service_that_fails_fails_with_32() {
    let scene = Scene::new();
    failing_token_service(&scene.proxy);
    scene.fails_with_32(
        &mut scene.analyzer(&[]),
        &format!(
            "getting a token for {}: the token service answered 500 Internal Server Error",
            scene.proxy.host()
        ),
    );
}
