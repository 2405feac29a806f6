//! Running an app image as a container runtime would (e2e-infra.md §4): pulled by skopeo into
//! an OCI layout, unpacked by umoci into a runtime bundle, started by runc as the image's
//! user, in the host's network namespace so that `127.0.0.1:<PORT>` reaches the app.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use cnb_testkit::{HttpResponse, http_get};
use serde_json::{Value, json};

use crate::interrupt;
use crate::tool::run_quiet;

const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// An unpacked image: `config.json` and `rootfs/` under `dir`.
pub(crate) struct Bundle {
    dir: PathBuf,
}

impl Bundle {
    /// Pulls `reference` into an OCI layout under `work` and unpacks it to `work/bundle`.
    pub(crate) fn pull(reference: &str, work: &Path) -> Result<Self, String> {
        let layout = work.join("oci");
        run_quiet(
            Command::new("skopeo")
                .args([
                    "copy",
                    "--quiet",
                    "--insecure-policy",
                    "--src-tls-verify=false",
                ])
                .arg(format!("docker://{reference}"))
                .arg(format!("oci:{}:app", layout.display())),
        )?;
        let dir = work.join("bundle");
        run_quiet(
            Command::new("umoci")
                .args(["unpack", "--image"])
                .arg(format!("{}:app", layout.display()))
                .arg(&dir),
        )?;
        Ok(Self { dir })
    }

    /// Rewrites `config.json` for a run without a terminal, in the host's network namespace,
    /// with `env` added to the image's and, when given, `args` as the process.
    pub(crate) fn configure(
        &self,
        env: &[(&str, &str)],
        args: Option<&[&str]>,
    ) -> Result<(), String> {
        let path = self.dir.join("config.json");
        let text =
            fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let mut config: Value = serde_json::from_slice(&text)
            .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
        config["process"]["terminal"] = json!(false);
        if let Some(namespaces) = config["linux"]["namespaces"].as_array_mut() {
            namespaces.retain(|namespace| namespace["type"] != "network");
        }
        if let Some(vars) = config["process"]["env"].as_array_mut() {
            vars.extend(
                env.iter()
                    .map(|(key, value)| json!(format!("{key}={value}"))),
            );
        }
        if let Some(args) = args {
            config["process"]["args"] = json!(args);
        }
        let text = serde_json::to_vec_pretty(&config).map_err(|err| err.to_string())?;
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    }

    /// The process's user as `uid:gid`, from `config.json`.
    pub(crate) fn user(&self) -> Result<String, String> {
        let path = self.dir.join("config.json");
        let text =
            fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let config: Value = serde_json::from_slice(&text)
            .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
        let user = &config["process"]["user"];
        Ok(format!("{}:{}", user["uid"], user["gid"]))
    }

    /// Starts the container in the background as `id`; its output goes to `log`.
    pub(crate) fn start(&self, id: &str, log: &Path) -> Result<Container, String> {
        let output =
            File::create(log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let errors = output
            .try_clone()
            .map_err(|err| format!("cannot open {}: {err}", log.display()))?;
        // From here on the guard deletes whatever runc managed to create.
        let container = Container {
            id: id.to_owned(),
            log: log.to_path_buf(),
        };
        let status = Command::new("runc")
            .args(["run", "--detach", "--bundle"])
            .arg(&self.dir)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .status()
            .map_err(|err| format!("cannot start runc: {err}"))?;
        if status.success() {
            Ok(container)
        } else {
            Err(format!(
                "runc run failed ({status}): {}",
                container.log_tail()
            ))
        }
    }

    /// Runs the container as `id` to its end and returns what it printed.
    pub(crate) fn run(&self, id: &str) -> Result<String, String> {
        let _container = Container {
            id: id.to_owned(),
            log: PathBuf::new(),
        };
        let output = Command::new("runc")
            .args(["run", "--bundle"])
            .arg(&self.dir)
            .arg(id)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot start runc: {err}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "the container exited with {}: {}",
                output.status,
                text.trim()
            ))
        }
    }
}

/// A runc container, deleted (forcibly) on drop.
pub(crate) struct Container {
    id: String,
    log: PathBuf,
}

impl Container {
    /// The container id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Waits until `GET <path>` on `127.0.0.1:<port>` answers, or fails when the container
    /// stops, `timeout` passes, or a signal asks the demo to stop.
    pub(crate) fn wait_for_http(
        &self,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<HttpResponse, String> {
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + timeout;
        loop {
            interrupt::check()?;
            if let Ok(response) = http_get(&host, path, &[]) {
                return Ok(response);
            }
            if self.status().as_deref() != Some("running") {
                return Err(format!(
                    "the container stopped before answering on {host}: {}",
                    self.log_tail()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "nothing answered on {host} within {} s: {}",
                    timeout.as_secs(),
                    self.log_tail()
                ));
            }
            sleep(POLL_INTERVAL);
        }
    }

    /// What the container printed so far.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(3)..].join(" / ")
    }

    /// `runc state`'s status (`running`, `stopped`, …), or `None` when runc does not know it.
    fn status(&self) -> Option<String> {
        let state = run_quiet(Command::new("runc").args(["state", &self.id])).ok()?;
        let state: Value = serde_json::from_str(&state).ok()?;
        state["status"].as_str().map(str::to_owned)
    }

    /// Kills and deletes the container.
    pub(crate) fn stop(self) -> Result<(), String> {
        run_quiet(Command::new("runc").args(["delete", "--force", &self.id])).map(drop)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // Gone already after `stop`; nothing to report from a guard.
        let _ = Command::new("runc")
            .args(["delete", "--force", &self.id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
