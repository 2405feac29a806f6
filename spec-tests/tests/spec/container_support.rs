//! Running an image from a registry the way a runtime would, for the suites that check that
//! what we wrote still runs: pulled with skopeo into an OCI layout, unpacked by umoci, started
//! by runc (e2e-infra.md §4). Needs root and runc; callers skip otherwise.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use cnb_testkit::Finished;
use serde_json::{Value, json};

use crate::image_support::skopeo;

/// Whether containers can run here (root and runc).
pub(crate) fn can_run_containers() -> bool {
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

/// Pulls `image`, unpacks it and runs it: its own entrypoint when `args` is `None`, else
/// `args` as the process. Container ids start with `name` and are unique per process.
pub(crate) fn run_pulled(image: &str, args: Option<&[&str]>, name: &str) -> Finished {
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
    if let Some(args) = args {
        config["process"]["args"] = json!(args);
    }
    std::fs::write(&config_path, serde_json::to_vec(&config).expect("json")).expect("write");
    let id = ContainerId(format!(
        "{name}-{}-{}",
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
