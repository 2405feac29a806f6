//! The proxy's hostile answers, given in the registry's place or made from its answer: a
//! crafted status, headers and body; a flood of bytes where a manifest belongs; silence on
//! an accepted connection; and the registry's answer with one body byte changed.

use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use super::stream::Stream;
use super::wire::Head;
use super::{FaultKind, SeenRequest, Shared, lock};

/// Bytes per chunk of a flood.
const FLOOD_CHUNK: usize = 64 * 1024;
/// How often a silent connection checks whether the proxy is being dropped.
const SILENCE_POLL: Duration = Duration::from_millis(20);

/// Whether the proxy answers `kind` itself, without asking the registry.
pub(super) fn answers_itself(kind: &FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::Status(_)
            | FaultKind::Answer { .. }
            | FaultKind::Flood { .. }
            | FaultKind::Silence
    )
}

/// Answers `kind` on `client` (the request's body has been read), and records `seen`.
pub(super) fn answer(
    kind: &FaultKind,
    client: &mut Stream,
    shared: &Shared,
    mut seen: SeenRequest,
) -> io::Result<()> {
    match kind {
        FaultKind::Status(status) => {
            seen.status = Some(*status);
            lock(&shared.seen).push(seen);
            write!(
                client,
                "HTTP/1.1 {status} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        FaultKind::Answer {
            status,
            headers,
            body,
        } => {
            seen.status = Some(*status);
            lock(&shared.seen).push(seen);
            let mut head = Vec::new();
            write!(head, "HTTP/1.1 {status} Crafted\r\n")?;
            for (name, value) in headers {
                write!(head, "{name}: {value}\r\n")?;
            }
            write!(
                head,
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            client.write_all(&head)?;
            client.write_all(body)
        }
        FaultKind::Flood {
            content_type,
            bytes,
        } => {
            seen.status = Some(200);
            lock(&shared.seen).push(seen);
            flood(client, content_type, *bytes)
        }
        FaultKind::Silence => {
            lock(&shared.seen).push(seen);
            while !shared.stop.load(Ordering::SeqCst) {
                thread::sleep(SILENCE_POLL);
            }
            Ok(())
        }
        FaultKind::DropAfter(_)
        | FaultKind::CutResponseAfter(_)
        | FaultKind::Tamper
        | FaultKind::HoldRequest
        | FaultKind::HoldResponse
        | FaultKind::Throttle(_) => Ok(()),
    }
}

/// `200` with a chunked body of `bytes` bytes: a JSON object whose one string runs on and
/// on. Stops quietly when the client hangs up.
fn flood(client: &mut Stream, content_type: &str, bytes: u64) -> io::Result<()> {
    write!(
        client,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )?;
    let result = flood_body(client, bytes);
    // A client that refuses the flood closes the connection: that is the point.
    match result {
        Err(err)
            if err.kind() != io::ErrorKind::BrokenPipe
                && err.kind() != io::ErrorKind::ConnectionReset =>
        {
            Err(err)
        }
        _ => Ok(()),
    }
}

fn flood_body(client: &mut Stream, bytes: u64) -> io::Result<()> {
    fn send(client: &mut Stream, piece: &[u8]) -> io::Result<()> {
        write!(client, "{:x}\r\n", piece.len())?;
        client.write_all(piece)?;
        client.write_all(b"\r\n")
    }
    let opening = br#"{"schemaVersion":2,"annotations":{"pad":""#;
    let closing = br#""}}"#;
    let filler = vec![b'a'; FLOOD_CHUNK];
    let mut left = bytes.saturating_sub((opening.len() + closing.len()) as u64);
    send(client, opening)?;
    while left > 0 {
        let len = usize::try_from(left.min(FLOOD_CHUNK as u64)).unwrap_or(FLOOD_CHUNK);
        send(client, &filler[..len])?;
        left -= len as u64;
    }
    send(client, closing)?;
    client.write_all(b"0\r\n\r\n")
}

/// With a token service: its answer for `/token`, or a `401` challenge for a request without
/// the access token.
pub(super) fn token_gate(shared: &Shared, head: &Head) -> Option<FaultKind> {
    let (realm, token) = shared.token.as_ref()?;
    if head.path.starts_with("/token") {
        return Some(FaultKind::Answer {
            status: 200,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: format!("{{\"token\":\"{token}\",\"expires_in\":300}}").into_bytes(),
        });
    }
    let bearer = head
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "));
    (bearer != Some(token.as_str())).then(|| FaultKind::Answer {
        status: 401,
        headers: vec![(
            "WWW-Authenticate".to_owned(),
            format!("Bearer realm=\"{realm}\",service=\"cnb-testkit\""),
        )],
        body: br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
            .to_vec(),
    })
}

/// Passes the rest of the registry's answer on (its status line has been sent) with the last
/// byte of its body changed, so that it no longer matches its digest. Needs a
/// `Content-Length` answer, as Distribution gives for manifests and blobs.
pub(super) fn tamper(response: &mut impl BufRead, client: &mut Stream) -> io::Result<()> {
    let mut head = Vec::new();
    let mut length = 0u64;
    loop {
        let mut line = String::new();
        if response.read_line(&mut line)? == 0 {
            break;
        }
        if let Some(value) = line
            .to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(str::trim)
        {
            length = value.parse().unwrap_or(0);
        }
        head.extend_from_slice(line.as_bytes());
        if line.trim_end().is_empty() {
            break;
        }
    }
    let mut body = Vec::new();
    response.take(length).read_to_end(&mut body)?;
    if let Some(last) = body.last_mut() {
        *last ^= 0x01;
    }
    client.write_all(&head)?;
    client.write_all(&body)
}
