//! [`RegistryProxy`]: a small HTTP/1.1 proxy on a free loopback port in front of a registry,
//! which records every request with the body bytes it passed on, and injects faults on
//! request: a status answered in the registry's place, or a connection dropped mid-body.
//!
//! One thread per connection, one request per connection (the proxy asks the registry for
//! `Connection: close`, so the client opens a new connection for its next request). At most
//! [`MAX_CONNECTIONS`] at a time; sockets time out after [`IO_TIMEOUT`]; dropping the proxy
//! shuts every socket down and joins every thread.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Read and write timeout of every socket.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);
const COPY_BUFFER: usize = 64 * 1024;

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
    faults: Mutex<Vec<Fault>>,
    seen: Mutex<Vec<SeenRequest>>,
    sockets: Mutex<BTreeMap<u64, TcpStream>>,
}

/// A recording, fault-injecting proxy on `127.0.0.1:<free port>` in front of `upstream`.
pub struct RegistryProxy {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl RegistryProxy {
    /// Starts a proxy to `upstream` (`host:port`, plain HTTP).
    pub fn start(upstream: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let upstream = upstream.to_owned();
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || accept_loop(&listener, &upstream, &shared))
        };
        Ok(Self {
            port,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// `127.0.0.1:<port>`, the registry part of references that go through the proxy.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
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
}

impl Drop for RegistryProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(
    listener: &TcpListener,
    upstream: &str,
    shared: &Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id = 0u64;
    for client in listener.incoming() {
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
        let (id, upstream, shared) = (next_id, upstream.to_owned(), Arc::clone(shared));
        workers.push(thread::spawn(move || {
            let _ = serve(id, client, &upstream, &shared);
            lock(&shared.sockets).remove(&id);
        }));
    }
    workers
}

/// The request line and headers of one request.
struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn serve(id: u64, client: TcpStream, upstream: &str, shared: &Shared) -> io::Result<()> {
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
    let fault = take_fault(shared, &head);
    let mut seen = SeenRequest {
        method: head.method.clone(),
        path: head.path.clone(),
        body_bytes: 0,
        status: None,
    };
    if let Some(FaultKind::Status(status)) = fault {
        copy_body(&head, &mut reader, &mut io::sink(), None)
            .map_err(|Cut(_)| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        seen.status = Some(status);
        lock(&shared.seen).push(seen);
        write!(
            client,
            "HTTP/1.1 {status} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(());
    }
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(IO_TIMEOUT))?;
    server.set_write_timeout(Some(IO_TIMEOUT))?;
    lock(&shared.sockets).insert(id + (1 << 63), server.try_clone()?);
    write_head(&mut server, &head)?;
    let limit = match fault {
        Some(FaultKind::DropAfter(bytes)) => Some(bytes),
        _ => None,
    };
    let copied = copy_body(&head, &mut reader, &mut server, limit);
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
    let mut response = BufReader::new(server);
    let mut status_line = String::new();
    response.read_line(&mut status_line)?;
    seen.status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok());
    client.write_all(status_line.as_bytes())?;
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
    client.write_all(&rest)?;
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

fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad request line",
        ));
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let text = line.trim_end();
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Ok(Some(Head {
        method,
        path,
        headers,
    }))
}

/// The head as received, but asking the registry to close the connection after answering.
fn write_head(server: &mut TcpStream, head: &Head) -> io::Result<()> {
    let mut text = Vec::new();
    write!(text, "{} {} HTTP/1.1\r\n", head.method, head.path)?;
    for (name, value) in &head.headers {
        if !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("keep-alive") {
            write!(text, "{name}: {value}\r\n")?;
        }
    }
    text.extend_from_slice(b"Connection: close\r\n\r\n");
    server.write_all(&text)
}

enum Copied {
    Whole(u64),
    Cut(u64),
}

/// The connection broke after this many body bytes.
struct Cut(u64);

/// Copies the request body (by `Content-Length`, or chunked with its framing), counting the
/// payload bytes; with `limit`, stops after that many and reports the cut.
fn copy_body(
    head: &Head,
    reader: &mut impl BufRead,
    out: &mut impl Write,
    limit: Option<u64>,
) -> Result<Copied, Cut> {
    let mut counted = 0u64;
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"));
    if !chunked {
        let length = head
            .header("content-length")
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0);
        return copy_exact(reader, out, length, &mut counted, limit).map(|()| {
            if limit.is_some_and(|limit| counted >= limit && counted < length) {
                Copied::Cut(counted)
            } else {
                Copied::Whole(counted)
            }
        });
    }
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).map_err(|_| Cut(counted))?;
        out.write_all(size_line.as_bytes())
            .map_err(|_| Cut(counted))?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_hex, 16).map_err(|_| Cut(counted))?;
        if size == 0 {
            // Trailers end with an empty line.
            let mut trailer = String::new();
            while reader.read_line(&mut trailer).map_err(|_| Cut(counted))? > 0 {
                out.write_all(trailer.as_bytes())
                    .map_err(|_| Cut(counted))?;
                if trailer.trim_end().is_empty() {
                    break;
                }
                trailer.clear();
            }
            return Ok(Copied::Whole(counted));
        }
        copy_exact(reader, out, size, &mut counted, limit)?;
        if limit.is_some_and(|limit| counted >= limit) {
            return Ok(Copied::Cut(counted));
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).map_err(|_| Cut(counted))?;
        out.write_all(&crlf).map_err(|_| Cut(counted))?;
    }
}

/// Copies `length` bytes, or fewer when `limit` (over the whole body) is reached first.
fn copy_exact(
    reader: &mut impl Read,
    out: &mut impl Write,
    length: u64,
    counted: &mut u64,
    limit: Option<u64>,
) -> Result<(), Cut> {
    let mut left = length;
    let mut buffer = vec![0u8; COPY_BUFFER];
    while left > 0 {
        let allowed = limit.map_or(u64::MAX, |limit| limit.saturating_sub(*counted));
        if allowed == 0 {
            return Ok(());
        }
        let want = left.min(allowed).min(COPY_BUFFER as u64);
        let want = usize::try_from(want).unwrap_or(COPY_BUFFER);
        let read = reader
            .read(&mut buffer[..want])
            .map_err(|_| Cut(*counted))?;
        if read == 0 {
            return Err(Cut(*counted));
        }
        out.write_all(&buffer[..read]).map_err(|_| Cut(*counted))?;
        out.flush().map_err(|_| Cut(*counted))?;
        *counted += read as u64;
        left -= read as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
