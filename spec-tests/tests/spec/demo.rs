//! `make demo` end to end (issue 10): the demo program run against the installed lifecycle,
//! with its key outputs asserted: the app answers over HTTP with its page and the exec.d
//! greeting, an unchanged rebuild uploads no layer, a changed page uploads only the app
//! layer, and the rebased image still runs. Needs root and runc (skipped otherwise).

use std::path::Path;
use std::process::Command;

use cnb_demo::{Console, Options};
use cnb_testkit::Lifecycle;

use crate::container_support::can_run_containers;

#[test]
fn the_demo_builds_serves_rebuilds_and_rebases_the_sample_app() {
    if !can_run_containers() {
        return;
    }
    let options = Options {
        lifecycle_dir: Lifecycle::installed().dir().to_path_buf(),
        testdata_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata"),
    };
    let host_dirs = ["/cnb", "/layers", "/workspace", "/platform"];
    let existed: Vec<bool> = host_dirs
        .iter()
        .map(|dir| Path::new(dir).exists())
        .collect();
    let (console, captured) = Console::capture();
    let outcome = cnb_demo::run(&options, &console)
        .unwrap_or_else(|err| panic!("{err}\n--- output\n{}", captured.text()));
    let output = captured.text();

    assert!(
        outcome
            .index_html
            .contains("Hello from an app built by the Rust CNB lifecycle."),
        "{output}"
    );
    assert!(
        outcome.status_txt.contains("greeting: hello from exec.d ("),
        "{output}"
    );
    assert!(
        outcome.status_txt.contains("deps: busybox-httpd 1.35.0"),
        "{output}"
    );

    let unchanged = &outcome.unchanged_rebuild;
    assert_eq!(unchanged.uploaded_layers, Vec::<String>::new(), "{output}");
    assert!(!unchanged.uploaded_config, "{output}");
    assert_eq!(unchanged.manifests, 1, "{output}");
    assert_eq!(unchanged.digest, outcome.image_digest, "{output}");
    for layer in ["samples/deps-cache:deps", "samples/hello-web:web", "app"] {
        assert!(
            unchanged.reused_layers.iter().any(|name| name == layer),
            "{layer} reused: {output}"
        );
    }
    assert!(
        output.contains("deps-cache: reusing the deps layer"),
        "{output}"
    );

    let changed = &outcome.changed_rebuild;
    assert_eq!(changed.uploaded_layers, ["app"], "{output}");
    assert!(changed.uploaded_config, "{output}");
    assert_ne!(changed.digest, outcome.image_digest, "{output}");

    let rebase = &outcome.rebase;
    assert_eq!(rebase.old_digest, changed.digest, "{output}");
    assert_ne!(rebase.new_digest, rebase.old_digest, "{output}");
    assert_ne!(rebase.new_top_layer, rebase.old_top_layer, "{output}");
    assert!(
        rebase.hello_output.contains("hello from the hello process"),
        "{output}"
    );
    assert!(output.contains("▶ [7/7] Clean up"), "{output}");
    for (dir, existed) in host_dirs.iter().zip(existed) {
        assert_eq!(
            Path::new(dir).exists(),
            existed,
            "the demo left {dir} in the host's / (its mounts are in a tmpfs root)"
        );
    }
    let containers = Command::new("runc")
        .arg("list")
        .output()
        .expect("runc list");
    let ours = format!("cnb-demo-{}-", std::process::id());
    assert!(
        !String::from_utf8_lossy(&containers.stdout).contains(&ours),
        "containers left behind: {}",
        String::from_utf8_lossy(&containers.stdout)
    );
}
