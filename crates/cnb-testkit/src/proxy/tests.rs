use std::net::{TcpListener, TcpStream};

use super::*;

/// An upstream that answers every request with 201 after reading its body, and counts them.
fn upstream() -> (String, JoinHandle<usize>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let mut served = 0;
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming().take(3) {
            let stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let head = read_head(&mut reader).unwrap().unwrap();
            assert_eq!(head.header("connection"), Some("close"));
            let copied = copy_body(&head, &mut reader, &mut io::sink(), None);
            if matches!(copied, Ok(Copied::Whole(_))) {
                served += 1;
                let mut stream = stream;
                stream
                    .write_all(
                        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .unwrap();
            }
        }
        served
    });
    (host, handle)
}

fn send(host: &str, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The proxy may close before reading everything when it drops a request.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

#[test]
fn passes_requests_on_counts_body_bytes_and_injects_faults() {
    let (upstream, served) = upstream();
    let proxy = RegistryProxy::start(&upstream).unwrap();
    proxy.inject(Fault {
        method: "put".into(),
        path_contains: "/blobs/".into(),
        kind: FaultKind::Status(500),
        times: 1,
    });
    proxy.inject(Fault {
        method: "PATCH".into(),
        path_contains: "/uploads/".into(),
        kind: FaultKind::DropAfter(3),
        times: 1,
    });
    let host = proxy.host();

    let answer = send(
        &host,
        b"PUT /v2/a/blobs/x HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
    );
    assert!(
        answer.starts_with(b"HTTP/1.1 500"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let answer = send(
        &host,
        b"PATCH /v2/a/blobs/uploads/1 HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789",
    );
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    let chunked = b"PATCH /v2/a/blobs/uploads/2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let answer = send(&host, chunked);
    assert!(
        answer.starts_with(b"HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(answer.ends_with(b"ok"));

    let answer = send(
        &host,
        b"PUT /v2/a/blobs/y HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
    );
    assert!(
        answer.starts_with(b"HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let seen = proxy.requests();
    let summary: Vec<(&str, u64, Option<u16>)> = seen
        .iter()
        .map(|request| (request.method.as_str(), request.body_bytes, request.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("PUT", 0, Some(500)),
            ("PATCH", 3, None),
            ("PATCH", 11, Some(201)),
            ("PUT", 4, Some(201))
        ]
    );
    assert_eq!(proxy.body_bytes("/uploads/"), 14);
    proxy.clear();
    assert!(proxy.requests().is_empty());
    drop(proxy);
    assert_eq!(served.join().unwrap(), 2);
}

#[test]
fn dropping_the_proxy_stops_it() {
    let proxy = RegistryProxy::start("127.0.0.1:9").unwrap();
    let host = proxy.host();
    let idle = TcpStream::connect(&host).unwrap();
    drop(proxy);
    assert!(TcpStream::connect(&host).is_err());
    drop(idle);
}

/// An upstream answering one request with a body of `body`.
fn upstream_answering(body: &'static [u8]) -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        if let Some(Ok(stream)) = listener.incoming().next() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = read_head(&mut reader);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(body);
        }
    });
    host
}

#[test]
fn plays_a_hostile_registry_on_request() {
    let proxy = RegistryProxy::start(&upstream_answering(b"{\"a\":1}")).unwrap();
    let fault = |path: &str, kind: FaultKind| Fault {
        method: "GET".into(),
        path_contains: path.into(),
        kind,
        times: 1,
    };
    proxy.inject(fault(
        "/loop",
        FaultKind::Answer {
            status: 307,
            headers: vec![("Location".into(), "/loop".into())],
            body: b"again".to_vec(),
        },
    ));
    proxy.inject(fault(
        "/flood",
        FaultKind::Flood {
            content_type: "application/json".into(),
            bytes: 300_000,
        },
    ));
    proxy.inject(fault("/silent", FaultKind::Silence));
    proxy.inject(fault("/tampered", FaultKind::Tamper));
    let host = proxy.host();

    let answer = String::from_utf8(send(&host, b"GET /loop HTTP/1.1\r\n\r\n")).unwrap();
    assert!(answer.starts_with("HTTP/1.1 307"), "{answer}");
    assert!(answer.contains("Location: /loop\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nagain"), "{answer}");

    let flood = send(&host, b"GET /flood HTTP/1.1\r\n\r\n");
    let response = crate::http::parse_response(&flood).unwrap();
    assert_eq!(response.body.len(), 300_000);
    assert!(response.body.starts_with(b"{\"schemaVersion\":2"));
    assert!(response.body.ends_with(b"aaa\"}}"));

    let tampered = send(&host, b"GET /tampered HTTP/1.1\r\n\r\n");
    assert!(
        tampered.ends_with(b"{\"a\":1|"),
        "{}",
        String::from_utf8_lossy(&tampered)
    );

    let mut silent = TcpStream::connect(&host).unwrap();
    silent.write_all(b"GET /silent HTTP/1.1\r\n\r\n").unwrap();
    silent
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    let err = silent.read(&mut byte).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    // Dropping the proxy ends the silence.
    drop(proxy);
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(silent.read(&mut byte).unwrap_or(0), 0);
}

#[test]
fn held_requests_wait_for_the_release_before_or_after_the_registry_saw_them() {
    let (upstream, served) = upstream();
    let proxy = RegistryProxy::start(&upstream).unwrap();
    proxy.inject(Fault {
        method: "PUT".into(),
        path_contains: "/manifests/before".into(),
        kind: FaultKind::HoldRequest,
        times: 1,
    });
    proxy.inject(Fault {
        method: "PUT".into(),
        path_contains: "/manifests/after".into(),
        kind: FaultKind::HoldResponse,
        times: 1,
    });
    let host = proxy.host();
    let request = |tag: &str| {
        let host = host.clone();
        let text = format!("PUT /v2/a/manifests/{tag} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{{}}");
        thread::spawn(move || send(&host, text.as_bytes()))
    };

    let before = request("before");
    assert!(proxy.wait_held(1, Duration::from_secs(10)));
    assert!(!before.is_finished(), "answered while held");
    assert!(proxy.requests().is_empty(), "nothing reached the registry");
    proxy.release();
    assert!(
        before.join().unwrap().is_empty(),
        "a held request is dropped"
    );

    let after = request("after");
    assert!(proxy.wait_held(2, Duration::from_secs(10)));
    assert_eq!(
        proxy.requests().last().map(|seen| seen.status),
        Some(Some(201)),
        "the registry answered before the hold"
    );
    assert!(!after.is_finished(), "answered while held");
    proxy.release();
    assert!(after.join().unwrap().starts_with(b"HTTP/1.1 201"));

    // The upstream serves three connections: two more end its loop.
    for _ in 0..2 {
        let _ = send(&host, b"GET /v2/ HTTP/1.1\r\n\r\n");
    }
    drop(proxy);
    assert_eq!(
        served.join().unwrap(),
        3,
        "the held-before request never arrived"
    );
}
