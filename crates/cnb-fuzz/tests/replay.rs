//! Every fuzz target's kept inputs (`testdata/fuzz/<target>/`: each input a fuzzer once failed
//! on, and hand-written seeds) and its seeds from the shared fixtures, replayed through the
//! target on the stable toolchain: `make test` keeps every fixed failure fixed.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use cnb_fuzz::TARGETS;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_kept_input_and_seed_passes_its_target() {
    let testdata = repository().join("testdata");
    let mut failed = Vec::new();
    for target in TARGETS {
        for input in target.inputs(&testdata) {
            let bytes = std::fs::read(&input).expect("reading a kept input");
            if catch_unwind(AssertUnwindSafe(|| (target.run)(&bytes))).is_err() {
                failed.push(format!("{}: {}", target.name, input.display()));
            }
        }
    }
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
}

#[test]
fn every_target_has_inputs_to_start_from() {
    let testdata = repository().join("testdata");
    let without: Vec<&str> = TARGETS
        .iter()
        .filter(|target| target.inputs(&testdata).is_empty())
        .map(|target| target.name)
        .collect();
    assert!(without.is_empty(), "targets without inputs: {without:?}");
}

#[test]
fn every_kept_input_directory_is_a_target() {
    let dir = repository().join("testdata").join("fuzz");
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_string_lossy();
        if name != "README.md" {
            assert!(
                cnb_fuzz::target(&name).is_some(),
                "testdata/fuzz/{name} is no target"
            );
        }
    }
}

#[test]
fn the_cargo_fuzz_project_builds_every_target() {
    let manifest = std::fs::read_to_string(repository().join("fuzz").join("Cargo.toml"))
        .expect("reading fuzz/Cargo.toml");
    let manifest: toml::Table = toml::from_str(&manifest).expect("fuzz/Cargo.toml parses");
    let bins: BTreeSet<&str> = manifest["bin"]
        .as_array()
        .expect("[[bin]] entries")
        .iter()
        .map(|bin| bin["name"].as_str().expect("a bin name"))
        .collect();
    let targets: BTreeSet<&str> = TARGETS.iter().map(|target| target.name).collect();
    assert_eq!(
        bins, targets,
        "fuzz/Cargo.toml and cnb_fuzz::TARGETS differ"
    );
}
