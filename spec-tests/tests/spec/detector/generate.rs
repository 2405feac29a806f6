//! The detector's generate step (`image_extension.md` › Generation; platform.md › detector):
//! `bin/generate` with its contract, the plan without what extensions met, the Dockerfiles in
//! `<generated>` as each Platform API lays them out, the run-image switch in analyzed.toml, and
//! each way an extension's output can be invalid (exit 91 or 92, one line).

use std::fmt::Write as _;
use std::fs;

use super::fixture::{Fixture, read_toml};

const BUILD_DOCKERFILE: &str =
    "ARG base_image\nFROM ${base_image}\nARG build_id=0\nRUN echo build > /opt/tool\n";
const RUN_EXTENDS: &str = "FROM ${base_image}\nRUN echo run > /opt/marker\n";
const EXTEND_CONFIG: &str = "[[build.args]]\nname = \"flavour\"\nvalue = \"spicy\"\n";
const ANALYZED: &str = "[run-image]\nreference = \"127.0.0.1:5000/run@sha256:0000000000000000000000000000000000000000000000000000000000000000\"\nimage = \"127.0.0.1:5000/run\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n";

/// `bp` requires `tool` and `other`; extension `ext/a` provides `tool` and generates a
/// build.Dockerfile, a run.Dockerfile that extends and an extend-config.toml.
fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.plan_of(
        "bp@1",
        "[[provides]]\nname = \"other\"\n[[requires]]\nname = \"tool\"\n[requires.metadata]\nflavour = \"any\"\n[[requires]]\nname = \"other\"\n",
    );
    fixture.extension("ext/a", "1", "0.10", true, true);
    fixture.plan_of("ext_a@1", "[[provides]]\nname = \"tool\"\n");
    fixture.generates("ext_a@1", "build.Dockerfile", BUILD_DOCKERFILE);
    fixture.generates("ext_a@1", "run.Dockerfile", RUN_EXTENDS);
    fixture.generates("ext_a@1", "extend-config.toml", EXTEND_CONFIG);
    fixture.order(&order(&["ext/a"]));
    fixture.analyzed(ANALYZED);
    fixture
}

fn order(extensions: &[&str]) -> String {
    let mut toml = String::from(
        "[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n[[order-extensions]]\n",
    );
    for id in extensions {
        let _ = write!(
            toml,
            "[[order-extensions.group]]\nid = \"{id}\"\nversion = \"1\"\n"
        );
    }
    toml
}

fn record(fixture: &Fixture, what: &str) -> String {
    fixture.record("ext_a@1", &format!("generate.{what}"))
}

fn env_of(fixture: &Fixture, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    record(fixture, "env")
        .lines()
        .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
}

#[test]
fn bin_generate_runs_with_its_contract_and_what_it_met_leaves_the_plan() {
    let fixture = fixture();
    fs::create_dir_all(fixture.platform.join("env")).unwrap();
    fs::write(fixture.platform.join("env/FROM_PLATFORM"), "user").unwrap();
    fs::create_dir_all(fixture.build_config.join("env")).unwrap();
    fs::write(fixture.build_config.join("env/FROM_OPERATOR"), "op").unwrap();
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");

    let output = fixture.layers.join("generated/ext_a");
    let ext_dir = fixture.extensions.join("ext_a/1");
    let args: Vec<String> = record(&fixture, "args")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(args[0], ext_dir.join("bin/generate").display().to_string());
    assert_eq!(args[1], output.display().to_string());
    assert_eq!(args[2], fixture.platform.display().to_string());
    assert_eq!(
        env_of(&fixture, "CNB_BP_PLAN_PATH").as_deref(),
        Some(args[3].as_str())
    );
    assert_eq!(
        record(&fixture, "cwd").trim(),
        fixture.app.display().to_string()
    );
    let expected = [
        ("CNB_OUTPUT_DIR", Some(output.display().to_string())),
        ("CNB_EXTENSION_DIR", Some(ext_dir.display().to_string())),
        (
            "CNB_PLATFORM_DIR",
            Some(fixture.platform.display().to_string()),
        ),
        ("CNB_TARGET_OS", Some("linux".to_owned())),
        ("FROM_PLATFORM", Some("user".to_owned())),
        ("FROM_OPERATOR", Some("op".to_owned())),
        ("CNB_BUILDPACK_DIR", None),
        ("CNB_LAYERS_DIR", None),
        ("CNB_EXEC_ENV", None),
    ];
    for (name, value) in expected {
        assert_eq!(env_of(&fixture, name), value, "{name}");
    }
    let plan_given = read_toml_text(&record(&fixture, "plan"));
    assert_eq!(plan_given["entries"][0]["name"].as_str(), Some("tool"));
    assert_eq!(
        plan_given["entries"][0]["metadata"]["flavour"].as_str(),
        Some("any")
    );
    assert!(out.stdout.contains("generate out: ext_a@1"), "{out}");
    assert!(
        out.stdout.contains("generate err: ext_a@1"),
        "both streams to stdout: {out}"
    );

    let plan = fixture.plan_text();
    assert!(!plan.contains("\"tool\""), "met by the extension: {plan}");
    assert!(plan.contains("\"other\""), "{plan}");
    for (name, contents) in [
        ("build.Dockerfile", BUILD_DOCKERFILE),
        ("run.Dockerfile", RUN_EXTENDS),
        ("extend-config.toml", EXTEND_CONFIG),
    ] {
        assert_eq!(
            fs::read_to_string(output.join(name)).unwrap(),
            contents,
            "{name}"
        );
    }
    let analyzed = fixture.analyzed_toml();
    let run_image = &analyzed["run-image"];
    assert_eq!(run_image["extend"].as_bool(), Some(true));
    assert_eq!(run_image["image"].as_str(), Some("127.0.0.1:5000/run"));
    assert_eq!(run_image["target"]["arch"].as_str(), Some("amd64"));
}

fn read_toml_text(text: &str) -> toml::Table {
    toml::from_str(text).expect("the plan parses")
}

#[test]
fn before_platform_api_0_13_dockerfiles_are_copied_under_their_kind() {
    let fixture = fixture();
    let mut command = fixture.command("0.12", &[]);
    let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "quiet"));
    assert_eq!(out.code, Some(0), "{out}");
    let generated = fixture.layers.join("generated");
    let read = |path: &str| fs::read_to_string(generated.join(path)).unwrap();
    assert_eq!(read("build/ext_a/Dockerfile"), BUILD_DOCKERFILE);
    assert_eq!(read("build/ext_a/extend-config.toml"), EXTEND_CONFIG);
    assert_eq!(read("run/ext_a/Dockerfile"), RUN_EXTENDS);
    assert_eq!(read("run/ext_a/extend-config.toml"), EXTEND_CONFIG);
    assert!(
        !generated.join("ext_a").exists(),
        "the output was a temp dir"
    );
    let args: Vec<String> = record(&fixture, "args")
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(
        !args[1].starts_with(&generated.display().to_string()),
        "{}",
        args[1]
    );
    assert!(
        !std::path::Path::new(&args[1]).exists(),
        "the temp dir is removed"
    );
}

#[test]
fn the_last_run_dockerfile_from_another_image_switches_the_run_image() {
    for api in ["0.12", "0.13"] {
        let fixture = Fixture::new();
        fixture.buildpack("bp", "1", "0.10", "");
        for (id, from) in [
            ("ext-a", "127.0.0.1:5000/a"),
            ("ext-b", "127.0.0.1:5000/b:v2"),
        ] {
            fixture.extension(id, "1", "0.10", false, true);
            fixture.generates(
                &format!("{id}@1"),
                "run.Dockerfile",
                &format!("FROM {from}\n"),
            );
        }
        fixture.order(&order(&["ext-a", "ext-b"]));
        fixture.analyzed(ANALYZED);
        let run_toml = fixture.dir.join("run.toml");
        fs::write(&run_toml, "[[images]]\nimage = \"127.0.0.1:5000/run\"\n").unwrap();
        let run_arg = format!("-run={}", run_toml.display());
        let mut command = fixture.command(api, &[&run_arg]);
        let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "warn"));
        assert_eq!(out.code, Some(0), "P{api}: {out}");
        assert!(
            out.stderr.contains(
                "Warning: new runtime base image '127.0.0.1:5000/b:v2' not found in run metadata"
            ),
            "P{api}: {out}"
        );
        let analyzed = fixture.analyzed_toml();
        let run_image = analyzed["run-image"].as_table().unwrap();
        let keys: Vec<&str> = run_image.keys().map(String::as_str).collect();
        assert_eq!(keys, ["reference", "image"], "P{api}: no target, no extend");
        assert_eq!(run_image["reference"].as_str(), Some("127.0.0.1:5000/b:v2"));
        assert_eq!(run_image["image"].as_str(), Some("127.0.0.1:5000/b:v2"));
        let generated = fixture.layers.join("generated");
        let (ignored, kept) = if api == "0.13" {
            ("ext-a/run.Dockerfile.ignore", "ext-b/run.Dockerfile")
        } else {
            ("run/ext-a/Dockerfile.ignore", "run/ext-b/Dockerfile")
        };
        assert!(generated.join(ignored).is_file(), "P{api}: {ignored}");
        assert!(generated.join(kept).is_file(), "P{api}: {kept}");
        let not_ignored = ignored.trim_end_matches(".ignore");
        assert!(
            !generated.join(not_ignored).exists(),
            "P{api}: {not_ignored}"
        );

        // Listed in run.toml (the name compared as Go does, `latest` assumed): no warning.
        fs::write(&run_toml, "[[images]]\nimage = \"127.0.0.1:5000/b:v2\"\n").unwrap();
        fixture.analyzed(ANALYZED);
        let mut command = fixture.command(api, &[&run_arg]);
        let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "quiet"));
        assert_eq!(out.code, Some(0), "P{api}: {out}");
        assert!(
            !out.stderr.contains("not found in run metadata"),
            "P{api}: {out}"
        );
    }
}

#[test]
fn instructions_outside_the_recommended_set_only_warn() {
    let fixture = fixture();
    fixture.generates(
        "ext_a@1",
        "run.Dockerfile",
        "FROM ${base_image}\nRUN true\nCMD [\"/bin/sh\"]\n",
    );
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("Warning: run.Dockerfile command CMD on line 3 is not recommended"),
        "{out}"
    );
}

/// One way an extension's output is wrong: what it writes, and what the detector says.
struct Broken {
    file: &'static str,
    contents: &'static str,
    code: i32,
    says: &'static str,
}

const BROKEN: &[Broken] = &[
    Broken {
        file: "generate-status-ext_a@1",
        contents: "3",
        code: 91,
        says: "failed to build: extension ext/a@1 failed: exit status 3",
    },
    Broken {
        file: "build.Dockerfile",
        contents: "FROM ${base_image}\nRUN true\n",
        code: 92,
        says: "failed to build: invalid build.Dockerfile of extension ext/a@1: build.Dockerfile must begin with 'ARG base_image'",
    },
    Broken {
        file: "build.Dockerfile",
        contents: "ARG base_image\nFROM $base_image\n",
        code: 92,
        says: "failed to build: invalid build.Dockerfile of extension ext/a@1: build.Dockerfile line 2: FROM must name '${base_image}' literally",
    },
    Broken {
        file: "build.Dockerfile",
        contents: "ARG base_image\nFROM ${base_image}\nRUN true\nFROM busybox\n",
        code: 92,
        says: "failed to build: invalid build.Dockerfile of extension ext/a@1: build.Dockerfile line 4: a second FROM",
    },
    Broken {
        file: "run.Dockerfile",
        contents: "FROM ${base_image}\nRUN true\nFROM busybox\n",
        code: 92,
        says: "failed to build: invalid run.Dockerfile of extension ext/a@1: run.Dockerfile line 3: a second FROM",
    },
    Broken {
        file: "run.Dockerfile",
        contents: "FROM ${base_image}\nFLY away\n",
        code: 92,
        says: "failed to build: reading run.Dockerfile of extension ext/a@1: parsing ",
    },
    Broken {
        file: "extend-config.toml",
        contents: "[[run.args]]\nname = \"user_id\"\nvalue = \"0\"\n",
        code: 92,
        says: "failed to build: invalid extend-config.toml of extension ext/a@1: arg with name \"user_id\" is not allowed",
    },
    Broken {
        file: "extend-config.toml",
        contents: "[[build.args]\n",
        code: 92,
        says: "failed to build: reading extend-config.toml of extension ext/a@1: ",
    },
    Broken {
        file: "context/file",
        contents: "shared",
        code: 92,
        says: "failed to build: extension ext/a@1 provides an image-specific context dir together with a shared context",
    },
];

#[test]
fn each_invalid_output_fails_with_gos_code_and_one_line() {
    for broken in BROKEN {
        let fixture = fixture();
        fixture.generates("ext_a@1", "context.run/file", "run only");
        if broken.file.starts_with("generate-status") {
            fixture.app_file(broken.file, broken.contents);
        } else {
            fixture.generates("ext_a@1", broken.file, broken.contents);
        }
        let out = fixture.run("0.13", &[]);
        assert_eq!(out.code, Some(broken.code), "{}: {out}", broken.says);
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|line| line.starts_with("ERROR: "))
            .collect();
        assert_eq!(errors.len(), 1, "{}: {out}", broken.says);
        assert!(
            errors[0].starts_with(&format!("ERROR: {}", broken.says)),
            "{}: {out}",
            broken.says
        );
        let analyzed = read_toml(&fixture.layers.join("analyzed.toml"));
        assert!(
            analyzed["run-image"].get("extend").is_none(),
            "{}: analyzed.toml is not rewritten",
            broken.says
        );
        // plan.toml is detection's: the extension provides `tool`, marked as an extension.
        let plan = read_toml(&fixture.layers.join("plan.toml"));
        let tool = plan["entries"]
            .as_array()
            .and_then(|entries| {
                entries
                    .iter()
                    .find(|entry| entry["requires"][0]["name"].as_str() == Some("tool"))
            })
            .unwrap_or_else(|| panic!("{}: no tool entry in {plan:?}", broken.says));
        assert_eq!(tool["providers"][0]["id"].as_str(), Some("ext/a"));
        assert_eq!(tool["providers"][0]["extension"].as_bool(), Some(true));
    }
}

#[test]
fn without_bin_generate_the_generate_dir_is_the_output() {
    for api in ["0.12", "0.13"] {
        let fixture = Fixture::new();
        fixture.buildpack("bp", "1", "0.10", "");
        let dir = fixture.extension("ext/pre", "1", "0.10", false, false);
        fs::create_dir_all(dir.join("generate")).unwrap();
        fs::write(dir.join("generate/build.Dockerfile"), BUILD_DOCKERFILE).unwrap();
        fs::write(dir.join("generate/extend-config.toml"), EXTEND_CONFIG).unwrap();
        fixture.order(&order(&["ext/pre"]));
        let mut command = fixture.command(api, &[]);
        let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "quiet"));
        assert_eq!(out.code, Some(0), "P{api}: {out}");
        let generated = fixture.layers.join("generated");
        let (dockerfile, config) = if api == "0.13" {
            ("ext_pre/build.Dockerfile", "ext_pre/extend-config.toml")
        } else {
            (
                "build/ext_pre/Dockerfile",
                "build/ext_pre/extend-config.toml",
            )
        };
        assert_eq!(
            fs::read_to_string(generated.join(dockerfile)).unwrap(),
            BUILD_DOCKERFILE,
            "P{api}"
        );
        assert_eq!(
            fs::read_to_string(generated.join(config)).unwrap(),
            EXTEND_CONFIG,
            "P{api}"
        );
        assert!(
            dir.join("generate/build.Dockerfile").is_file(),
            "left in place"
        );
    }
}
