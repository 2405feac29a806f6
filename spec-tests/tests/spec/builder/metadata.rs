//! What the builder makes of the buildpacks' output (buildpack.md › Data Format, Layer Types,
//! Software-Bill-of-Materials; platform.md › builder › Outputs): `metadata.toml` processes,
//! labels, slices, buildpacks and extensions; `.ignore` layers; `<layers>/sbom`.

use std::fs;

use super::fixture::{Fixture, read_toml};

/// `(type, command, buildpack-id)` of every `[[processes]]` entry, in file order.
fn processes(metadata: &toml::Table) -> Vec<(String, toml::Value, String)> {
    let text = |value: &toml::Value| value.as_str().expect("a string").to_owned();
    metadata["processes"]
        .as_array()
        .expect("[[processes]]")
        .iter()
        .map(|process| {
            (
                text(&process["type"]),
                process["command"].clone(),
                text(&process["buildpack-id"]),
            )
        })
        .collect()
}

fn array(items: &[&str]) -> toml::Value {
    toml::Value::Array(items.iter().map(|item| (*item).into()).collect())
}

fn process(kind: &str, command: &str, default: bool) -> String {
    format!("[[processes]]\ntype = \"{kind}\"\ncommand = [\"{command}\"]\ndefault = {default}\n")
}

#[test]
fn a_later_buildpack_replaces_a_type_the_last_default_wins_and_processes_are_sorted() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("B", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10"), ("B", "1", "0.10")]);
    let a = process("web", "a-web", true) + &process("worker", "a-worker", false);
    let b = process("worker", "b-worker", true) + &process("admin", "b-admin", false);
    fixture.output("A@1", "launch.toml", &a);
    fixture.output("B@1", "launch.toml", &b);
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let metadata = fixture.metadata();
    assert_eq!(
        processes(&metadata),
        [
            ("admin".into(), array(&["b-admin"]), "B".into()),
            ("web".into(), array(&["a-web"]), "A".into()),
            ("worker".into(), array(&["b-worker"]), "B".into()),
        ]
    );
    assert_eq!(
        metadata["buildpack-default-process-type"].as_str(),
        Some("worker")
    );
    for process in metadata["processes"].as_array().unwrap() {
        assert_eq!(process["direct"].as_bool(), Some(true));
        assert!(process.get("default").is_none(), "{process}");
    }
}

#[test]
fn a_non_default_redefinition_of_the_default_type_leaves_no_default() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("B", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10"), ("B", "1", "0.10")]);
    fixture.output("A@1", "launch.toml", &process("web", "a-web", true));
    fixture.output("B@1", "launch.toml", &process("web", "b-web", false));
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let metadata = fixture.metadata();
    assert!(metadata.get("buildpack-default-process-type").is_none());
    assert_eq!(processes(&metadata)[0].2, "B");
    assert!(
        out.stderr.contains(
            "Warning: redefining the following default process type with a process not marked as default: web"
        ),
        "{out}"
    );
}

#[test]
fn string_commands_before_buildpack_api_0_9_and_arrays_after() {
    let fixture = Fixture::new();
    fixture.buildpack("old", "1", "0.8", "");
    fixture.buildpack("new", "1", "0.9", "");
    fixture.group_of(&[("old", "1", "0.8"), ("new", "1", "0.9")]);
    fixture.output(
        "old@1",
        "launch.toml",
        "[[processes]]\ntype = \"legacy\"\ncommand = \"echo hello\"\nargs = [\"a\"]\ndirect = false\nworking-dir = \"/w\"\n",
    );
    fixture.output(
        "new@1",
        "launch.toml",
        "[[processes]]\ntype = \"modern\"\ncommand = [\"echo\", \"fixed\"]\nargs = [\"a\"]\nworking-dir = \"sub\"\nexec-env = [\"test\", \"development\"]\n",
    );
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let metadata = fixture.metadata();
    let list = metadata["processes"].as_array().unwrap();
    let (legacy, modern) = (&list[0], &list[1]);
    assert_eq!(legacy["command"], array(&["echo hello"]));
    assert_eq!(legacy["direct"].as_bool(), Some(false));
    assert_eq!(legacy["working-dir"].as_str(), Some("/w"));
    assert_eq!(modern["command"], array(&["echo", "fixed"]));
    assert_eq!(modern["args"], array(&["a"]));
    assert_eq!(modern["direct"].as_bool(), Some(true));
    assert_eq!(modern["working-dir"].as_str(), Some("sub"));
    assert_eq!(modern["exec-env"], array(&["test", "development"]));

    // Platform API 0.9: one string command; further entries lead the args.
    let out = fixture.run("0.9", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let metadata = fixture.metadata();
    let list = metadata["processes"].as_array().unwrap();
    assert_eq!(list[0]["command"].as_str(), Some("echo hello"));
    assert_eq!(list[1]["command"].as_str(), Some("echo"));
    assert_eq!(list[1]["args"], array(&["fixed", "a"]));
}

#[test]
fn shapes_a_buildpack_api_does_not_allow_fail_the_build_with_52() {
    for (api, launch, message) in [
        ("0.9", "command = \"echo\"\n", "not an array"),
        (
            "0.9",
            "command = [\"echo\"]\ndirect = true\n",
            "sets 'direct'",
        ),
        ("0.8", "command = [\"echo\"]\n", "not a string"),
    ] {
        let fixture = Fixture::new();
        fixture.buildpack("A", "1", api, "");
        fixture.group_of(&[("A", "1", api)]);
        fixture.output(
            "A@1",
            "launch.toml",
            &format!("[[processes]]\ntype = \"web\"\n{launch}"),
        );
        let out = fixture.run("0.15", &[]);
        assert_eq!(out.code, Some(52), "{api} {launch}: {out}");
        assert!(out.stderr.contains(message), "{message}: {out}");
    }
}

#[test]
fn layers_with_no_type_are_renamed_ignore_and_top_level_flags_fail() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10")]);
    fixture.output(
        "A@1",
        "scratch.toml",
        "[types]\nlaunch = false\nbuild = false\n",
    );
    fixture.output("A@1", "scratch/file", "x");
    fixture.output("A@1", "untyped.toml", "[metadata]\nkept = true\n");
    fixture.output("A@1", "untyped/file", "x");
    fixture.output("A@1", "kept.toml", "[types]\nlaunch = true\n");
    fixture.output("A@1", "kept/file", "x");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    for name in ["scratch", "untyped"] {
        assert!(
            fixture
                .layer_path("A", &format!("{name}.ignore/file"))
                .is_file(),
            "{name}"
        );
        assert!(!fixture.layer_path("A", name).exists(), "{name}");
        assert!(
            fixture.layer_path("A", &format!("{name}.toml")).is_file(),
            "{name}"
        );
    }
    assert!(fixture.layer_path("A", "kept/file").is_file());

    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10")]);
    fixture.output("A@1", "flat.toml", "launch = true\n");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(52), "{out}");
    assert!(
        out.stderr
            .contains("the launch, cache and build flags should be in the types table"),
        "{out}"
    );
}

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

#[test]
fn buildpacks_extensions_labels_and_slices_are_listed() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("B", "2", "0.12", "");
    fixture.group(
        "[[group]]\nid = \"A\"\nversion = \"1\"\napi = \"0.10\"\nhomepage = \"https://a\"\n[[group]]\nid = \"B\"\nversion = \"2\"\napi = \"0.12\"\n[[group-extensions]]\nid = \"ext\"\nversion = \"3\"\napi = \"0.10\"\n",
    );
    fixture.plan("");
    fixture.output(
        "A@1",
        "launch.toml",
        "[[labels]]\nkey = \"k\"\nvalue = \"from-a\"\n[[slices]]\npaths = [\"a/*\"]\n",
    );
    fixture.output(
        "B@2",
        "launch.toml",
        "[[labels]]\nkey = \"k\"\nvalue = \"from-b\"\n[[slices]]\npaths = [\"b/*\", \"c\"]\n",
    );
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let metadata = read_toml(&fixture.layers.join("config/metadata.toml"));
    let buildpacks = metadata["buildpacks"].as_array().unwrap();
    assert_eq!(buildpacks[0]["id"].as_str(), Some("A"));
    assert_eq!(buildpacks[0]["api"].as_str(), Some("0.10"));
    assert_eq!(buildpacks[0]["homepage"].as_str(), Some("https://a"));
    assert_eq!(buildpacks[1]["version"].as_str(), Some("2"));
    let extension = &metadata["extensions"][0];
    assert_eq!(
        (
            extension["id"].as_str(),
            extension["version"].as_str(),
            extension["api"].as_str()
        ),
        (Some("ext"), Some("3"), Some("0.10"))
    );
    let labels: Vec<&str> = metadata["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|label| label["value"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["from-a", "from-b"]);
    assert_eq!(metadata["slices"][1]["paths"], array(&["b/*", "c"]));
}
