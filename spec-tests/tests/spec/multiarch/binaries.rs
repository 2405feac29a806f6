//! The aarch64 install: static aarch64 executables, and every phase answers `-version`.

use std::process::Command;

use cnb_testkit::{Arch, Finished, Lifecycle};

const PHASES: [&str; 8] = [
    "analyzer", "detector", "restorer", "extender", "builder", "exporter", "creator", "rebaser",
];

#[test]
fn file_shows_static_aarch64_binaries_and_every_phase_answers_version() {
    let lifecycle = Lifecycle::installed_for(Arch::Arm64);
    for binary in ["lifecycle", "launcher"] {
        let output = Command::new("file")
            .arg("-b")
            .arg(lifecycle.path(binary))
            .output()
            .expect("file(1) runs");
        let description = String::from_utf8_lossy(&output.stdout);
        assert!(
            description.contains("ARM aarch64"),
            "{binary}: {description}"
        );
        assert!(
            description.contains("statically linked"),
            "{binary}: {description}"
        );
    }
    let version = Finished::run(lifecycle.command("lifecycle").arg("-version"));
    assert!(
        version.stdout.starts_with(env!("CARGO_PKG_VERSION")),
        "{version}"
    );
    for phase in PHASES {
        let out = Finished::run(lifecycle.command(phase).arg("-version"));
        assert_eq!(out.code, Some(0), "{phase}: {out}");
        assert_eq!(out.stdout, version.stdout, "{phase}: {out}");
    }
}
