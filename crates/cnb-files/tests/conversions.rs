//! The labels the exporter makes from TOML files, and back, match the label fixtures.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::path::{Path, PathBuf};

use cnb_files::analyzed::{Analyzed, LayersMetadata};
use cnb_files::labels::{BuildMetadataLabel, LifecycleMetadata, ProjectMetadataLabel};
use cnb_files::metadata::BuildMetadata;
use cnb_files::project_metadata::ProjectMetadata;
use cnb_files::{JsonLabel, TomlFile};
use pretty_assertions::assert_eq;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(path)).unwrap()).unwrap()
}

fn as_json<T: JsonLabel>(label: &T) -> serde_json::Value {
    serde_json::from_str(&label.to_label().unwrap()).unwrap()
}

#[test]
fn analyzed_metadata_becomes_the_lifecycle_label_and_back() {
    let analyzed = Analyzed::read(&fixture("toml/valid/analyzed.toml")).unwrap();
    let label = LifecycleMetadata::from(&analyzed.metadata);
    assert_eq!(as_json(&label), json("json/valid/lifecycle-metadata.json"));
    // Layer data keys are sorted, as Go's map encoding sorts them.
    assert!(
        label
            .to_label()
            .unwrap()
            .contains(r#""data":{"count":3,"lockfile-digest":"abc"}"#)
    );

    let from_label =
        LifecycleMetadata::read_json(&fixture("json/valid/lifecycle-metadata.json")).unwrap();
    assert_eq!(LayersMetadata::from(&from_label), analyzed.metadata);
}

#[test]
fn build_metadata_becomes_the_build_label() {
    let build = BuildMetadata::read(&fixture("toml/valid/metadata.toml")).unwrap();
    let expected = json("json/valid/build-metadata.json");
    let launcher = serde_json::from_value(expected["launcher"].clone()).unwrap();
    let label = BuildMetadataLabel::from_build_metadata(&build, launcher);
    assert_eq!(as_json(&label), expected);
}

#[test]
fn project_metadata_becomes_the_project_label() {
    let project = ProjectMetadata::read(&fixture("toml/valid/project-metadata.toml")).unwrap();
    let label = ProjectMetadataLabel::from(&project);
    assert_eq!(as_json(&label), json("json/valid/project-metadata.json"));
}

#[test]
fn labels_name_themselves_in_errors_and_read_empty_as_default() {
    let err = LifecycleMetadata::from_label("{").unwrap_err();
    assert_eq!(
        err.to_string(),
        "parsing label 'io.buildpacks.lifecycle.metadata'"
    );
    assert_eq!(
        LifecycleMetadata::from_label("").unwrap(),
        LifecycleMetadata::default()
    );
}

#[test]
fn go_nulls_read_as_empty() {
    let label = LifecycleMetadata::from_label(
        r#"{"app":null,"buildpacks":[{"key":"a","version":"1","layers":null}],"config":{"sha":""}}"#,
    )
    .unwrap();
    assert!(label.app.is_empty());
    assert!(label.buildpacks[0].layers.is_empty());
}
