//! [`DockerDaemon`]: a private Docker daemon (Debian's `docker.io`) for tests, started as
//! `dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs` with its data
//! root, exec root (and so its own containerd), pid file, config file and socket in a temp dir;
//! the host's `/var/run/docker.sock` is never touched. Containers run with `--network none`
//! (there is no bridge). Dropping the fixture stops the daemon (SIGTERM, then SIGKILL; its
//! containerd goes with it), unmounts what it left mounted under the temp dir and removes it.
//!
//! [`DockerDaemon::shared`] hands out one daemon per test binary while any test holds it, as
//! starting one costs about a second and vfs keeps every image it loads.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::OciLayoutImage;
use crate::command::{run, spawn_error};

const STARTUP_TIMEOUT: Duration = Duration::from_mins(1);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const LOG_TAIL_LINES: usize = 30;

/// A running private `dockerd`.
pub struct DockerDaemon {
    child: Child,
    dir: TempDir,
}

impl DockerDaemon {
    /// Starts a daemon and waits until it answers `GET /_ping`. Needs root.
    pub fn start() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-dockerd-")
            .tempdir_in("/tmp")?;
        let config = dir.path().join("daemon.json");
        fs::write(&config, "{}\n")?;
        let log = File::create(dir.path().join("dockerd.log"))?;
        let mut command = Command::new("dockerd");
        command
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--storage-driver=vfs",
            ])
            .arg("--data-root")
            .arg(dir.path().join("data"))
            .arg("--exec-root")
            .arg(dir.path().join("exec"))
            .arg("--pidfile")
            .arg(dir.path().join("dockerd.pid"))
            .arg("--config-file")
            .arg(&config)
            .arg("-H")
            .arg(format!(
                "unix://{}",
                dir.path().join("docker.sock").display()
            ))
            .env_remove("DOCKER_HOST")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command.spawn().map_err(|err| spawn_error(&command, &err))?;
        let mut daemon = Self { child, dir };
        daemon.wait_until_ready()?;
        Ok(daemon)
    }

    /// The daemon this test binary shares, started when no test holds one.
    pub fn shared() -> io::Result<Arc<Self>> {
        static SHARED: Mutex<Weak<DockerDaemon>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(daemon) = shared.upgrade() {
            return Ok(daemon);
        }
        let daemon = Arc::new(Self::start()?);
        *shared = Arc::downgrade(&daemon);
        Ok(daemon)
    }

    /// The socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// `unix://<socket>`, for `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `docker` command talking to this daemon.
    pub fn docker(&self) -> Command {
        let mut command = Command::new("docker");
        command
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.dir.path().join("client"));
        command
    }

    /// Runs `docker <args>` and returns its stdout; a failure is an error with its stderr.
    pub fn run_docker(&self, args: &[&str]) -> io::Result<String> {
        let output = run(self.docker().args(args))?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Loads `image` (an OCI layout) into the daemon as `name` with skopeo.
    pub fn load(&self, image: &OciLayoutImage, name: &str) -> io::Result<()> {
        run(Command::new("skopeo")
            .args(["copy", "--quiet", "--dest-daemon-host"])
            .arg(self.host())
            .arg(image.skopeo_ref())
            .arg(format!("docker-daemon:{name}")))
        .map(drop)
    }

    /// The ID (`sha256:<hex>`) of image `name`, or `None` when the daemon has none.
    pub fn image_id(&self, name: &str) -> io::Result<Option<String>> {
        let output = self
            .docker()
            .args(["image", "inspect", "--format", "{{.Id}}", name])
            .stdin(Stdio::null())
            .output()?;
        if output.status.success() {
            Ok(Some(
                String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            ))
        } else {
            Ok(None)
        }
    }

    /// Everything the daemon logged so far.
    pub fn log(&self) -> io::Result<String> {
        fs::read_to_string(self.dir.path().join("dockerd.log"))
    }

    fn wait_until_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(self.exited_early(status));
            }
            if ping(&self.socket()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "dockerd did not answer on {} within {} s; log:\n{}",
                        self.host(),
                        STARTUP_TIMEOUT.as_secs(),
                        self.log_tail()
                    ),
                ));
            }
            sleep(POLL_INTERVAL);
        }
    }

    fn exited_early(&self, status: ExitStatus) -> io::Error {
        io::Error::other(format!(
            "dockerd exited ({status}) before answering; log:\n{}",
            self.log_tail()
        ))
    }

    fn log_tail(&self) -> String {
        match self.log() {
            Ok(log) => {
                let lines: Vec<&str> = log.lines().collect();
                lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
            }
            Err(err) => format!("(cannot read dockerd.log: {err})"),
        }
    }
}

impl std::fmt::Debug for DockerDaemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerDaemon")
            .field("host", &self.host())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Drop for DockerDaemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                sleep(POLL_INTERVAL);
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
        stop_containerd(&self.dir.path().join("exec/containerd"));
        unmount_below(self.dir.path());
    }
}

/// `GET /_ping` answered 200 on `socket`.
fn ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

/// Kills the daemon's containerd if it outlived it (it dies with its parent normally).
fn stop_containerd(state: &Path) {
    let Ok(text) = fs::read_to_string(state.join("containerd.pid")) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let is_ours = fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&*state.to_string_lossy()));
    if is_ours {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// Unmounts whatever is still mounted at or below `dir` (a daemon that did not stop cleanly
/// leaves its data root bind-mounted), deepest first.
fn unmount_below(dir: &Path) {
    let Ok(mounts) = fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| PathBuf::from(point.replace("\\040", " ")))
        .filter(|point| point.starts_with(dir))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    for point in points {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&point)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
