//! [`RegistryFixture`]: Debian's `docker-registry` (distribution 2.8) on a free loopback port,
//! with its own config, storage and log in a temp dir, stopped and reaped on drop.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::command::{run, spawn_error};
use crate::http::http_get;

/// How long a registry may take to answer `GET /v2/`, over all port attempts.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a registry may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Ports tried when another process takes the free port before the registry binds it.
const PORT_ATTEMPTS: u32 = 5;
/// A response header carrying a per-fixture token, so the readiness probe can tell this
/// registry from any other server that happens to hold the port.
const INSTANCE_HEADER: &str = "X-Cnb-Testkit-Instance";
const LOG_TAIL_LINES: usize = 20;

/// A user name and password for a registry started with [`RegistryFixture::with_htpasswd`].
/// `Debug` shows the password as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password, in clear.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A certificate and its key, for a registry that serves HTTPS.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The PEM certificate (chain) the registry presents.
    pub certificate: PathBuf,
    /// Its PEM private key.
    pub key: PathBuf,
}

/// A `docker-registry serve` process on `127.0.0.1:<free port>`, plain HTTP (or HTTPS with
/// [`RegistryFixture::with_tls`]), delete enabled,
/// log level error, storage in a temp dir of its own. Never reads the packaged
/// `/etc/docker/registry/config.yml`, and starts with an empty environment so no `REGISTRY_*`
/// variable of the caller leaks in. Dropping it stops the process (SIGTERM, then SIGKILL after
/// 3 s), reaps it, and removes the temp dir.
pub struct RegistryFixture {
    child: Child,
    port: u16,
    credentials: Option<Credentials>,
    dir: TempDir,
}

impl RegistryFixture {
    /// Starts an anonymous registry and waits until `GET /v2/` answers 200.
    pub fn start() -> io::Result<Self> {
        Self::launch(None, None, Storage::Filesystem)
    }

    /// Starts an anonymous registry that keeps blobs and manifests in memory (distribution's
    /// `inmemory` storage driver) instead of files, for tests that push hundreds of images:
    /// nothing to write to disk, nothing to remove after. [`RegistryFixture::storage_dir`]
    /// stays empty.
    pub fn in_memory() -> io::Result<Self> {
        Self::launch(None, None, Storage::Memory)
    }

    /// Starts an anonymous registry serving HTTPS with `tls`, and waits until it answers (a
    /// plain-HTTP probe gets Go's "HTTP request to an HTTPS server" 400).
    pub fn with_tls(tls: &Tls) -> io::Result<Self> {
        Self::launch(None, Some(tls), Storage::Filesystem)
    }

    /// Starts a registry that requires HTTP basic auth for `user`/`password` (an htpasswd
    /// file made with `htpasswd -Bbn`, from apache2-utils), and waits until `GET /v2/`
    /// answers 401.
    pub fn with_htpasswd(user: &str, password: &str) -> io::Result<Self> {
        Self::launch(
            Some(Credentials {
                user: user.to_owned(),
                password: password.to_owned(),
            }),
            None,
            Storage::Filesystem,
        )
    }

    /// `127.0.0.1:<port>`, the registry part of an image reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The port the registry listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The registry's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The user and system CPU seconds the registry has used so far (from
    /// `/proc/<pid>/stat`), for benchmarks that put its work beside the lifecycle's.
    pub fn cpu_time(&self) -> io::Result<(f64, f64)> {
        /// The unit of `/proc` CPU times: `USER_HZ`, 100 on every Linux we run on.
        const USER_HZ: f64 = 100.0;
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("/proc stat: {stat}"));
        // the fields after the command name, which is in parentheses; utime and stime are
        // fields 14 and 15 of the line, 12 and 13 after the name
        let after = stat
            .rfind(')')
            .and_then(|end| stat.get(end + 2..))
            .ok_or_else(bad)?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |index: usize| {
            fields
                .get(index)
                .and_then(|field| field.parse::<f64>().ok())
                .ok_or_else(bad)
        };
        Ok((ticks(11)? / USER_HZ, ticks(12)? / USER_HZ))
    }

    /// `127.0.0.1:<port>/<repo_and_tag>`, e.g. for `skopeo … docker://{reference}`.
    pub fn reference(&self, repo_and_tag: &str) -> String {
        format!("{}/{repo_and_tag}", self.host())
    }

    /// The credentials, for a registry started with [`RegistryFixture::with_htpasswd`].
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The registry's storage root (`storage.filesystem.rootdirectory`).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Everything the registry wrote to stdout and stderr so far (errors and the access log).
    pub fn log(&self) -> io::Result<String> {
        fs::read_to_string(self.dir.path().join("registry.log"))
    }

    fn launch(
        credentials: Option<Credentials>,
        tls: Option<&Tls>,
        storage: Storage,
    ) -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-testkit-registry-")
            .tempdir()?;
        fs::create_dir(dir.path().join("storage"))?;
        if let Some(credentials) = &credentials {
            write_htpasswd(&dir.path().join("htpasswd"), credentials)?;
        }
        let instance = unique_instance_id();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut port_errors = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let htpasswd = credentials.is_some();
            let config = config_yaml(dir.path(), port, &instance, htpasswd, tls, storage);
            let mut child = spawn(dir.path(), &config)?;
            let probe = Probe {
                port,
                instance: &instance,
                tls: tls.is_some(),
            };
            match wait_until_ready(&mut child, dir.path(), &probe, deadline) {
                Ok(()) => {
                    return Ok(Self {
                        child,
                        port,
                        credentials,
                        dir,
                    });
                }
                Err(Startup::PortTaken(reason)) => {
                    stop(&mut child);
                    port_errors.push(format!("port {port}: {reason}"));
                }
                Err(Startup::Failed(err)) => {
                    stop(&mut child);
                    return Err(err);
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "docker-registry found no free port in {PORT_ATTEMPTS} attempts: {}",
                port_errors.join("; ")
            ),
        ))
    }
}

impl fmt::Debug for RegistryFixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryFixture")
            .field("host", &self.host())
            .field("pid", &self.pid())
            .field("credentials", &self.credentials)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Drop for RegistryFixture {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

enum Startup {
    /// Something else holds the port: try another one.
    PortTaken(String),
    Failed(io::Error),
}

/// Where a registry keeps what is pushed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// Files under [`RegistryFixture::storage_dir`].
    Filesystem,
    /// The process's memory.
    Memory,
}

fn spawn(dir: &Path, yaml: &str) -> io::Result<Child> {
    let config = dir.join("config.yml");
    fs::write(&config, yaml)?;
    let log = File::create(dir.join("registry.log"))?;
    let mut command = Command::new("docker-registry");
    command
        .arg("serve")
        .arg(&config)
        .env_clear()
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    command.spawn().map_err(|err| spawn_error(&command, &err))
}

fn config_yaml(
    dir: &Path,
    port: u16,
    instance: &str,
    htpasswd: bool,
    tls: Option<&Tls>,
    storage: Storage,
) -> String {
    let driver = match storage {
        Storage::Filesystem => format!(
            "filesystem:\n    rootdirectory: {}",
            yaml_string(&dir.join("storage"))
        ),
        Storage::Memory => "inmemory: {}".to_owned(),
    };
    let auth = if htpasswd {
        let path = yaml_string(&dir.join("htpasswd"));
        format!("auth:\n  htpasswd:\n    realm: cnb-testkit\n    path: {path}\n")
    } else {
        String::new()
    };
    let tls = tls.map_or_else(String::new, |tls| {
        format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            yaml_string(&tls.certificate),
            yaml_string(&tls.key)
        )
    });
    format!(
        "version: 0.1
log:
  level: error
storage:
  {driver}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  headers:
    X-Content-Type-Options: [nosniff]
    {INSTANCE_HEADER}: [\"{instance}\"]
{tls}{auth}"
    )
}

/// A double-quoted YAML scalar for a path.
fn yaml_string(path: &Path) -> String {
    let text = path.to_string_lossy();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_htpasswd(path: &Path, credentials: &Credentials) -> io::Result<()> {
    let output = run(Command::new("htpasswd")
        .arg("-Bbn")
        .arg(&credentials.user)
        .arg(&credentials.password))?;
    fs::write(path, output.stdout)
}

/// How to tell that the registry started is answering.
struct Probe<'a> {
    port: u16,
    instance: &'a str,
    tls: bool,
}

fn wait_until_ready(
    child: &mut Child,
    dir: &Path,
    probe: &Probe<'_>,
    deadline: Instant,
) -> Result<(), Startup> {
    let host = format!("127.0.0.1:{}", probe.port);
    loop {
        if let Some(status) = child.try_wait().map_err(Startup::Failed)? {
            return Err(exited_early(dir, status));
        }
        if let Ok(response) = http_get(&host, "/v2/", &[]) {
            // Our child is alive and the port was free when it started: a TLS registry's
            // refusal of plain HTTP is its answer.
            if probe.tls
                && response.status == 400
                && String::from_utf8_lossy(&response.body).contains("HTTPS server")
            {
                return Ok(());
            }
            if response.header(INSTANCE_HEADER) != Some(probe.instance) {
                return Err(Startup::PortTaken("answered by another server".to_owned()));
            }
            return match response.status {
                200 | 401 => Ok(()),
                status => Err(Startup::Failed(io::Error::other(format!(
                    "docker-registry on {host} answered GET /v2/ with {status}; log:\n{}",
                    log_tail(dir)
                )))),
            };
        }
        if Instant::now() >= deadline {
            return Err(Startup::Failed(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "docker-registry on {host} did not answer GET /v2/ within {} s; log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    log_tail(dir)
                ),
            )));
        }
        sleep(POLL_INTERVAL);
    }
}

fn exited_early(dir: &Path, status: ExitStatus) -> Startup {
    let tail = log_tail(dir);
    if tail.contains("address already in use") {
        Startup::PortTaken(tail)
    } else {
        Startup::Failed(io::Error::other(format!(
            "docker-registry exited ({status}) before answering GET /v2/; log:\n{tail}"
        )))
    }
}

fn log_tail(dir: &Path) -> String {
    match fs::read_to_string(dir.join("registry.log")) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(err) => format!("(cannot read registry.log: {err})"),
    }
}

/// SIGTERM, up to [`STOP_TIMEOUT`] for the process to exit, then SIGKILL; always reaps.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        if let Ok(pid) = i32::try_from(child.id()) {
            // An error here means the process is already gone; `wait` below reaps it.
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            sleep(POLL_INTERVAL);
        }
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
    }
    let _ = child.wait();
}

fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

fn unique_instance_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
