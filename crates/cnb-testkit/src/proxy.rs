//! [`RegistryProxy`]: a small HTTP/1.1 proxy on a free loopback port in front of a registry,
//! [`RegistryProxy`]: a small HTTP/1.1 proxy on a free loopback port in front of a registry,
//! or on a unix socket in front of a Docker daemon's ([`RegistryProxy::start_unix`]), which
//! records every request with the body bytes it passed on, and injects faults on request: a
//! status answered in the upstream's place, a connection dropped mid-body, or a request held
//! (before it reaches the upstream, or after it did but before its answer reaches the client)
//! until the test releases it, so a test can kill the client right there; or a request and
//! its answer passed on slowly, as over a slow link.
//!
//! One thread per connection, one request per connection (the proxy asks the upstream for
//! `Connection: close`, so the client opens a new connection for its next request). At most
//! [`MAX_CONNECTIONS`] at a time; sockets time out after [`IO_TIMEOUT`]; dropping the proxy
//! shuts every socket down and joins every thread.
//!
//! It also plays a hostile registry on request (see `crafted.rs`): crafted answers (a
//! redirect to itself, a challenge naming a token service that fails), a flood where a
//! manifest belongs, silence on an accepted connection, the registry's answer with one byte
//! changed.
//!
//! [`RegistryProxy::with_token_auth`] (and [`RegistryProxy::with_token_service`], with a
//! token of the test's choosing) makes an open registry behave like one behind a token
//! service (Docker Hub, GHCR): `GET /v2/` and every request without the access token get a
//! `401` with a `Bearer` challenge whose realm is the proxy's own `/token`, which hands the
//! access token ([`TOKEN`]) to anyone (`GET`, or an `OAuth2` refresh-token `POST`).

mod crafted;
mod hold;
mod stream;
mod throttle;
mod wire;

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hold::Holds;

/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Read and write timeout of every socket.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);
const COPY_BUFFER: usize = 64 * 1024;
/// The bearer token a proxy started with [`RegistryProxy::with_token_auth`] hands out.
pub const TOKEN: &str = "cnb-testkit-token";

/// What the proxy does to a matching request instead of passing it on whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status (and an empty body) without asking the registry.
    Status(u16),
    /// Pass on this many body bytes, then close both connections without an answer.
    DropAfter(u64),
    /// Pass the request on whole, then only this many bytes of the answer (status line and
    /// headers included) before closing both connections.
    CutResponseAfter(u64),
    /// Answer with this status, these headers and this body without asking the registry.
    Answer {
        /// The status.
        status: u16,
        /// Header fields (`Content-Length` is added).
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// Answer `200` with a chunked body of this many bytes (a JSON object with one endless
    /// string) without asking the registry; stop when the client hangs up.
    Flood {
        /// The `Content-Type`.
        content_type: String,
        /// How many bytes.
        bytes: u64,
    },
    /// Read the request, then never answer (until the proxy is dropped).
    Silence,
    /// Pass the request on, and the registry's answer back with the last byte of its body
    /// changed (a `Content-Length` answer).
    Tamper,
    /// Hold the request before anything of it reaches the registry, until
    /// [`RegistryProxy::release`]; then close both connections: the registry never sees it.
    HoldRequest,
    /// Pass the request on whole and read the registry's answer, then hold that answer until
    /// [`RegistryProxy::release`] before passing it on: the registry has acted on the request
    /// while the client still waits.
    HoldResponse,
    /// Pass the request body on, then the registry's answer back, at most this many bytes
    /// per second each: a slow link, for transfers that take seconds.
    Throttle(u64),
}

/// A fault for the next `times` requests whose method is `method` and whose path contains
/// `path_contains`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `PATCH`, `PUT`, … (compared case-insensitively).
    pub method: String,
    /// A substring of the request path, such as `/blobs/uploads/`.
    pub path_contains: String,
    /// What to do.
    pub kind: FaultKind,
    /// How many matching requests it applies to.
    pub times: u32,
}

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The method.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// Body bytes passed on to the registry.
    pub body_bytes: u64,
    /// The status the client got, or `None` when the connection was dropped.
    pub status: Option<u16>,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// `(realm, access token)` when requests need a token from the proxy's token service.
    token: Option<(String, String)>,
    faults: Mutex<Vec<Fault>>,
    seen: Mutex<Vec<SeenRequest>>,
    sockets: Mutex<BTreeMap<u64, Stream>>,
    holds: Holds,
    /// Connections being served.
    active: AtomicUsize,
}

/// A recording, fault-injecting proxy on `127.0.0.1:<free port>` (or a unix socket) in front
/// of `upstream`.
pub struct RegistryProxy {
    listen: Endpoint,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
    /// Holds the unix socket of [`RegistryProxy::start_unix`].
    _dir: Option<tempfile::TempDir>,
}

impl RegistryProxy {
    /// Starts a proxy to `upstream` (`host:port`, plain HTTP).
    pub fn start(upstream: &str) -> io::Result<Self> {
        Self::spawn(upstream, None)
    }

    /// Starts a proxy to `upstream` that asks for a bearer token from its own token
    /// endpoint, as registries behind a token server do (see the module docs).
    pub fn with_token_auth(upstream: &str) -> io::Result<Self> {
        Self::spawn(upstream, Some(TOKEN))
    }

    /// [`RegistryProxy::with_token_auth`], handing out `access_token` instead of [`TOKEN`].
    pub fn with_token_service(upstream: &str, access_token: &str) -> io::Result<Self> {
        Self::spawn(upstream, Some(access_token))
    }

    fn spawn(upstream: &str, access_token: Option<&str>) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let address = listener.local_addr()?;
        let token = access_token.map(|token| (format!("http://{address}/token"), token.to_owned()));
        Ok(Self::serve_on(
            Listener::Tcp(listener),
            Endpoint::Tcp(address.to_string()),
            Endpoint::Tcp(upstream.to_owned()),
            None,
            token,
        ))
    }

    /// Starts a proxy on a unix socket of its own (mode 0666, so that a process that dropped
    /// root can dial it again) to the unix socket `upstream`, such as a Docker daemon's.
    pub fn start_unix(upstream: &Path) -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-proxy-")
            .tempdir_in("/tmp")?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let socket = dir.path().join("proxy.sock");
        let listener = UnixListener::bind(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666))?;
        Ok(Self::serve_on(
            Listener::Unix(listener),
            Endpoint::Unix(socket),
            Endpoint::Unix(upstream.to_owned()),
            Some(dir),
            None,
        ))
    }

    fn serve_on(
        listener: Listener,
        listen: Endpoint,
        upstream: Endpoint,
        dir: Option<tempfile::TempDir>,
        token: Option<(String, String)>,
    ) -> Self {
        let shared = Arc::new(Shared {
            token,
            ..Shared::default()
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || accept_loop(&listener, &upstream, &shared))
        };
        Self {
            listen,
            shared,
            acceptor: Some(acceptor),
            _dir: dir,
        }
    }

    /// `127.0.0.1:<port>`, the registry part of references that go through the proxy; for a
    /// unix proxy, `unix://<socket>` (a `DOCKER_HOST`).
    pub fn host(&self) -> String {
        match &self.listen {
            Endpoint::Tcp(address) => address.clone(),
            Endpoint::Unix(path) => format!("unix://{}", path.display()),
        }
    }

    /// The unix socket of a proxy from [`RegistryProxy::start_unix`].
    pub fn socket(&self) -> Option<PathBuf> {
        match &self.listen {
            Endpoint::Unix(path) => Some(path.clone()),
            Endpoint::Tcp(_) => None,
        }
    }

    /// Adds a fault; faults are tried in the order added.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Every request seen so far, in the order they ended.
    pub fn requests(&self) -> Vec<SeenRequest> {
        lock(&self.shared.seen).clone()
    }

    /// Body bytes passed on in requests whose path contains `path_contains`.
    pub fn body_bytes(&self, path_contains: &str) -> u64 {
        lock(&self.shared.seen)
            .iter()
            .filter(|request| request.path.contains(path_contains))
            .map(|request| request.body_bytes)
            .sum()
    }

    /// Forgets the requests seen so far.
    pub fn clear(&self) {
        lock(&self.shared.seen).clear();
    }

    /// Whether `count` requests in all (since the proxy started) were held by
    /// [`FaultKind::HoldRequest`] or [`FaultKind::HoldResponse`] within `timeout`.
    pub fn wait_held(&self, count: usize, timeout: Duration) -> bool {
        self.shared.holds.wait_held(count, timeout)
    }

    /// Lets every request held so far go on.
    pub fn release(&self) {
        self.shared.holds.release();
    }

    /// Whether every connection was served to its end within `timeout`. A client killed
    /// mid-request may leave one whose request still reaches the registry: a test that checks
    /// what the registry holds after the kill waits for that first.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.shared.active.load(Ordering::SeqCst) > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

impl Drop for RegistryProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.holds.stop();
        // Wake the blocking accept.
        let _ = self.listen.connect();
        for socket in lock(&self.shared.sockets).values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        if let Some(acceptor) = self.acceptor.take() {
            for worker in acceptor.join().unwrap_or_default() {
                let _ = worker.join();
            }
        }
    }
}

use stream::{Endpoint, Listener, Stream};
use throttle::Throttled;
use wire::{Copied, Cut, Head, copy_body, read_head, write_head};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(
    listener: &Listener,
    upstream: &Endpoint,
    shared: &Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id = 0u64;
    loop {
        let client = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(client) = client else { continue };
        workers.retain(|worker| !worker.is_finished());
        if workers.len() >= MAX_CONNECTIONS {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        next_id += 1;
        let (id, upstream, shared) = (next_id, upstream.clone(), Arc::clone(shared));
        shared.active.fetch_add(1, Ordering::SeqCst);
        workers.push(thread::spawn(move || {
            let _ = serve(id, client, &upstream, &shared);
            lock(&shared.sockets).remove(&id);
            shared.active.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    workers
}

fn serve(id: u64, client: Stream, upstream: &Endpoint, shared: &Shared) -> io::Result<()> {
    client.set_read_timeout(Some(IO_TIMEOUT))?;
    client.set_write_timeout(Some(IO_TIMEOUT))?;
    lock(&shared.sockets).insert(id, client.try_clone()?);
    if shared.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some(head) = read_head(&mut reader)? else {
        return Ok(());
    };
    let fault = take_fault(shared, &head).or_else(|| crafted::token_gate(shared, &head));
    let mut seen = SeenRequest {
        method: head.method.clone(),
        path: head.path.clone(),
        body_bytes: 0,
        status: None,
    };
    if let Some(kind) = fault.as_ref().filter(|kind| crafted::answers_itself(kind)) {
        copy_body(&head, &mut reader, &mut io::sink(), None)
            .map_err(|Cut(_)| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        return crafted::answer(kind, &mut client, shared, seen);
    }
    if fault == Some(FaultKind::HoldRequest) {
        shared.holds.hold();
        lock(&shared.seen).push(seen);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let mut server = upstream.connect()?;
    server.set_read_timeout(Some(IO_TIMEOUT))?;
    server.set_write_timeout(Some(IO_TIMEOUT))?;
    lock(&shared.sockets).insert(id + (1 << 63), server.try_clone()?);
    write_head(&mut server, &head)?;
    let limit = match fault {
        Some(FaultKind::DropAfter(bytes)) => Some(bytes),
        _ => None,
    };
    let copied = match fault {
        Some(FaultKind::Throttle(rate)) => copy_body(
            &head,
            &mut reader,
            &mut Throttled::new(&mut server, rate),
            limit,
        ),
        _ => copy_body(&head, &mut reader, &mut server, limit),
    };
    lock(&shared.sockets).remove(&(id + (1 << 63)));
    seen.body_bytes = match copied {
        Ok(Copied::Whole(bytes)) => bytes,
        Ok(Copied::Cut(bytes)) | Err(Cut(bytes)) => {
            seen.body_bytes = bytes;
            lock(&shared.seen).push(seen);
            let _ = server.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
    };
    relay_answer(server, client, seen, fault.as_ref(), shared)
}

/// Passes the registry's answer on to the client, cut or held as `fault` says, and records
/// the request.
fn relay_answer(
    server: Stream,
    mut client: Stream,
    mut seen: SeenRequest,
    fault: Option<&FaultKind>,
    shared: &Shared,
) -> io::Result<()> {
    let mut response = BufReader::new(server);
    let mut status_line = String::new();
    response.read_line(&mut status_line)?;
    seen.status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok());
    if fault == Some(&FaultKind::HoldResponse) {
        let mut rest = Vec::new();
        response.read_to_end(&mut rest)?;
        lock(&shared.seen).push(seen);
        shared.holds.hold();
        client.write_all(status_line.as_bytes())?;
        client.write_all(&rest)?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    client.write_all(status_line.as_bytes())?;
    if fault == Some(&FaultKind::Tamper) {
        lock(&shared.seen).push(seen);
        crafted::tamper(&mut response, &mut client)?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    if let Some(FaultKind::CutResponseAfter(bytes)) = fault {
        let rest = bytes.saturating_sub(status_line.len() as u64);
        io::copy(&mut (&mut response).take(rest), &mut client)?;
        lock(&shared.seen).push(seen);
        let _ = response.get_ref().shutdown(Shutdown::Both);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    // Recorded before the client sees the end of the answer, so a test that has its answer
    // also finds the request in the log.
    let mut rest = Vec::new();
    response.read_to_end(&mut rest)?;
    lock(&shared.seen).push(seen);
    match fault {
        Some(FaultKind::Throttle(rate)) => Throttled::new(&mut client, *rate).write_all(&rest)?,
        _ => client.write_all(&rest)?,
    }
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}

fn take_fault(shared: &Shared, head: &Head) -> Option<FaultKind> {
    let mut faults = lock(&shared.faults);
    let fault = faults.iter_mut().find(|fault| {
        fault.times > 0
            && fault.method.eq_ignore_ascii_case(&head.method)
            && head.path.contains(&fault.path_contains)
    })?;
    fault.times -= 1;
    Some(fault.kind.clone())
}

#[cfg(test)]
mod tests;
