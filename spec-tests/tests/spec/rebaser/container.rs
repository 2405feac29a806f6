//! The rebased image still runs: pulled with skopeo into an OCI layout, unpacked by umoci,
//! run by runc (e2e-infra.md §4). Needs root and runc; skipped otherwise.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use cnb_testkit::Finished;
use serde_json::{Value, json};

use super::fixture::{APP_FILE, V2_OS_RELEASE, World};
use crate::image_support::skopeo;

/// Whether containers can run here.
fn can_run_containers() -> bool {
    cnb_testkit::is_root()
        && Command::new("runc")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// A runc container id, deleted (forcibly) on drop.
struct ContainerId(String);

impl Drop for ContainerId {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Pulls `image`, unpacks it and runs `script` in it with `/bin/sh -c`.
fn run_in(image: &str, script: &str) -> Finished {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = dir.path().join("pulled");
    skopeo(&[
        "copy",
        "--quiet",
        "--insecure-policy",
        "--src-tls-verify=false",
        &format!("docker://{image}"),
        &format!("oci:{}:app", layout.display()),
    ]);
    let bundle = dir.path().join("bundle");
    let unpacked = Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:app", layout.display()))
        .arg(&bundle)
        .output()
        .expect("umoci runs");
    assert!(
        unpacked.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&unpacked.stderr)
    );
    let config_path = bundle.join("config.json");
    let mut config: Value =
        serde_json::from_slice(&std::fs::read(&config_path).expect("config.json")).expect("json");
    config["process"]["terminal"] = json!(false);
    config["process"]["args"] = json!(["/bin/sh", "-c", script]);
    std::fs::write(&config_path, serde_json::to_vec(&config).expect("json")).expect("write");
    let id = ContainerId(format!(
        "cnb-rebaser-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    Finished::run(
        Command::new("runc")
            .args(["run", "--bundle"])
            .arg(&bundle)
            .arg(&id.0)
            .stdin(Stdio::null()),
    )
}

#[test]
fn the_rebased_app_runs_with_its_own_files_on_the_new_os() {
    if !can_run_containers() {
        return;
    }
    let world = World::start();
    let app = world.app(&world.on_v1("test/app:latest"));
    let script = "cat /app-file; cat /etc/os-release";
    let before = run_in(&app, script);
    assert_eq!(before.code, Some(0), "{before}");
    assert!(
        before.stdout.contains("PRETTY_NAME=\"busybox 1.35.0"),
        "{before}"
    );
    let finished = World::run(
        World::rebaser("0.12")
            .args(["-run-image", &world.v2, "-report=/dev/null"])
            .arg(&app),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let after = run_in(&app, script);
    assert_eq!(after.code, Some(0), "{after}");
    assert_eq!(after.stdout, format!("{}{V2_OS_RELEASE}", APP_FILE.1));
}
