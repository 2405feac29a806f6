//! The command line every phase shares (Go `flag` syntax, `-version`, `-h`, the Platform API
//! check, exit codes), run against the installed binaries.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use cnb_testkit::{Finished, Lifecycle};

const PHASES: [&str; 8] = [
    "analyzer", "detector", "restorer", "extender", "builder", "exporter", "creator", "rebaser",
];
const VERBS: [&str; 8] = [
    "analyze", "detect", "restore", "extend", "build", "export", "create", "rebase",
];

fn run(name: &str, api: Option<&str>, args: &[&str]) -> Finished {
    let lifecycle = Lifecycle::installed();
    let mut command = lifecycle.command(name);
    if let Some(api) = api {
        command.env("CNB_PLATFORM_API", api);
    }
    Finished::run(command.args(args))
}

fn expected_version() -> String {
    let version = run("lifecycle", None, &["-version"]);
    assert_eq!(version.code, Some(0), "{version}");
    version.stdout.trim().to_owned()
}

/// What a phase needs besides flags to get past argument checks.
fn image_arg(phase: &str) -> &'static [&'static str] {
    match phase {
        "analyzer" | "creator" | "exporter" | "rebaser" => &["127.0.0.1:1/app"],
        _ => &[],
    }
}

#[test]
fn version_flag_prints_the_version_on_every_binary_with_or_without_other_flags() {
    let version = expected_version();
    assert!(version.starts_with(env!("CARGO_PKG_VERSION")), "{version}");
    for phase in PHASES {
        for args in [
            &["-version"][..],
            &["-log-level=debug", "-version"],
            &["--version", "-no-color"],
        ] {
            let out = run(phase, Some("0.15"), args);
            assert_eq!(out.code, Some(0), "{phase} {args:?}: {out}");
            assert_eq!(out.stdout.trim(), version, "{phase} {args:?}");
        }
        let unset = run(phase, None, &["-version"]);
        assert_eq!(
            (unset.code, unset.stdout.trim()),
            (Some(0), version.as_str()),
            "{phase} without an API: {unset}"
        );
    }
    for verb in VERBS {
        let out = run("lifecycle", Some("0.15"), &[verb, "-version"]);
        assert_eq!(
            (out.code, out.stdout.trim()),
            (Some(0), version.as_str()),
            "lifecycle {verb}: {out}"
        );
    }
    let launcher = run("launcher", None, &["-version"]);
    assert_eq!(
        (launcher.code, launcher.stdout.trim()),
        (Some(0), version.as_str()),
        "{launcher}"
    );
}

#[test]
fn help_prints_usage_and_exits_zero() {
    for phase in PHASES {
        for flag in ["-h", "--help"] {
            let out = run(phase, Some("0.15"), &[flag]);
            assert_eq!(out.code, Some(0), "{phase} {flag}: {out}");
            assert!(
                out.stdout.starts_with(&format!("Usage of {phase}")),
                "{phase}: {out}"
            );
            assert!(out.stdout.contains("-log-level"), "{phase}: {out}");
        }
    }
    let detector = run("detector", Some("0.15"), &["-h"]);
    assert!(detector.stdout.contains("-system string"), "{detector}");
    assert!(
        detector
            .stdout
            .contains("env CNB_APP_DIR, default /workspace"),
        "{detector}"
    );
    let old = run("detector", Some("0.9"), &["-h"]);
    assert!(
        !old.stdout.contains("-system"),
        "P0.9 has no -system: {old}"
    );
}

#[test]
fn unknown_flags_and_bad_values_exit_2_with_usage() {
    for phase in PHASES {
        let out = run(phase, Some("0.15"), &["-no-such-flag"]);
        assert_eq!(out.code, Some(2), "{phase}: {out}");
        assert!(
            out.stderr
                .contains("flag provided but not defined: -no-such-flag"),
            "{phase}: {out}"
        );
        assert!(
            out.stderr.contains(&format!("Usage of {phase}")),
            "{phase}: {out}"
        );
    }
    let missing = run("detector", Some("0.15"), &["-app"]);
    assert_eq!(missing.code, Some(2), "{missing}");
    assert!(
        missing.stderr.contains("flag needs an argument: -app"),
        "{missing}"
    );
    let bad_int = run("restorer", Some("0.15"), &["-uid=root"]);
    assert_eq!(bad_int.code, Some(2), "{bad_int}");
    let bad_bool = run("analyzer", Some("0.15"), &["-daemon=maybe", "img"]);
    assert_eq!(bad_bool.code, Some(2), "{bad_bool}");
}

#[test]
fn a_flag_newer_than_the_requested_platform_api_exits_2() {
    for (phase, flag, since) in [
        ("detector", "-system=/x", "0.15"),
        ("creator", "-system=/x", "0.15"),
        ("analyzer", "-run=/x", "0.12"),
        ("restorer", "-run=/x", "0.14"),
        ("exporter", "-insecure-registry=r", "0.13"),
        ("rebaser", "-force", "0.12"),
        ("builder", "-build-config=/x", "0.11"),
    ] {
        let old = run(
            phase,
            Some("0.9"),
            &[&[flag][..], image_arg(phase)].concat(),
        );
        assert_eq!(old.code, Some(2), "{phase} {flag} at 0.9: {old}");
        let new = run(
            phase,
            Some(since),
            &[&[flag][..], image_arg(phase)].concat(),
        );
        assert_ne!(new.code, Some(2), "{phase} {flag} at {since}: {new}");
    }
    let stack = run("analyzer", Some("0.12"), &["-stack=/x", "img"]);
    assert_eq!(
        stack.code,
        Some(2),
        "-stack is gone from the analyzer at 0.12: {stack}"
    );
}

#[test]
fn unset_blank_malformed_or_unsupported_platform_api_exits_11_everywhere() {
    for api in [
        None,
        Some(""),
        Some(" "),
        Some("0.3"),
        Some("0.4"),
        Some("0.6"),
        Some("0.16"),
        Some("1.0"),
        Some("garbage"),
    ] {
        for name in PHASES.iter().copied().chain(["launcher"]) {
            let out = run(name, api, image_arg(name));
            assert_eq!(
                out.code,
                Some(11),
                "{name} with CNB_PLATFORM_API={api:?}: {out}"
            );
            assert!(
                out.stderr.contains("0.7 to 0.15"),
                "{name}: the message names the range: {out}"
            );
            assert_eq!(out.stderr.lines().count(), 1, "{name}: one line: {out}");
        }
    }
    let unset = run("detector", None, &[]);
    assert!(
        unset.stderr.contains("please set 'CNB_PLATFORM_API'"),
        "{unset}"
    );
}

#[test]
fn every_supported_platform_api_is_accepted() {
    for minor in 7..=15 {
        let api = format!("0.{minor}");
        for phase in PHASES {
            let out = run(phase, Some(&api), image_arg(phase));
            assert!(!matches!(out.code, Some(2 | 11)), "{phase} at {api}: {out}");
        }
        let via_verb = run("lifecycle", Some(&api), &["detect", "-h"]);
        assert_eq!(via_verb.code, Some(0), "{via_verb}");
    }
}

#[test]
fn positional_argument_errors_exit_3_with_the_go_message() {
    let analyzer = run("analyzer", Some("0.15"), &[]);
    assert_eq!(analyzer.code, Some(3), "{analyzer}");
    assert_eq!(
        analyzer.stderr.trim(),
        "ERROR: failed to parse arguments: received 0 arguments, but expected 1"
    );
    let detector = run("detector", Some("0.15"), &["extra"]);
    assert_eq!(detector.code, Some(3), "{detector}");
    assert!(
        detector
            .stderr
            .contains("failed to parse arguments: received unexpected arguments"),
        "{detector}"
    );
    let exporter = run("exporter", Some("0.15"), &[]);
    assert_eq!(exporter.code, Some(3), "{exporter}");
    let unknown = run("lifecycle", Some("0.15"), &["frobnicate"]);
    assert_eq!(unknown.code, Some(3), "{unknown}");
    assert!(unknown.stderr.contains("frobnicate"), "{unknown}");
    let exporter_run_image = run("exporter", Some("0.15"), &["-run-image=r/run", "img"]);
    assert_eq!(exporter_run_image.code, Some(3), "{exporter_run_image}");
    assert!(
        exporter_run_image
            .stderr
            .contains("-run-image is unsupported"),
        "{exporter_run_image}"
    );
}

#[test]
fn phases_without_their_inputs_fail_clearly_instead_of_succeeding() {
    let layers = tempfile::tempdir().unwrap();
    let layers_flag = format!("-layers={}", layers.path().display());
    let out = run("extender", Some("0.15"), &[&layers_flag]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.starts_with(&format!(
            "ERROR: failed to initialize extender: reading {}/group.toml",
            layers.path().display()
        )),
        "{out}"
    );
    // No metadata.toml: 1, as Go's launcher fails reading it (309e4ae).
    let launcher = run("launcher", Some("0.15"), &[]);
    assert_eq!(
        launcher.code,
        Some(1),
        "a launcher with nothing to launch fails: {launcher}"
    );
    assert!(
        launcher.stderr.contains("failed to read metadata"),
        "{launcher}"
    );
}

#[test]
fn tekton_style_empty_values_parse_and_only_warn() {
    let layers = tempfile::tempdir().unwrap();
    let mut command = Lifecycle::installed().command("restorer");
    command
        .current_dir(layers.path())
        .env("CNB_PLATFORM_API", "0.13")
        .env("CNB_INSECURE_REGISTRIES", "127.0.0.1:5000,")
        .args([
            "-log-level=info",
            "-layers=",
            "-cache-dir=",
            "-cache-image=",
            "-insecure-registry=",
            "-skip-layers=false",
        ]);
    let out = Finished::run(&mut command);
    assert!(!matches!(out.code, Some(2 | 3 | 11)), "{out}");
    assert!(
        out.stderr
            .contains("Warning: No cached data will be used, no cache specified."),
        "{out}"
    );
}

#[test]
fn detector_and_builder_refuse_to_run_as_root() {
    if !nix::unistd::getuid().is_root() {
        return; // the property is about root; CI runs as root
    }
    for (phase, verb) in [("detector", "detect"), ("builder", "build")] {
        let out = run(phase, Some("0.15"), &[]);
        assert_eq!(out.code, Some(1), "{out}");
        assert_eq!(
            out.stderr.trim(),
            format!("ERROR: failed to {verb}: refusing to run as root")
        );
    }
}

#[test]
fn a_root_phase_hands_its_volumes_to_the_build_user_before_dropping_privileges() {
    if !nix::unistd::getuid().is_root() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let layers = scratch.path().join("layers");
    let cache = scratch.path().join("cache");
    for dir in [&layers, &cache] {
        fs::create_dir_all(dir.join("nested")).unwrap();
        fs::write(dir.join("nested/file"), "x").unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let layers_flag = format!("-layers={}", layers.display());
    let cache_flag = format!("-cache-dir={}", cache.display());
    let out = run(
        "restorer",
        Some("0.15"),
        &[
            &layers_flag,
            &cache_flag,
            "-uid=2345",
            "-gid=3456",
            "-log-level=debug",
        ],
    );
    assert!(out.stdout.contains("Running as user 2345:3456"), "{out}");
    for path in [
        layers.clone(),
        layers.join("nested/file"),
        cache.clone(),
        cache.join("nested/file"),
    ] {
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (2345, 3456), "{}", path.display());
    }
}
