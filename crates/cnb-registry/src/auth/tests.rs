use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;
use crate::transport::{Transport, http_client};

const REFRESH: &str = "refresh+token/with=odd chars";
const PASSWORD: &str = "pa55-w0rd";

/// One request a test token service got: its request line, its `Authorization` header, and
/// its body.
#[derive(Debug)]
struct Seen {
    line: String,
    authorization: Option<String>,
    body: String,
}

/// A token service on a loopback port answering `requests` requests with `answer`; returns
/// its host and what it saw.
fn token_service(
    requests: usize,
    answer: impl Fn(&Seen) -> String + Send + 'static,
) -> (String, thread::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let (mut length, mut authorization) = (0, None);
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                let lower = header.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if lower.starts_with("authorization:") {
                    authorization = Some(header[14..].trim().to_owned());
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request = Seen {
                line: line.trim().to_owned(),
                authorization,
                body: String::from_utf8(body).unwrap(),
            };
            let json = answer(&request);
            let status = if json.is_empty() {
                "401 Unauthorized"
            } else {
                "200 OK"
            };
            write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            )
            .unwrap();
            seen.push(request);
        }
        seen
    });
    (host, handle)
}

fn client() -> (reqwest::Client, tokio::runtime::Runtime) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = Transport {
        insecure_registries: vec![],
        request_timeout: Duration::from_secs(5),
        give_up_after: Duration::from_secs(5),
        roots: Arc::new(vec![]),
        https_proxy: None,
        http_proxy: None,
        no_proxy: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (http_client(&transport).unwrap(), runtime)
}

fn bearer(host: &str) -> Challenge {
    Challenge::Bearer {
        realm: format!("http://{host}/token"),
        service: Some("fake".into()),
    }
}

#[test]
fn scopes_name_the_repository_its_actions_and_mount_sources() {
    assert_eq!(Scope::pull("a/b").params(), ["repository:a/b:pull"]);
    assert_eq!(Scope::push("a/b").params(), ["repository:a/b:pull,push"]);
    assert_eq!(
        Scope::mount("a/b", "c").params(),
        ["repository:a/b:pull,push", "repository:c:pull"]
    );
}

#[test]
fn an_identity_token_is_exchanged_once_per_scope_and_renewed_when_refused() {
    let (http, runtime) = client();
    let (host, server) = token_service(3, |seen| {
        if seen
            .body
            .contains(&format!("refresh_token={}", form_encode(REFRESH)))
        {
            r#"{"access_token":"access-123","expires_in":300}"#.to_owned()
        } else {
            String::new()
        }
    });
    let auth = Auth::new(&host, Credential::IdentityToken(REFRESH.into()));
    assert!(auth.learn(Some(bearer(&host))));
    let timeout = Duration::from_secs(5);
    let header = |scope: &Scope| {
        runtime
            .block_on(auth.header(&http, timeout, scope))
            .unwrap()
            .map(|secret| secret.0)
    };
    let push = Scope::push("team/app");
    assert_eq!(header(&push).as_deref(), Some("Bearer access-123"));
    // Cached: the same scope, and a pull of the same repository, ask nothing.
    assert_eq!(header(&push).as_deref(), Some("Bearer access-123"));
    assert_eq!(
        header(&Scope::pull("team/app")).as_deref(),
        Some("Bearer access-123")
    );
    // A refused token is forgotten; the next request asks again.
    assert!(auth.refused(&push));
    assert!(!auth.refused(&push));
    assert_eq!(header(&push).as_deref(), Some("Bearer access-123"));
    // Another repository is another scope.
    assert_eq!(
        header(&Scope::pull("team/other")).as_deref(),
        Some("Bearer access-123")
    );

    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    for part in [
        "grant_type=refresh_token",
        "client_id=cnb-lifecycle",
        "service=fake",
        "scope=repository%3Ateam%2Fapp%3Apull%2Cpush",
    ] {
        assert!(seen[0].body.contains(part), "{part} not in {seen:#?}");
    }
    assert!(seen[0].line.starts_with("POST /token"), "{seen:#?}");
    assert!(
        seen[2]
            .body
            .contains("scope=repository%3Ateam%2Fother%3Apull&"),
        "{seen:#?}"
    );
}

#[test]
fn basic_credentials_get_a_token_and_a_refusal_says_so_without_the_secret() {
    let (http, runtime) = client();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("cnb:{PASSWORD}"))
    );
    let (host, server) = token_service(2, move |seen| {
        if seen.authorization.as_deref() == Some(expected.as_str()) {
            r#"{"token":"tok-456"}"#.to_owned()
        } else {
            String::new()
        }
    });
    let good = Auth::new(
        &host,
        Credential::Basic {
            username: "cnb".into(),
            password: PASSWORD.into(),
        },
    );
    good.learn(Some(bearer(&host)));
    let timeout = Duration::from_secs(5);
    let header = runtime
        .block_on(good.header(&http, timeout, &Scope::pull("team/app")))
        .unwrap()
        .unwrap();
    assert_eq!(header.0, "Bearer tok-456");
    assert_eq!(format!("{header:?}"), "<redacted>");
    assert_eq!(
        good.redact(&format!("echo {PASSWORD} and tok-456")),
        "echo <redacted> and <redacted>"
    );
    assert!(!format!("{good:?}").contains(PASSWORD));

    let wrong = Auth::new(
        &host,
        Credential::Basic {
            username: "cnb".into(),
            password: "wrong-s3cret".into(),
        },
    );
    wrong.learn(Some(bearer(&host)));
    let err = runtime
        .block_on(wrong.header(&http, timeout, &Scope::pull("team/app")))
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(text.contains("answered 401"), "{text}");
    assert!(!text.contains("wrong-s3cret"), "{text}");

    let seen = server.join().unwrap();
    assert!(
        seen[0]
            .line
            .starts_with("GET /token?service=fake&scope=repository%3Ateam%2Fapp%3Apull "),
        "{seen:#?}"
    );
}

#[test]
fn basic_challenges_get_the_credentials_and_open_registries_nothing() {
    let (http, runtime) = client();
    let timeout = Duration::from_secs(5);
    let basic = Auth::new(
        "r.io",
        Credential::Basic {
            username: "u".into(),
            password: "p".into(),
        },
    );
    let scope = Scope::pull("a");
    let header = |auth: &Auth| {
        runtime
            .block_on(auth.header(&http, timeout, &scope))
            .unwrap()
            .map(|secret| secret.0)
    };
    assert_eq!(header(&basic), None, "nothing asked yet");
    assert!(basic.learn(Some(Challenge::Basic)));
    assert!(!basic.learn(Some(Challenge::Basic)));
    assert_eq!(header(&basic).as_deref(), Some("Basic dTpw"));
    let fixed = Auth::new("r.io", Credential::Bearer("static".into()));
    assert!(fixed.has_static_token());
    assert_eq!(header(&fixed).as_deref(), Some("Bearer static"));
    let anonymous = Auth::new("r.io", Credential::Anonymous);
    anonymous.learn(Some(Challenge::Basic));
    assert_eq!(header(&anonymous), None);
}

#[test]
fn form_values_are_url_encoded() {
    assert_eq!(
        form_encode("repository:a/b:pull,push"),
        "repository%3Aa%2Fb%3Apull%2Cpush"
    );
    assert_eq!(form_encode("a b+c"), "a+b%2Bc");
}
