//! Every fixture under `testdata/{toml,json}/valid` round-trips with every key kept, and every
//! fixture under `…/invalid` fails with an error naming the file.
//!
//! A fixture belongs to a type by the start of its name: `launch.toml` and `launch.bp-0.8.toml`
//! are both `launch.toml` files. Files of other names are left to other crates.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::path::{Path, PathBuf};

use cnb_files::labels::{
    BuildMetadataLabel, CacheMetadata, LifecycleMetadata, ProjectMetadataLabel,
};
use cnb_files::{JsonLabel, Result, TomlFile};
use cnb_files::{
    analyzed, build, build_plan, buildpack, buildpack_plan, exec_d, extend_config, extension,
    group, launch, layer, lifecycle, metadata, order, plan, project_metadata, report, run, stack,
    store, system,
};
use pretty_assertions::assert_eq;

type Rewrite = fn(&Path, &Path) -> Result<String>;

/// Reads `from`, writes it to `to`, and returns what was written.
fn toml_rewrite<T: TomlFile>(from: &Path, to: &Path) -> Result<String> {
    T::read(from)?.write(to)?;
    Ok(std::fs::read_to_string(to).expect("just written"))
}

fn json_rewrite<T: JsonLabel>(from: &Path, to: &Path) -> Result<String> {
    T::read_json(from)?.write_json(to)?;
    Ok(std::fs::read_to_string(to).expect("just written"))
}

const TOML_FILES: &[(&str, Rewrite)] = &[
    ("analyzed", toml_rewrite::<analyzed::Analyzed>),
    ("build", toml_rewrite::<build::BuildToml>),
    ("build-plan", toml_rewrite::<build_plan::BuildPlan>),
    ("buildpack", toml_rewrite::<buildpack::BuildpackDescriptor>),
    (
        "buildpack-plan",
        toml_rewrite::<buildpack_plan::BuildpackPlan>,
    ),
    ("exec-d", toml_rewrite::<exec_d::ExecDOutput>),
    ("extend-config", toml_rewrite::<extend_config::ExtendConfig>),
    ("extension", toml_rewrite::<extension::ExtensionDescriptor>),
    ("group", toml_rewrite::<group::Group>),
    ("launch", toml_rewrite::<launch::LaunchToml>),
    ("layer", toml_rewrite::<layer::LayerContentMetadata>),
    ("lifecycle", toml_rewrite::<lifecycle::LifecycleDescriptor>),
    ("metadata", toml_rewrite::<metadata::BuildMetadata>),
    ("order", toml_rewrite::<order::Order>),
    ("plan", toml_rewrite::<plan::Plan>),
    (
        "project-metadata",
        toml_rewrite::<project_metadata::ProjectMetadata>,
    ),
    ("report", toml_rewrite::<report::Report>),
    ("run", toml_rewrite::<run::Run>),
    ("stack", toml_rewrite::<stack::Stack>),
    ("store", toml_rewrite::<store::Store>),
    ("system", toml_rewrite::<system::SystemToml>),
];

const JSON_LABELS: &[(&str, Rewrite)] = &[
    ("build-metadata", json_rewrite::<BuildMetadataLabel>),
    ("cache-metadata", json_rewrite::<CacheMetadata>),
    ("lifecycle-metadata", json_rewrite::<LifecycleMetadata>),
    ("project-metadata", json_rewrite::<ProjectMetadataLabel>),
];

fn testdata(kind: &str, validity: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(kind)
        .join(validity)
}

/// The fixtures of `stem` in `dir`: `<stem>.<ext>` and `<stem>.<anything>.<ext>`.
fn fixtures(dir: &Path, stem: &str, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            name.strip_prefix(stem)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| rest.ends_with(ext))
        })
        .collect();
    found.sort();
    assert!(
        !found.is_empty(),
        "no fixture for {stem} in {}",
        dir.display()
    );
    found
}

fn check_valid<V: PartialEq + std::fmt::Debug>(
    kind: &str,
    ext: &str,
    table: &[(&str, Rewrite)],
    parse: fn(&str) -> V,
) {
    let scratch = tempfile::tempdir().unwrap();
    for (stem, rewrite) in table {
        for path in fixtures(&testdata(kind, "valid"), stem, ext) {
            let first = scratch.path().join("nested/first");
            let second = scratch.path().join("nested/second");
            let written = rewrite(&path, &first)
                .unwrap_or_else(|err| panic!("{}: {err}: {:?}", path.display(), err));
            let original = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                parse(&written),
                parse(&original),
                "{} lost or changed keys",
                path.display()
            );
            let again = rewrite(&first, &second).unwrap();
            assert_eq!(again, written, "{} is not stable", path.display());
        }
    }
}

fn check_invalid(kind: &str, ext: &str, table: &[(&str, Rewrite)]) {
    let scratch = tempfile::tempdir().unwrap();
    for (stem, rewrite) in table {
        for path in fixtures(&testdata(kind, "invalid"), stem, ext) {
            let err = rewrite(&path, &scratch.path().join("out"))
                .expect_err(&format!("{} should not parse", path.display()));
            let message = err.to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
        }
    }
}

#[test]
fn valid_toml_files_keep_every_key() {
    check_valid("toml", "toml", TOML_FILES, |text| {
        text.parse::<toml::Table>().unwrap()
    });
}

#[test]
fn invalid_toml_files_fail_naming_the_file() {
    check_invalid("toml", "toml", TOML_FILES);
}

#[test]
fn valid_labels_keep_every_key() {
    check_valid("json", "json", JSON_LABELS, |text| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    });
}

#[test]
fn invalid_labels_fail_naming_the_file() {
    check_invalid("json", "json", JSON_LABELS);
}

#[test]
fn missing_files_are_none_when_optional() {
    let scratch = tempfile::tempdir().unwrap();
    let missing = scratch.path().join("run.toml");
    assert_eq!(run::Run::read_optional(&missing).unwrap(), None);
    let err = run::Run::read(&missing).unwrap_err();
    assert_eq!(err.to_string(), format!("reading {}", missing.display()));
}
