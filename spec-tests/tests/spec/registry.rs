//! The test infrastructure itself: loopback registries and run images from `cnb-testkit`,
//! checked with an independent reader (skopeo), so later suites can trust them.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};

use cnb_testkit::{
    CNB_GID, CNB_UID, DEFAULT_BASE_ID, LABEL_BASE_ID, LABEL_DISTRO_NAME, LABEL_DISTRO_VERSION,
    LABEL_REBASABLE, LABEL_STACK_ID, RegistryFixture, RunImage, build_run_image, http_get,
};
use serde_json::Value;

/// `skopeo inspect --tls-verify=false <args> docker://<reference>`, whatever its exit code.
fn skopeo_inspect(reference: &str, args: &[&str]) -> Output {
    Command::new("skopeo")
        .args(["inspect", "--tls-verify=false"])
        .args(args)
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo runs")
}

fn inspect_json(reference: &str, args: &[&str]) -> Value {
    let output = skopeo_inspect(reference, args);
    assert!(
        output.status.success(),
        "skopeo inspect {args:?} {reference} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("skopeo prints JSON")
}

#[test]
fn registry_answers_v2_and_leaves_no_process_port_or_storage_after_drop() {
    let registry = RegistryFixture::start().expect("registry starts");
    let (pid, host, storage) = (registry.pid(), registry.host(), registry.storage_dir());
    assert_eq!(host, format!("127.0.0.1:{}", registry.port()));
    assert_eq!(registry.url(), format!("http://{host}"));

    let response = http_get(&host, "/v2/", &[]).expect("GET /v2/");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Docker-Distribution-API-Version"),
        Some("registry/2.0")
    );
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    assert!(storage.is_dir());

    drop(registry);

    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "registry process {pid} outlived its fixture"
    );
    let err = TcpStream::connect(&host).expect_err("nothing listens after drop");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(
        !storage.exists(),
        "storage {} left behind",
        storage.display()
    );
}

#[test]
fn two_registries_run_side_by_side_each_serving_its_own_storage() {
    let first = RegistryFixture::start().expect("first registry starts");
    let second = RegistryFixture::start().expect("second registry starts");
    assert_ne!(first.port(), second.port());
    assert_ne!(first.storage_dir(), second.storage_dir());

    let pushed = build_run_image(&first, "test/run:busybox").expect("run image pushed");
    assert_eq!(
        pushed.reference,
        format!("{}/test/run:busybox", first.host())
    );

    let found = inspect_json(&pushed.reference, &[]);
    assert_eq!(found["Digest"], pushed.digest.as_str());

    let missing = skopeo_inspect(&second.reference("test/run:busybox"), &[]);
    assert!(!missing.status.success(), "second registry has the image");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("manifest unknown"), "{stderr}");
}

#[test]
fn run_image_has_buildpacks_labels_cnb_user_linux_amd64_and_one_layer() {
    let registry = RegistryFixture::start().expect("registry starts");
    let pushed = build_run_image(&registry, "test/run").expect("run image pushed");
    assert_eq!(pushed.tag, "latest");

    let config = inspect_json(&pushed.reference, &["--config"]);
    assert_eq!(config["os"], "linux");
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["config"]["User"], format!("{CNB_UID}:{CNB_GID}"));
    let labels = &config["config"]["Labels"];
    assert_eq!(labels[LABEL_BASE_ID], DEFAULT_BASE_ID);
    assert_eq!(labels[LABEL_STACK_ID], DEFAULT_BASE_ID);
    assert_eq!(labels[LABEL_DISTRO_NAME], "busybox");
    assert_eq!(labels[LABEL_DISTRO_VERSION], "1.35.0");
    assert_eq!(labels[LABEL_REBASABLE], "true");
    let env: Vec<&str> = config["config"]["Env"]
        .as_array()
        .expect("Env is a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"CNB_USER_ID=1000"), "{env:?}");
    assert!(env.contains(&"CNB_GROUP_ID=1000"), "{env:?}");
    assert!(env.iter().any(|var| var.starts_with("PATH=")), "{env:?}");
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(1)
    );

    let manifest = inspect_json(&pushed.digest_reference(), &["--raw"]);
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(1));
}

#[test]
fn run_image_labels_are_configurable_and_the_layout_digest_survives_the_push() {
    let registry = RegistryFixture::start().expect("registry starts");
    let layout = RunImage::default()
        .label(LABEL_BASE_ID, "io.test.other")
        .without_label(LABEL_STACK_ID)
        .env("EXTRA", "yes")
        .build_layout()
        .expect("layout built");
    assert!(layout.path().join("index.json").is_file());
    let layout_digest = layout.digest().expect("layout digest");

    let pushed = layout
        .push(&registry, "test/other:v1")
        .expect("layout pushed");
    assert_eq!(pushed.digest, layout_digest);

    let config = inspect_json(&pushed.reference, &["--config"]);
    let labels = &config["config"]["Labels"];
    assert_eq!(labels[LABEL_BASE_ID], "io.test.other");
    assert_eq!(labels.get(LABEL_STACK_ID), None);
    let env = config["config"]["Env"].to_string();
    assert!(env.contains("EXTRA=yes"), "{env}");

    let path = layout.path();
    drop(layout);
    assert!(!path.exists(), "layout {} left behind", path.display());
}

#[test]
fn htpasswd_registry_refuses_anonymous_clients_and_accepts_its_credentials() {
    let registry = RegistryFixture::with_htpasswd("alice", "s3cret").expect("registry starts");
    let credentials = registry.credentials().expect("has credentials").clone();
    assert_eq!(credentials.user, "alice");
    assert!(!format!("{registry:?}").contains("s3cret"));

    let anonymous = http_get(&registry.host(), "/v2/", &[]).expect("GET /v2/");
    assert_eq!(anonymous.status, 401);
    let challenge = anonymous.header("WWW-Authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic"), "{challenge}");

    let pushed = build_run_image(&registry, "test/private:v1").expect("push with credentials");
    let creds = format!("{}:{}", credentials.user, credentials.password);
    let found = inspect_json(&pushed.reference, &["--creds", &creds]);
    assert_eq!(found["Digest"], pushed.digest.as_str());

    let refused = skopeo_inspect(&pushed.reference, &["--no-creds"]);
    assert!(!refused.status.success(), "anonymous inspect succeeded");
}
