//! Fuzz targets for every reader of untrusted input: the spec's TOML files, the image labels,
//! image references, manifests, indexes and configs, the command line and the environment,
//! `CNB_REGISTRY_AUTH` and docker `config.json`, layer tars, exec.d output and the Dockerfiles
//! image extensions generate.
//!
//! Each [`Target`] is a function of raw bytes that calls the same public entry point the phases
//! use and asserts what must hold for any input: no panic, errors that are one line and never
//! show a secret, a parse → encode → parse round trip where the lifecycle writes the file back,
//! and an extractor that writes nothing outside its directory. A violated property panics, which
//! is how a fuzzer learns of it. The cargo-fuzz binaries in `fuzz/` (nightly, outside the
//! workspace; `make fuzz`) and this crate's replay test (stable, `make test`) call the same
//! functions: every input that once failed is kept in `testdata/fuzz/<target>/` and replayed.
//!
//! Beside the stack, like `cnb-testkit`: nothing depends on this crate.

mod command_line;
mod dockerfile;
mod exec_d;
mod extract;
mod input;
mod keychain;
mod labels;
mod oci;
mod spec_files;

use std::path::{Path, PathBuf};

/// A spec-file target seeded with `testdata/toml/{valid,invalid}/<prefix>*`.
macro_rules! toml_target {
    ($name:literal, $run:path, $prefix:literal) => {
        Target {
            name: $name,
            run: $run,
            seeds: &[
                concat!("toml/valid/", $prefix),
                concat!("toml/invalid/", $prefix),
            ],
        }
    };
}

/// One fuzz target.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its name: the cargo-fuzz binary and the `testdata/fuzz/<name>/` directory.
    pub name: &'static str,
    /// Runs one input; panics when a property does not hold.
    pub run: fn(&[u8]),
    /// Where its starting inputs are, besides `testdata/fuzz/<name>/`: `<dir>/<prefix>` under
    /// `testdata/`, every file in `<dir>` whose name starts with `<prefix>`.
    pub seeds: &'static [&'static str],
}

/// Every target.
pub const TARGETS: &[Target] = &[
    toml_target!("analyzed_toml", spec_files::analyzed, "analyzed"),
    toml_target!("group_toml", spec_files::group, "group"),
    toml_target!("plan_toml", spec_files::plan, "plan"),
    toml_target!("build_plan_toml", spec_files::build_plan, "build-plan"),
    toml_target!("order_toml", spec_files::order, "order"),
    toml_target!("system_toml", spec_files::system, "system"),
    toml_target!("run_toml", spec_files::run, "run"),
    toml_target!("stack_toml", spec_files::stack, "stack"),
    toml_target!(
        "project_metadata_toml",
        spec_files::project_metadata,
        "project-metadata"
    ),
    toml_target!("report_toml", spec_files::report, "report"),
    toml_target!("buildpack_toml", spec_files::buildpack, "buildpack."),
    toml_target!("extension_toml", spec_files::extension, "extension"),
    toml_target!("launch_toml", spec_files::launch, "launch"),
    toml_target!("build_toml", spec_files::build, "build."),
    toml_target!("layer_toml", spec_files::layer, "layer"),
    toml_target!("store_toml", spec_files::store, "store"),
    toml_target!("metadata_toml", spec_files::metadata, "metadata"),
    toml_target!("exec_d", exec_d::exec_d, "exec-d"),
    Target {
        name: "labels",
        run: labels::labels,
        seeds: &["json/valid/", "json/invalid/"],
    },
    Target {
        name: "image_reference",
        run: oci::image_reference,
        seeds: &[],
    },
    Target {
        name: "oci_manifest",
        run: oci::manifest,
        seeds: &[],
    },
    Target {
        name: "oci_config",
        run: oci::config,
        seeds: &[],
    },
    Target {
        name: "command_line",
        run: command_line::command_line,
        seeds: &[],
    },
    Target {
        name: "registry_auth",
        run: keychain::registry_auth,
        seeds: &[],
    },
    Target {
        name: "docker_config",
        run: keychain::docker_config,
        seeds: &[],
    },
    Target {
        name: "dockerfile",
        run: dockerfile::dockerfile,
        seeds: &[],
    },
    Target {
        name: "layer_extract",
        run: extract::layer_extract,
        seeds: &["golden/"],
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}

impl Target {
    /// Every input this target starts from, under the repository's `testdata`: the kept inputs
    /// in `fuzz/<name>/` (regressions and hand-written seeds), then the shared fixtures its
    /// seeds name. Sorted, so that runs are repeatable.
    pub fn inputs(&self, testdata: &Path) -> Vec<PathBuf> {
        let mut inputs = files_in(&testdata.join("fuzz").join(self.name), "");
        for seed in self.seeds {
            let (dir, prefix) = seed.rsplit_once('/').unwrap_or(("", seed));
            inputs.extend(files_in(&testdata.join(dir), prefix));
        }
        inputs
    }
}

fn files_in(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}
