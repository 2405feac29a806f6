//! Running an image from a registry the way a runtime would, for the suites that check that
//! what we wrote still runs: pulled with skopeo into an OCI layout, unpacked by umoci, started
//! by runc (e2e-infra.md §4), as often as a test likes from one unpacked bundle. Needs root
//! and runc; callers skip otherwise.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use cnb_testkit::Finished;
use serde_json::{Value, json};

use crate::image_support::{skopeo, umoci_unpack};

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

/// Pulls `image`, unpacks it and runs it once: its own entrypoint when `args` is `None`, else
/// `args` as the process. Container ids start with `name`.
pub(crate) fn run_pulled(image: &str, args: Option<&[&str]>, name: &str) -> Finished {
    PulledImage::pull(image, name).run(&Run {
        args,
        ..Run::default()
    })
}

/// How to start one container of a [`PulledImage`]; the default is the image's own
/// entrypoint, env and user.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Run<'a> {
    /// The process's argv, replacing the image's ENTRYPOINT and CMD.
    pub(crate) args: Option<&'a [&'a str]>,
    /// `NAME=value` entries after the image's env, as `docker run --env` adds them.
    pub(crate) env: &'a [&'a str],
    /// Run as this uid and gid instead of the image's `User`.
    pub(crate) user: Option<u32>,
    /// Host directories bound into the container (host path, container path), writable.
    pub(crate) binds: &'a [(&'a Path, &'a str)],
    /// Docker's default capabilities (chown, setuid, …) instead of umoci's three: what a
    /// phase that runs as root in the container (the extender) needs.
    pub(crate) docker_capabilities: bool,
    /// Share the host's network (a loopback registry) instead of a namespace of its own.
    pub(crate) host_network: bool,
}

/// Docker's default capability set.
const DOCKER_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// An image pulled and unpacked into a runc bundle once, to run many containers from.
pub(crate) struct PulledImage {
    dir: tempfile::TempDir,
    config: Value,
    name: String,
}

impl PulledImage {
    /// Pulls `image` and unpacks it; container ids start with `name` and are unique per
    /// process.
    pub(crate) fn pull(image: &str, name: &str) -> Self {
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
        Self::unpack(dir, &layout, "app", name)
    }

    /// Unpacks the image tagged `tag` in the OCI layout `layout` (a copy of it stays with
    /// the bundle's temp dir, so the layout may go away).
    pub(crate) fn from_layout(layout: &Path, tag: &str, name: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::unpack(dir, layout, tag, name)
    }

    fn unpack(dir: tempfile::TempDir, layout: &Path, tag: &str, name: &str) -> Self {
        let bundle = dir.path().join("bundle");
        umoci_unpack(layout, tag, &bundle);
        let config =
            serde_json::from_slice(&fs::read(bundle.join("config.json")).expect("config.json"))
                .expect("json");
        Self {
            dir,
            config,
            name: name.to_owned(),
        }
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    /// The unpacked root filesystem.
    pub(crate) fn rootfs(&self) -> PathBuf {
        self.bundle().join("rootfs")
    }

    /// Runs one container to its end.
    pub(crate) fn run(&self, run: &Run) -> Finished {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let mut config = self.config.clone();
        config["process"]["terminal"] = json!(false);
        if let Some(args) = run.args {
            config["process"]["args"] = json!(args);
        }
        if let Some(env) = config["process"]["env"].as_array_mut() {
            env.extend(run.env.iter().map(|entry| json!(entry)));
        }
        if let Some(id) = run.user {
            config["process"]["user"] = json!({ "uid": id, "gid": id });
        }
        if let Some(mounts) = config["mounts"].as_array_mut() {
            for (host, target) in run.binds {
                mounts.push(json!({
                    "destination": target,
                    "type": "bind",
                    "source": host,
                    "options": ["rbind", "rw"],
                }));
            }
        }
        if run.docker_capabilities {
            let caps = json!(DOCKER_CAPABILITIES);
            for set in ["bounding", "effective", "permitted"] {
                config["process"]["capabilities"][set] = caps.clone();
            }
        }
        if run.host_network
            && let Some(namespaces) = config["linux"]["namespaces"].as_array_mut()
        {
            namespaces.retain(|namespace| namespace["type"] != "network");
        }
        let bundle = self.bundle();
        fs::write(
            bundle.join("config.json"),
            serde_json::to_vec(&config).expect("json"),
        )
        .expect("write config.json");
        let id = ContainerId(format!(
            "{}-{}-{}",
            self.name,
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
}

/// Copies this machine's GNU bash to `<root>/usr/bin/bash` (linked from `/bin/bash`) with the
/// libraries `ldd` names, for the launcher's bash mode in a rootfs without one (a busybox
/// shell is not bash).
pub(crate) fn install_host_bash(root: &Path) {
    let install = |from: &Path, to: &Path| {
        fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        fs::copy(from, to).unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
        fs::set_permissions(to, fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    install(Path::new("/bin/bash"), &root.join("usr/bin/bash"));
    let link = root.join("bin/bash");
    if fs::symlink_metadata(&link).is_err() {
        fs::create_dir_all(root.join("bin")).expect("mkdir");
        symlink("/usr/bin/bash", link).expect("symlink bash");
    }
    let output = Command::new("ldd")
        .arg("/bin/bash")
        .output()
        .expect("ldd runs");
    for library in String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
    {
        let target = root.join(library.trim_start_matches('/'));
        install(&fs::canonicalize(library).expect("library"), &target);
    }
}
