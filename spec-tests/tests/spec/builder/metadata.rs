//! What the builder makes of the buildpacks' output (buildpack.md › Data Format, Layer Types;
//! platform.md › builder › Outputs): `metadata.toml` processes, labels, slices, buildpacks and
//! extensions; `.ignore` layers.

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
