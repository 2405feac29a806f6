//! The architecture rules of ../shared/design.md, checked mechanically (`make lint` runs this):
//! every dependency between our crates points down the layer table below, no source file
//! grows past 800 lines, and the launcher's dependency tree holds no network or async crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Our crates and the crates of ours each may depend on (normal dependencies). A crate
/// missing from this table fails the check: add it with its place in the layering.
const ALLOWED: &[(&str, &[&str])] = &[
    // base
    ("cnb-api", &[]),
    ("cnb-sys", &[]),
    ("cnb-igzip", &[]),
    // model
    ("cnb-files", &["cnb-api", "cnb-sys"]),
    ("cnb-env", &["cnb-api", "cnb-sys"]),
    ("cnb-image", &[]),
    ("cnb-dockerfile", &[]),
    // services
    ("cnb-platform", &["cnb-api", "cnb-files", "cnb-image"]),
    ("cnb-archive", &["cnb-sys", "cnb-image", "cnb-igzip"]),
    (
        "cnb-buildpack",
        &["cnb-api", "cnb-files", "cnb-env", "cnb-sys"],
    ),
    ("cnb-layers", &["cnb-api", "cnb-files", "cnb-sys"]),
    (
        "cnb-cache",
        &[
            "cnb-api",
            "cnb-layers",
            "cnb-image",
            "cnb-archive",
            "cnb-files",
            "cnb-sys",
        ],
    ),
    // adapters
    ("cnb-registry", &["cnb-image", "cnb-sys"]),
    ("cnb-layout", &["cnb-image", "cnb-sys"]),
    (
        "cnb-daemon",
        &["cnb-image", "cnb-cache", "cnb-archive", "cnb-sys"],
    ),
    // phases: hermetic ones never see images; connected ones get an ImageStore injected
    ("cnb-detector", HERMETIC),
    ("cnb-builder", HERMETIC),
    ("cnb-analyzer", CONNECTED),
    ("cnb-restorer", CONNECTED),
    ("cnb-exporter", CONNECTED),
    ("cnb-rebaser", CONNECTED),
    // beside the connected phases: compares two images read through injected stores
    ("cnb-diff", &["cnb-files", "cnb-image", "cnb-archive"]),
    // applies Dockerfiles to its own root; reads and writes OCI layout directories itself
    (
        "cnb-extender",
        &[
            "cnb-api",
            "cnb-sys",
            "cnb-files",
            "cnb-image",
            "cnb-archive",
            "cnb-buildpack",
            "cnb-layout",
            "cnb-dockerfile",
        ],
    ),
    (
        "cnb-launcher",
        &["cnb-api", "cnb-env", "cnb-files", "cnb-sys"],
    ),
    // edge
    (
        "cnb-cli",
        &[
            "cnb-api",
            "cnb-sys",
            "cnb-files",
            "cnb-env",
            "cnb-image",
            "cnb-dockerfile",
            "cnb-platform",
            "cnb-archive",
            "cnb-buildpack",
            "cnb-layers",
            "cnb-cache",
            "cnb-registry",
            "cnb-layout",
            "cnb-daemon",
            "cnb-detector",
            "cnb-diff",
            "cnb-builder",
            "cnb-analyzer",
            "cnb-restorer",
            "cnb-exporter",
            "cnb-extender",
            "cnb-rebaser",
        ],
    ),
    (
        "cnb-package",
        &[
            "cnb-api",
            "cnb-files",
            "cnb-image",
            "cnb-archive",
            "cnb-platform",
            "cnb-registry",
            "cnb-layout",
        ],
    ),
    // the SBOMs of the lifecycle's own binaries, which `make install` writes
    ("cnb-sbom", &["cnb-api", "cnb-image"]),
    ("lifecycle", &["cnb-cli", "cnb-api"]),
    ("launcher", &["cnb-launcher", "cnb-api"]),
    // test support (dev-dependencies only)
    (
        "cnb-testkit",
        &[
            "cnb-api",
            "cnb-sys",
            "cnb-files",
            "cnb-image",
            "cnb-archive",
            "cnb-registry",
            "cnb-layout",
        ],
    ),
    // the demo program: runs the installed binaries with the test support's real parts
    ("cnb-demo", &["cnb-testkit"]),
    // fuzz targets: call every reader of untrusted input the way the phases do; nothing
    // depends on them
    (
        "cnb-fuzz",
        &[
            "cnb-api",
            "cnb-archive",
            "cnb-buildpack",
            "cnb-cli",
            "cnb-dockerfile",
            "cnb-env",
            "cnb-files",
            "cnb-image",
            "cnb-launcher",
            "cnb-layout",
            "cnb-platform",
            "cnb-registry",
        ],
    ),
    ("spec-tests", &[]),
];

const HERMETIC: &[&str] = &[
    "cnb-api",
    "cnb-dockerfile",
    "cnb-sys",
    "cnb-files",
    "cnb-env",
    "cnb-buildpack",
    "cnb-layers",
];
const CONNECTED: &[&str] = &[
    "cnb-api",
    "cnb-dockerfile",
    "cnb-sys",
    "cnb-files",
    "cnb-env",
    "cnb-image",
    "cnb-archive",
    "cnb-buildpack",
    "cnb-layers",
    "cnb-cache",
];

/// Crates the launcher must never link: it runs as PID 1 in every app image.
const LAUNCHER_FORBIDDEN: &[&str] = &[
    "tokio",
    "hyper",
    "reqwest",
    "rustls",
    "oci-client",
    "tracing-subscriber",
    "indicatif",
];

const MAX_LINES: usize = 800;

fn metadata() -> Value {
    #[expect(
        clippy::disallowed_methods,
        reason = "cargo tells its tests where it is"
    )]
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn is_ours(name: &str) -> bool {
    name.starts_with("cnb-") || matches!(name, "lifecycle" | "launcher" | "spec-tests")
}

#[test]
fn dependencies_between_our_crates_point_down_the_layers() {
    let metadata = metadata();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut violations = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("name");
        if !is_ours(name) || package["source"].is_string() {
            continue;
        }
        let Some(may_use) = allowed.get(name) else {
            violations.push(format!(
                "{name} is not in the layer table of tests/architecture.rs"
            ));
            continue;
        };
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dep = dependency["name"].as_str().expect("dependency name");
            let normal = dependency["kind"].is_null();
            if is_ours(dep) && normal && !may_use.contains(&dep) {
                violations.push(format!("{name} -> {dep} is not allowed"));
            }
            if dep == "cnb-testkit" && normal && !may_use.contains(&dep) {
                violations.push(format!("{name} -> cnb-testkit must be a dev-dependency"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_launcher_links_no_network_or_async_crate() {
    let metadata = metadata();
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes");
    let by_id: BTreeMap<&str, &Value> = nodes
        .iter()
        .map(|node| (node["id"].as_str().expect("id"), node))
        .collect();
    let name_of = |id: &str| -> String {
        metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|package| package["id"] == id)
            .and_then(|package| package["name"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let root = by_id
        .keys()
        .copied()
        .find(|id| name_of(id) == "launcher")
        .expect("the launcher package");
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in by_id[id]["deps"].as_array().expect("deps") {
            let normal = dep["dep_kinds"]
                .as_array()
                .expect("dep_kinds")
                .iter()
                .any(|kind| kind["kind"].is_null());
            if normal {
                stack.push(dep["pkg"].as_str().expect("pkg"));
            }
        }
    }
    let linked: BTreeSet<String> = seen.into_iter().map(name_of).collect();
    let forbidden: Vec<&&str> = LAUNCHER_FORBIDDEN
        .iter()
        .filter(|name| linked.contains(**name))
        .collect();
    assert!(forbidden.is_empty(), "the launcher links {forbidden:?}");
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut long = Vec::new();
    let mut dirs: Vec<PathBuf> = ["crates", "bin", "spec-tests"]
        .iter()
        .map(|dir| workspace_root().join(dir))
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let lines = std::fs::read_to_string(&path)
                    .expect("readable source")
                    .lines()
                    .count();
                if lines > MAX_LINES {
                    long.push(format!("{} has {lines} lines", path.display()));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by concept):\n{}",
        long.join("\n")
    );
}
