//! Shared by the hostile-registry suites (`<phase>/hostile.rs`): the testkit's proxy playing
//! a hostile registry in front of a real one, the one `ERROR:` line a phase must end with,
//! and a phase's peak memory.
//!
//! What every suite proves, phase by phase: whatever the registry answers (bytes that do not
//! match their digest, a manifest of 200 MiB, a config claiming an absurd size, a redirect
//! loop, silence, a token service that fails), the phase ends with the Go lifecycle's exit
//! code and one line, in bounded memory and time, and writes nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

/// Every method a registry client uses.
const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/// Faults apply this many times (every request of a run).
const ALWAYS: u32 = 10_000;
/// A manifest far larger than any real one.
pub(crate) const HUGE: u64 = 200 << 20;
/// The most memory a phase may use while refusing [`HUGE`] (KiB, as `time` reports it).
pub(crate) const PEAK_RSS_KIB: u64 = 64 << 10;
/// How long the phases wait for a silent registry in these tests.
pub(crate) const PATIENCE: &str = "2s";

/// `kind` for every request with `method` whose path contains `path`.
pub(crate) fn always(method: &str, path: &str, kind: FaultKind) -> Fault {
    Fault {
        method: method.to_owned(),
        path_contains: path.to_owned(),
        kind,
        times: ALWAYS,
    }
}

/// `kind` for every request, whatever its method, whose path contains `path`.
pub(crate) fn on_every_method(proxy: &RegistryProxy, path: &str, kind: &FaultKind) {
    for method in METHODS {
        proxy.inject(always(method, path, kind.clone()));
    }
}

/// A registry that accepts connections and never answers.
pub(crate) fn silence(proxy: &RegistryProxy) {
    on_every_method(proxy, "/", &FaultKind::Silence);
}

/// A `200` with [`HUGE`] bytes for every `GET` of a manifest whose path contains `path`.
pub(crate) fn flood_manifests(proxy: &RegistryProxy, path: &str) {
    proxy.inject(always(
        "GET",
        path,
        FaultKind::Flood {
            content_type: "application/vnd.oci.image.manifest.v1+json".to_owned(),
            bytes: HUGE,
        },
    ));
}

/// A redirect to itself for every `GET` whose path contains `path`.
pub(crate) fn redirect_loop(proxy: &RegistryProxy, path: &str) {
    proxy.inject(always(
        "GET",
        path,
        FaultKind::Answer {
            status: 307,
            headers: vec![("Location".to_owned(), path.to_owned())],
            body: Vec::new(),
        },
    ));
}

/// A registry behind a token service that answers `500`: every registry request gets a
/// `401` naming the proxy's `/token` as the realm.
pub(crate) fn failing_token_service(proxy: &RegistryProxy) {
    proxy.inject(always(
        "GET",
        "/token",
        FaultKind::Answer {
            status: 500,
            headers: Vec::new(),
            body: b"token service down".to_vec(),
        },
    ));
    let challenge = format!(
        "Bearer realm=\"http://{}/token\",service=\"hostile\"",
        proxy.host()
    );
    on_every_method(
        proxy,
        "/v2/",
        &FaultKind::Answer {
            status: 401,
            headers: vec![("WWW-Authenticate".to_owned(), challenge)],
            body: br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                .to_vec(),
        },
    );
}

/// The one `ERROR:` line of a finished phase, which must not have panicked.
pub(crate) fn the_error(finished: &Finished) -> String {
    let lines: Vec<&str> = finished
        .stdout
        .lines()
        .chain(finished.stderr.lines())
        .filter(|line| line.starts_with("ERROR: "))
        .collect();
    assert_eq!(lines.len(), 1, "one ERROR line: {finished}");
    assert!(!finished.stderr.contains("panicked"), "{finished}");
    lines[0].to_owned()
}

/// Runs `command` under GNU `time`; returns how it finished and its peak RSS in KiB.
pub(crate) fn with_peak_rss(command: &Command, dir: &Path) -> (Finished, u64) {
    let report = dir.join("peak-rss");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .stdin(Stdio::null());
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            timed.env(key, value);
        }
    }
    let finished = Finished::run(&mut timed);
    let text = std::fs::read_to_string(&report).expect("time wrote its report");
    let peak = text
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {text:?}"));
    (finished, peak)
}
