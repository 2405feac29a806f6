//! Just enough HTTP/1.1 for the proxy: a request head, and a request body copied by
//! `Content-Length` or chunked framing, counted, and cut on request.

use std::io::{self, BufRead, Read, Write};

use super::COPY_BUFFER;

/// The request line and headers of one request.
pub(super) struct Head {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
}

impl Head {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub(super) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
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

/// The head as received, but asking the upstream to close the connection after answering.
pub(super) fn write_head(server: &mut impl Write, head: &Head) -> io::Result<()> {
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

pub(super) enum Copied {
    Whole(u64),
    Cut(u64),
}

/// The connection broke after this many body bytes.
pub(super) struct Cut(pub(super) u64);

/// Copies the request body (by `Content-Length`, or chunked with its framing), counting the
/// payload bytes; with `limit`, stops after that many and reports the cut.
pub(super) fn copy_body(
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
