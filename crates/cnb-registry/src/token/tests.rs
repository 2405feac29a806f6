use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;

const REFRESH: &str = "refresh+token/with=odd chars";

#[test]
fn parses_bearer_challenges() {
    assert_eq!(
        parse_bearer_challenge(
            r#"Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a:pull""#
        ),
        Some(Challenge {
            realm: "https://auth.io/token".into(),
            service: Some("registry.io".into()),
        })
    );
    assert_eq!(
        parse_bearer_challenge("bearer realm=http://x/t, service=s"),
        Some(Challenge {
            realm: "http://x/t".into(),
            service: Some("s".into()),
        })
    );
    assert_eq!(parse_bearer_challenge(r#"Basic realm="registry""#), None);
    assert_eq!(parse_bearer_challenge(r#"Bearer service="s""#), None);
    assert_eq!(
        parse_bearer_challenge(r#"Bearer realm="unterminated"#),
        None
    );
}

#[test]
fn form_values_are_url_encoded() {
    assert_eq!(
        form_encode("repository:a/b:pull,push"),
        "repository%3Aa%2Fb%3Apull%2Cpush"
    );
    assert_eq!(form_encode("a b+c"), "a+b%2Bc");
}

/// A registry ping and a token service on one loopback port: `GET /v2/` answers 401 with a
/// bearer challenge; `POST /token` answers a token when the form carries [`REFRESH`].
fn token_service() -> (String, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let realm = format!("http://{host}/token");
    let handle = thread::spawn(move || {
        let mut forms = Vec::new();
        for stream in listener.incoming().take(4) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let answer = if line.starts_with("GET /v2/") {
                format!(
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{realm}\",service=\"fake\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else {
                let form = String::from_utf8(body).unwrap();
                let good = form.contains(&format!("refresh_token={}", form_encode(REFRESH)));
                forms.push(form);
                if good {
                    let json = r#"{"access_token":"access-123"}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    )
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_owned()
                }
            };
            stream.write_all(answer.as_bytes()).unwrap();
        }
        forms
    });
    (host, handle)
}

#[test]
fn exchanges_a_refresh_token_for_a_repository_scoped_access_token() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (host, server) = token_service();
    let transport = Transport {
        insecure_registries: vec![],
        request_timeout: Duration::from_secs(5),
        roots: Arc::new(vec![]),
        https_proxy: None,
        http_proxy: None,
        no_proxy: None,
    };
    let http = http_client(&transport).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = runtime
        .block_on(exchange(&http, &transport, &host, "team/app", REFRESH))
        .unwrap();
    assert_eq!(token, "access-123");
    let err = runtime
        .block_on(exchange(
            &http,
            &transport,
            &host,
            "team/app",
            "wrong-refresh",
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("answered 401"), "{err}");
    assert!(!err.contains("wrong-refresh"), "{err}");

    let forms = server.join().unwrap();
    assert_eq!(forms.len(), 2);
    for part in [
        "grant_type=refresh_token",
        "client_id=cnb-lifecycle",
        "service=fake",
        "scope=repository%3Ateam%2Fapp%3Apull%2Cpush",
    ] {
        assert!(forms[0].contains(part), "{part} not in {}", forms[0]);
    }
}
