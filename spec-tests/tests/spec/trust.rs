//! Trust without a CA bundle (minimal and distroless-style builder images have none): the
//! installed analyzer run in a private mount namespace whose `/etc/ssl` (and `/etc/pki`) is
//! an empty tmpfs, and whose `/etc/hosts` names two loopback registries. Plain-HTTP and
//! `-insecure-registry` registries work as in Go (which runs with an empty pool); an HTTPS
//! registry fails with 32 and one line saying that no CA certificates were found and how to
//! provide them; with `SSL_CERT_FILE` naming the registry's CA, it works. Needs root (for
//! the namespace); skipped otherwise.

use std::fs;
use std::path::Path;
use std::process::Command;

use cnb_testkit::{Finished, RegistryFixture, Tls, is_root};

use crate::analyzer::fixtures::{Build, push_run_image, store};
use crate::hostile::the_error;

const API: &str = "0.15";
/// The name the HTTPS registry's certificate is for.
const TLS_NAME: &str = "registry.test";
/// Another name for the plain registry, which go-containerregistry would reach by HTTPS.
const PLAIN_NAME: &str = "plain.test";

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fresh CA (`ca.pem`) and a certificate for [`TLS_NAME`] it signed, in `dir`.
fn certificates(dir: &Path) -> Tls {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-days",
        "2",
        "-subj",
        "/CN=cnb-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(dir, &ca);
    let mut request = vec!["req"];
    request.extend(ec);
    request.extend([
        "-subj",
        "/CN=registry.test",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(dir, &request);
    fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName=DNS:{TLS_NAME}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .expect("write extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    );
    Tls {
        certificate: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// `command` run in a private mount namespace with no CA bundle and `hosts` as
/// `/etc/hosts`.
fn without_ca_bundle(command: &Command, hosts: &Path) -> Finished {
    let script = format!(
        "set -eu
mount -t tmpfs cnb-no-ca /etc/ssl || exit 125
if [ -d /etc/pki ]; then mount -t tmpfs cnb-no-ca /etc/pki || exit 125; fi
mount --bind '{}' /etc/hosts || exit 125
exec \"$@\"",
        hosts.display()
    );
    let mut wrapped = Command::new("unshare");
    wrapped
        .args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
        .arg(script)
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            wrapped.env(key, value);
        }
    }
    let finished = Finished::run(&mut wrapped);
    assert_ne!(finished.code, Some(125), "namespace set-up: {finished}");
    finished
}

#[test]
fn without_a_ca_bundle_plain_http_works_and_https_says_how_to_provide_certificates() {
    if !is_root() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let tls = certificates(dir.path());
    let plain = RegistryFixture::start().expect("plain registry");
    let secure = RegistryFixture::with_tls(&tls).expect("TLS registry");
    push_run_image(&store(), &plain.reference("test/run"));
    let hosts = dir.path().join("hosts");
    fs::write(
        &hosts,
        format!("127.0.0.1 localhost {TLS_NAME} {PLAIN_NAME}\n"),
    )
    .expect("write hosts");
    let analyze = |run_image: String, app: String, extra: &[String]| {
        let build = Build::new();
        let mut command = build.command("analyzer", API);
        command
            .args(extra)
            .arg("-run-image")
            .arg(run_image)
            .arg(app);
        (without_ca_bundle(&command, &hosts), build)
    };

    // Plain HTTP, as go-containerregistry picks it for 127.0.0.1.
    let (finished, build) = analyze(
        plain.reference("test/run"),
        plain.reference("test/app"),
        &[],
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(build.layers().join("analyzed.toml").is_file());

    // A name that would be HTTPS, made plain by -insecure-registry.
    let plain_host = format!("{PLAIN_NAME}:{}", plain.port());
    let (finished, _) = analyze(
        format!("{plain_host}/test/run"),
        format!("{plain_host}/test/app"),
        &["-insecure-registry".to_owned(), plain_host.clone()],
    );
    assert_eq!(finished.code, Some(0), "{finished}");

    // HTTPS with nothing to verify the registry's certificate against.
    let secure_host = format!("{TLS_NAME}:{}", secure.port());
    let app = format!("{secure_host}/test/app");
    let (finished, build) = analyze(plain.reference("test/run"), app.clone(), &[]);
    assert_eq!(finished.code, Some(32), "{finished}");
    let line = the_error(&finished);
    assert!(
        line.starts_with(&format!(
            "ERROR: failed to initialize analyzer: validating registry write access: failed to ensure registry read/write access to {app}"
        )),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            "no CA certificates were found to verify https://{secure_host}: provide them in a file named by SSL_CERT_FILE or a directory named by SSL_CERT_DIR, or install a CA bundle such as /etc/ssl/certs/ca-certificates.crt"
        )),
        "{line}"
    );
    assert!(!build.layers().join("analyzed.toml").exists());

    // The same registry once SSL_CERT_FILE names its CA.
    let build = Build::new();
    let mut command = build.command("analyzer", API);
    command
        .env("SSL_CERT_FILE", dir.path().join("ca.pem"))
        .arg("-run-image")
        .arg(plain.reference("test/run"))
        .arg(&app);
    let finished = without_ca_bundle(&command, &hosts);
    assert_eq!(finished.code, Some(0), "{finished}");
}
