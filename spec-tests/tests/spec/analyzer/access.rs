//! The analyzer's registry checks: read access to the previous and run images, write access
//! to the output image, its tags and the cache image (32 on denial), credentials resolved
//! before privileges drop, references validated (3), and `-daemon` reading the daemon only.

use cnb_testkit::{Fault, FaultKind, RegistryFixture, RegistryProxy};

use super::API;
use super::fixtures::{Build, layout_store, push_run_image, run, store};

/// A proxy in front of `registry` that answers 403 to every upload.
fn refusing_uploads(registry: &RegistryFixture) -> RegistryProxy {
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    for method in ["POST", "PUT", "PATCH"] {
        proxy.inject(Fault {
            method: method.to_owned(),
            path_contains: "/blobs/uploads/".to_owned(),
            kind: FaultKind::Status(403),
            times: 100,
        });
    }
    proxy
}

const WRITE_DENIED: &str = "failed to initialize analyzer: validating registry write access: failed to ensure registry read/write access to";

#[test]
fn a_missing_run_image_given_by_flag_fails_with_32() {
    let registry = RegistryFixture::start().expect("registry");
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg(registry.reference("test/missing"))
        .arg(registry.reference("test/app")));
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(finished.stderr.contains("not found"), "{finished}");
}

#[test]
fn a_registry_refusing_uploads_fails_the_write_check_with_32() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    push_run_image(&store, &run_ref);
    let proxy = refusing_uploads(&registry);
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg(&run_ref)
        .arg(format!("{}/test/app", proxy.host())));
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(finished.stderr.contains(WRITE_DENIED), "{finished}");
    assert!(!build.layers().join("analyzed.toml").exists());

    // The cache image is checked too, also when the app image is in a layout.
    let layout = Build::new();
    let root = layout.path("layout");
    push_run_image(&layout_store(&root), "example.com/test/run");
    let cache = format!("{}/test/cache", proxy.host());
    let finished = run(layout
        .command("analyzer", API)
        .env("CNB_EXPERIMENTAL_MODE", "warn")
        .args(["-layout", "-layout-dir"])
        .arg(&root)
        .args(["-cache-image", &cache])
        .args(["-run-image", "example.com/test/run"])
        .arg("example.com/test/app"));
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(
        finished.stderr.contains(&format!("{WRITE_DENIED} {cache}")),
        "{finished}"
    );
}

#[test]
fn the_write_check_asks_for_an_upload_even_when_the_repository_has_the_empty_layer() {
    use cnb_image::{ImageStore as _, MediaType};

    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    push_run_image(&store, &run_ref);
    let app = |host: &str| format!("{host}/test/app");
    // The repository holds the blob an upload-based check would write.
    store
        .write_blob(
            &app(&registry.host()).parse().expect("reference"),
            MediaType::OciLayer,
            &[0; 1024],
        )
        .expect("empty layer");
    let proxy = refusing_uploads(&registry);
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .args(["-run-image", &run_ref])
        .arg(app(&proxy.host())));
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(finished.stderr.contains(WRITE_DENIED), "{finished}");

    // Where pushes are accepted, the check passes and sends no blob bytes.
    let counting = RegistryProxy::start(&registry.host()).expect("proxy");
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .args(["-run-image", &run_ref])
        .arg(format!("{}/test/other-app", counting.host())));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(
        counting.body_bytes("/blobs/"),
        0,
        "{:#?}",
        counting.requests()
    );
    assert!(
        counting
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.contains("/test/other-app/blobs/uploads/")),
        "{:#?}",
        counting.requests()
    );
}

#[test]
fn registry_credentials_come_from_cnb_registry_auth_and_their_absence_is_32() {
    use base64::Engine as _;
    let registry = RegistryFixture::with_htpasswd("cnb", "s3cret").expect("registry");
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("cnb:s3cret")
    );
    let auth = serde_json::json!({ registry.host(): header }).to_string();
    let env = cnb_registry::Environment {
        registry_auth: Some(auth.clone()),
        ..cnb_registry::Environment::default()
    };
    let run_ref = registry.reference("test/run");
    push_run_image(&crate::image_support::registry_store(&env, &[]), &run_ref);
    let analyze = |auth: Option<&str>| {
        let build = Build::new();
        let mut command = build.command("analyzer", API);
        if let Some(auth) = auth {
            command.env("CNB_REGISTRY_AUTH", auth);
        }
        let finished = run(command
            .arg("-run-image")
            .arg(&run_ref)
            .arg(registry.reference("test/app")));
        (build, finished)
    };
    let (build, finished) = analyze(Some(&auth));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(!finished.stderr.contains("s3cret") && !finished.stdout.contains("s3cret"));
    assert!(build.analyzed()["run-image"]["reference"].is_str());

    let (_, finished) = analyze(None);
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(
        finished
            .stderr
            .contains("validating registry read access: failed to ensure registry read access to"),
        "{finished}"
    );
}

#[test]
fn a_tag_on_another_registry_fails_with_3() {
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg("127.0.0.1:1/test/run")
        .arg("-tag")
        .arg("127.0.0.2:1/test/app:other")
        .arg("127.0.0.1:1/test/app"));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished
            .stderr
            .contains("writing to multiple registries is unsupported"),
        "{finished}"
    );
}

#[test]
fn daemon_mode_reads_the_daemon_never_a_registry() {
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .arg("-daemon")
        .arg("-run-image")
        .arg("127.0.0.1:1/test/run")
        .arg("127.0.0.1:1/test/app"));
    assert_eq!(finished.code, Some(32), "{finished}");
    assert!(
        finished
            .stderr
            .contains("cannot connect to the Docker daemon at unix:///nonexistent/docker.sock"),
        "{finished}"
    );
}
