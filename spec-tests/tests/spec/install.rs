//! `make install` lays out `/cnb/lifecycle` the way pack, kpack and builders expect it: the
//! multi-call `lifecycle`, one symlink per phase, a separate static `launcher`, and
//! `lifecycle.toml` with the supported APIs beside the directory.

use std::fs;
use std::path::Path;
use std::process::Command;

use cnb_testkit::Lifecycle;

const PHASES: [&str; 8] = [
    "analyzer", "detector", "restorer", "extender", "builder", "exporter", "creator", "rebaser",
];

#[test]
fn every_phase_is_a_symlink_to_the_multi_call_binary() {
    let lifecycle = Lifecycle::installed();
    for phase in PHASES {
        let target =
            fs::read_link(lifecycle.path(phase)).unwrap_or_else(|err| panic!("{phase}: {err}"));
        assert_eq!(target, Path::new("lifecycle"), "{phase}");
    }
}

#[test]
fn the_binaries_are_static_and_stripped() {
    let lifecycle = Lifecycle::installed();
    for binary in ["lifecycle", "launcher"] {
        let output = Command::new("file")
            .arg(lifecycle.path(binary))
            .output()
            .expect("file(1) is installed");
        let description = String::from_utf8_lossy(&output.stdout);
        assert!(
            description.contains("static-pie linked") || description.contains("statically linked"),
            "{description}"
        );
        assert!(description.contains(", stripped"), "{description}");
    }
}

#[test]
fn lifecycle_toml_lists_the_supported_apis_and_version() {
    let lifecycle = Lifecycle::installed();
    let text = fs::read_to_string(lifecycle.dir().join("../lifecycle.toml"))
        .expect("lifecycle.toml beside cnb/lifecycle");
    let descriptor: toml::Table = toml::from_str(&text).expect("lifecycle.toml parses");
    let supported = |kind: &str| -> Vec<String> {
        descriptor["apis"][kind]["supported"]
            .as_array()
            .expect("supported list")
            .iter()
            .map(|version| version.as_str().expect("version string").to_owned())
            .collect()
    };
    let platform: Vec<String> = (7..=15).map(|minor| format!("0.{minor}")).collect();
    let buildpack: Vec<String> = (7..=12).map(|minor| format!("0.{minor}")).collect();
    assert_eq!(supported("platform"), platform);
    assert_eq!(supported("buildpack"), buildpack);
    assert_eq!(descriptor["api"]["platform"].as_str(), Some("0.7"));
    assert_eq!(
        descriptor["lifecycle"]["version"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}
