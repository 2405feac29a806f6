use std::path::{Path, PathBuf};

use super::*;

#[test]
fn plain_http_only_where_go_containerregistry_allows_it_or_the_platform_asks() {
    let insecure = vec![
        "registry.corp:5000".to_owned(),
        "https://mirror.corp/v2/".to_owned(),
    ];
    let table = [
        ("127.0.0.1", Scheme::Http),
        ("127.0.0.1:5000", Scheme::Http),
        ("localhost:5000", Scheme::Http),
        ("registry.localhost", Scheme::Http),
        ("registry.localhost:443", Scheme::Http),
        ("registry.local", Scheme::Http),
        ("registry.local:5000", Scheme::Http),
        ("::1", Scheme::Http),
        ("[::1]:5000", Scheme::Http),
        ("10.1.2.3", Scheme::Http),
        ("172.16.0.1:5000", Scheme::Http),
        ("172.31.255.255", Scheme::Http),
        ("192.168.1.10:80", Scheme::Http),
        ("registry.corp:5000", Scheme::Http),
        ("mirror.corp", Scheme::Http),
        // everything else is HTTPS, as in Go
        ("localhost", Scheme::Https),
        ("127.0.0.2:5000", Scheme::Https),
        ("127.0.0.1:123456", Scheme::Https),
        ("172.32.0.1", Scheme::Https),
        ("192.169.0.1", Scheme::Https),
        ("11.0.0.1", Scheme::Https),
        ("registry.local.example.com", Scheme::Https),
        ("localhost.example.com", Scheme::Https),
        ("registry.corp", Scheme::Https),
        ("index.docker.io", Scheme::Https),
        ("gcr.io", Scheme::Https),
    ];
    for (registry, scheme) in table {
        assert_eq!(scheme_for(registry, &insecure), scheme, "{registry}");
    }
}

#[test]
fn loads_system_roots_plus_ssl_cert_file_and_skips_junk() {
    let dir = tempfile::tempdir().unwrap();
    let system = load_roots(&Environment::default()).unwrap();
    let extra_file = dir.path().join("extra.pem");
    // Debian's bundle holds certificates that are all valid roots; take two as "custom" ones,
    // with junk around them.
    let bundle = std::fs::read_to_string(SYSTEM_CERT_FILES[0]).unwrap_or_default();
    let first_two: String = bundle
        .split_inclusive("-----END CERTIFICATE-----\n")
        .take(2)
        .collect();
    std::fs::write(&extra_file, format!("junk\n{first_two}\nmore junk\n")).unwrap();
    let env = Environment {
        ssl_cert_file: Some(extra_file),
        ssl_cert_dir: Some(format!("{}:/nonexistent", dir.path().display())),
        ..Environment::default()
    };
    let with_extra = load_roots(&env).unwrap();
    assert!(with_extra.len() >= system.len());
    assert!(system.iter().all(|root| with_extra.contains(root)));

    let missing = Environment {
        ssl_cert_file: Some(dir.path().join("absent.pem")),
        ..Environment::default()
    };
    let err = load_roots(&missing).unwrap_err();
    assert!(
        err.to_string().starts_with("reading CA certificates"),
        "{err}"
    );
}

/// A fresh self-signed CA (openssl), as PEM.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(format!("{name}.key"));
    let cert = dir.join(format!("{name}.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    cert
}

#[test]
fn custom_cas_from_ssl_cert_file_and_dir_are_trusted_besides_the_system_roots() {
    let dir = tempfile::tempdir().unwrap();
    let file_ca = make_ca(dir.path(), "file-ca");
    let ca_dir = dir.path().join("cas");
    std::fs::create_dir(&ca_dir).unwrap();
    let dir_ca = make_ca(&ca_dir, "dir-ca");
    let file_der = read_certs(&file_ca).unwrap().remove(0);
    let dir_der = read_certs(&dir_ca).unwrap().remove(0);

    let system = load_roots(&Environment::default()).unwrap();
    assert!(!system.contains(&file_der) && !system.contains(&dir_der));
    let roots = load_roots(&Environment {
        ssl_cert_file: Some(file_ca),
        ssl_cert_dir: Some(ca_dir.display().to_string()),
        ..Environment::default()
    })
    .unwrap();
    assert!(roots.contains(&file_der), "SSL_CERT_FILE root missing");
    assert!(roots.contains(&dir_der), "SSL_CERT_DIR root missing");
    assert!(
        system.iter().all(|root| roots.contains(root)),
        "system roots lost"
    );
    assert_eq!(roots.len(), system.len() + 2);
}

#[test]
fn proxies_come_only_from_the_transport_and_loopback_is_never_proxied() {
    let transport = Transport {
        insecure_registries: vec![],
        request_timeout: Duration::from_secs(7),
        give_up_after: Duration::from_secs(7),
        roots: Arc::new(vec![]),
        https_proxy: None,
        http_proxy: None,
        no_proxy: None,
    };
    assert_eq!(proxies(&transport), []);
    let proxied = Transport {
        https_proxy: Some("http://proxy:3128".into()),
        no_proxy: Some("internal".into()),
        ..transport
    };
    assert_eq!(
        proxies(&proxied),
        [(
            Scheme::Https,
            "http://proxy:3128".to_owned(),
            "localhost,127.0.0.0/8,::1,internal".to_owned()
        )]
    );
    assert_eq!(
        no_proxy_list(Some(" a.io , *,")),
        "localhost,127.0.0.0/8,::1,*,0.0.0.0/0,::/0,a.io,*"
    );
}

#[test]
fn a_client_without_any_trusted_root_is_built_without_panicking() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = Transport {
        insecure_registries: vec![],
        request_timeout: Duration::from_secs(7),
        give_up_after: Duration::from_secs(7),
        roots: Arc::new(vec![]),
        https_proxy: Some("http://proxy:3128".into()),
        http_proxy: None,
        no_proxy: None,
    };
    assert!(http_client(&transport).is_ok());
    let bad_proxy = Transport {
        https_proxy: Some("::not a url::".into()),
        ..transport
    };
    assert!(http_client(&bad_proxy).is_err());
}
