use std::fs;

use pretty_assertions::assert_eq;

use super::*;
use crate::test_support::{bp_layers, module};

const ALL_FORMATS: &str = "sbom-formats = [\"application/vnd.cyclonedx+json\", \"application/spdx+json; version=2.2\", \"APPLICATION/VND.SYFT+JSON\"]\n";

fn settle(root: &Path, id: &str) -> SettledLayers {
    SettledLayers::settle(&root.join("layers"), id, "bp@1").unwrap()
}

#[test]
fn files_are_routed_by_layer_type_and_copied() {
    let root = tempfile::tempdir().unwrap();
    let module = module(root.path(), "some/bp", "0.12", ALL_FORMATS);
    let dir = bp_layers(root.path(), "some/bp");
    fs::write(
        dir.join("launch-layer.toml"),
        "[types]\nlaunch = true\ncache = true\n",
    )
    .unwrap();
    fs::write(dir.join("build-layer.toml"), "[types]\nbuild = true\n").unwrap();
    for file in [
        "launch.sbom.cdx.json",
        "build.sbom.spdx.json",
        "launch-layer.sbom.syft.json",
        "build-layer.sbom.cdx.json",
        "no-toml.sbom.cdx.json",
        "notes.sbom.xml",
    ] {
        fs::write(dir.join(file), file).unwrap();
    }
    let files = collect(&module, &dir, &settle(root.path(), "some/bp")).unwrap();
    let sbom_dir = root.path().join("layers/sbom");
    copy_all(&sbom_dir, &files).unwrap();
    for (copy, original) in [
        ("launch/some_bp/sbom.cdx.json", "launch.sbom.cdx.json"),
        ("build/some_bp/sbom.spdx.json", "build.sbom.spdx.json"),
        (
            "launch/some_bp/launch-layer/sbom.syft.json",
            "launch-layer.sbom.syft.json",
        ),
        (
            "cache/some_bp/launch-layer/sbom.syft.json",
            "launch-layer.sbom.syft.json",
        ),
        (
            "build/some_bp/build-layer/sbom.cdx.json",
            "build-layer.sbom.cdx.json",
        ),
    ] {
        assert_eq!(
            fs::read_to_string(sbom_dir.join(copy)).unwrap(),
            original,
            "{copy}"
        );
    }
    assert_eq!(
        files.len(),
        5,
        "the toml-less layer and the non-JSON file are skipped"
    );
    assert!(any_in(&dir).unwrap());
}

#[test]
fn unknown_and_undeclared_formats_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let module = module(
        root.path(),
        "bp",
        "0.12",
        "sbom-formats = [\"application/spdx+json\"]\n",
    );
    let dir = bp_layers(root.path(), "bp");
    fs::write(dir.join("launch.sbom.unknown.json"), "{}").unwrap();
    let err = collect(&module, &dir, &settle(root.path(), "bp")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "unsupported SBOM file format: '{}'",
            dir.join("launch.sbom.unknown.json").display()
        )
    );
    fs::remove_file(dir.join("launch.sbom.unknown.json")).unwrap();
    fs::write(dir.join("launch.sbom.cdx.json"), "{}").unwrap();
    let err = collect(&module, &dir, &settle(root.path(), "bp")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("undeclared SBOM media type 'application/vnd.cyclonedx+json'"),
        "{err}"
    );
}

#[test]
fn legacy_boms_are_json_arrays_or_null() {
    let root = tempfile::tempdir().unwrap();
    let entry = BomEntry {
        name: "dep".into(),
        version: None,
        metadata: Some(toml::from_str("version = \"1.0\"").unwrap()),
        buildpack: Some(cnb_files::group::GroupElement {
            id: "A".into(),
            version: "v1".into(),
            api: None,
            homepage: None,
        }),
    };
    write_legacy(root.path(), &[entry], &[]).unwrap();
    let launch = fs::read_to_string(root.path().join("launch/sbom.legacy.json")).unwrap();
    assert_eq!(
        launch,
        "[{\"name\":\"dep\",\"metadata\":{\"version\":\"1.0\"},\"buildpack\":{\"id\":\"A\",\"version\":\"v1\"}}]\n"
    );
    let build = fs::read_to_string(root.path().join("build/sbom.legacy.json")).unwrap();
    assert_eq!(build, "null\n");
}
