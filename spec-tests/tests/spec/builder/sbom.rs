//! SBOM files and the legacy BOM (buildpack.md › Software-Bill-of-Materials; platform.md ›
//! builder › Outputs): routed under `<layers>/sbom/{launch,build,cache}`, checked against the
//! buildpack's `sbom-formats`; `[[bom]]` in `metadata.toml` or `sbom.legacy.json` by Platform
//! API.

use std::fs;

use super::fixture::Fixture;

const ALL_FORMATS: &str = "sbom-formats = [\"application/vnd.cyclonedx+json\", \"application/spdx+json\", \"application/vnd.syft+json\"]\n";

#[test]
fn sbom_files_are_routed_under_layers_sbom_and_the_old_ones_removed() {
    let fixture = Fixture::new();
    fixture.buildpack("some/bp", "1", "0.10", ALL_FORMATS);
    fixture.group_of(&[("some/bp", "1", "0.10")]);
    fs::create_dir_all(fixture.layers.join("sbom/launch/stale")).unwrap();
    let key = "some_bp@1";
    fixture.output(key, "launch.sbom.cdx.json", "launch-cdx");
    fixture.output(key, "build.sbom.spdx.json", "build-spdx");
    fixture.output(
        key,
        "runtime.toml",
        "[types]\nlaunch = true\ncache = true\n",
    );
    fixture.output(key, "runtime.sbom.syft.json", "runtime-syft");
    fixture.output(key, "tools.toml", "[types]\nbuild = true\n");
    fixture.output(key, "tools.sbom.cdx.json", "tools-cdx");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let sbom = fixture.layers.join("sbom");
    for (path, contents) in [
        ("launch/some_bp/sbom.cdx.json", "launch-cdx"),
        ("build/some_bp/sbom.spdx.json", "build-spdx"),
        ("launch/some_bp/runtime/sbom.syft.json", "runtime-syft"),
        ("cache/some_bp/runtime/sbom.syft.json", "runtime-syft"),
        ("build/some_bp/tools/sbom.cdx.json", "tools-cdx"),
        ("launch/sbom.legacy.json", "null\n"),
        ("build/sbom.legacy.json", "null\n"),
    ] {
        assert_eq!(
            fs::read_to_string(sbom.join(path)).unwrap(),
            contents,
            "{path}"
        );
    }
    assert!(!sbom.join("launch/stale").exists());
    assert!(!sbom.join("cache/some_bp/tools").exists());
}

#[test]
fn an_sbom_format_the_buildpack_did_not_declare_fails_with_52() {
    let fixture = Fixture::new();
    fixture.buildpack(
        "A",
        "1",
        "0.10",
        "sbom-formats = [\"application/spdx+json\"]\n",
    );
    fixture.group_of(&[("A", "1", "0.10")]);
    fixture.output("A@1", "launch.sbom.cdx.json", "{}");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(52), "{out}");
    assert!(
        out.stderr
            .contains("undeclared SBOM media type 'application/vnd.cyclonedx+json'"),
        "{out}"
    );

    fs::remove_file(fixture.app.join("build-layers-A@1/launch.sbom.cdx.json")).unwrap();
    fs::remove_file(fixture.layer_path("A", "launch.sbom.cdx.json")).unwrap();
    fixture.output("A@1", "launch.sbom.xml.json", "{}");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(52), "{out}");
    assert!(out.stderr.contains("unsupported SBOM file format"), "{out}");
}

#[test]
fn the_legacy_bom_goes_to_metadata_before_platform_api_0_9_and_to_sbom_files_after() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.7", "");
    fixture.group_of(&[("A", "1", "0.7")]);
    fixture.output(
        "A@1",
        "launch.toml",
        "[[bom]]\nname = \"dep\"\n[bom.metadata]\nversion = \"1.2\"\n",
    );
    let out = fixture.run("0.8", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("BOM table is deprecated"), "{out}");
    let metadata = fixture.metadata();
    let bom = &metadata["bom"][0];
    assert_eq!(bom["name"].as_str(), Some("dep"));
    assert_eq!(bom["metadata"]["version"].as_str(), Some("1.2"));
    assert_eq!(bom["buildpack"]["id"].as_str(), Some("A"));
    assert!(!fixture.layers.join("sbom/launch/sbom.legacy.json").exists());

    let out = fixture.run("0.9", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(fixture.metadata().get("bom").is_none());
    let legacy = fs::read_to_string(fixture.layers.join("sbom/launch/sbom.legacy.json")).unwrap();
    let legacy: serde_json::Value = serde_json::from_str(&legacy).unwrap();
    assert_eq!(legacy[0]["name"], "dep");
    assert_eq!(legacy[0]["buildpack"]["id"], "A");
}
