//! The builder phase (platform.md › builder; buildpack.md › Phase #5: Build, Layers,
//! Environment), black-box: the installed `builder` over test buildpacks
//! (`testdata/buildpacks/builder/`), checked through its exit code, its output, what each
//! `bin/build` saw, `<layers>/config/metadata.toml` and `<layers>/sbom`.

mod env;
mod fixture;
mod libcnb;
mod metadata;
mod sbom;

use cnb_testkit::{Finished, is_root};
use fixture::Fixture;

const TARGET: &str = "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\narch-variant = \"v8\"\n[run-image.target.distro]\nname = \"ubuntu\"\nversion = \"some-cute-version\"\n";

#[test]
fn bin_build_gets_the_contract_arguments_working_directory_and_env() {
    let fixture = Fixture::new();
    let bp_dir = fixture.buildpack("some/bp", "0.0.1", "0.12", "");
    fixture.group_of(&[("some/bp", "0.0.1", "0.12")]);
    fixture.analyzed(TARGET);
    let mut command = fixture.command("0.15", &[]);
    command
        .env("HOSTNAME", "kept-host")
        .env("SOME_SECRET", "dropped")
        .env("CNB_EXEC_ENV", "test");
    let out = Finished::run(&mut command);
    assert_eq!(out.code, Some(0), "{out}");
    let key = "some_bp@0.0.1";
    let layers = fixture.layer_path("some/bp", "");
    let layers = layers.to_str().unwrap().trim_end_matches('/');
    let args: Vec<String> = fixture
        .record(key, "args")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(args[0], bp_dir.join("bin/build").to_str().unwrap());
    assert_eq!(args[1], layers);
    assert_eq!(args[2], fixture.platform.to_str().unwrap());
    assert_eq!(
        fixture.env_of(key, "CNB_BP_PLAN_PATH").as_deref(),
        Some(args[3].as_str())
    );
    assert_eq!(
        fixture.record(key, "cwd").trim(),
        fixture.app.to_str().unwrap()
    );
    for (name, value) in [
        ("CNB_BUILDPACK_DIR", bp_dir.to_str().unwrap()),
        ("CNB_LAYERS_DIR", layers),
        ("CNB_PLATFORM_DIR", fixture.platform.to_str().unwrap()),
        ("CNB_TARGET_OS", "linux"),
        ("CNB_TARGET_ARCH", "amd64"),
        ("CNB_TARGET_ARCH_VARIANT", "v8"),
        ("CNB_TARGET_DISTRO_NAME", "ubuntu"),
        ("CNB_TARGET_DISTRO_VERSION", "some-cute-version"),
        ("CNB_EXEC_ENV", "test"),
        ("HOSTNAME", "kept-host"),
    ] {
        assert_eq!(fixture.env_of(key, name).as_deref(), Some(value), "{name}");
    }
    for name in ["SOME_SECRET", "CNB_PLATFORM_API", "CNB_OUTPUT_DIR"] {
        assert_eq!(fixture.env_of(key, name), None, "{name}");
    }
    // Go streams both of the buildpack's streams to the lifecycle's stdout.
    assert!(out.stdout.contains("build out: some_bp@0.0.1"), "{out}");
    assert!(out.stdout.contains("build err: some_bp@0.0.1"), "{out}");
}

#[test]
fn older_buildpack_apis_get_fewer_variables() {
    let fixture = Fixture::new();
    fixture.buildpack("old", "1", "0.7", "");
    fixture.buildpack("mid", "1", "0.10", "");
    fixture.group_of(&[("old", "1", "0.7"), ("mid", "1", "0.10")]);
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    for name in [
        "CNB_LAYERS_DIR",
        "CNB_BP_PLAN_PATH",
        "CNB_PLATFORM_DIR",
        "CNB_TARGET_OS",
    ] {
        assert_eq!(fixture.env_of("old@1", name), None, "{name}");
    }
    assert!(fixture.env_of("old@1", "CNB_BUILDPACK_DIR").is_some());
    assert!(fixture.env_of("mid@1", "CNB_TARGET_OS").is_some());
    assert_eq!(
        fixture.env_of("mid@1", "CNB_EXEC_ENV"),
        None,
        "exec env is for 0.12"
    );
}

#[test]
fn each_buildpack_gets_its_plan_entries_and_met_ones_are_removed_for_later_ones() {
    let fixture = Fixture::new();
    for id in ["A", "B", "C"] {
        fixture.buildpack(id, "1", "0.10", "");
    }
    fixture.group_of(&[("A", "1", "0.10"), ("B", "1", "0.10"), ("C", "1", "0.10")]);
    fixture.plan(
        r#"
[[entries]]
providers = [{ id = "A", version = "1" }, { id = "B", version = "1" }, { id = "C", version = "1" }]
requires = [{ name = "shared", metadata = { from = "x" } }]
[[entries]]
providers = [{ id = "A", version = "1" }, { id = "C", version = "1" }]
requires = [{ name = "deferred" }]
[[entries]]
providers = [{ id = "B", version = "1" }]
requires = [{ name = "b-only" }]
"#,
    );
    fixture.output("A@1", "build.toml", "[[unmet]]\nname = \"deferred\"\n");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let names = |key: &str| -> Vec<String> {
        let plan: toml::Table = toml::from_str(&fixture.record(key, "plan")).unwrap();
        plan.get("entries")
            .and_then(toml::Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| entry["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names("A@1"), ["shared", "deferred"]);
    assert_eq!(names("B@1"), ["b-only"], "A met `shared`");
    assert_eq!(names("C@1"), ["deferred"], "A left `deferred` unmet");
    assert!(fixture.record("A@1", "plan").contains("from = \"x\""));
}

#[test]
fn an_unmet_name_outside_the_plan_fails_the_build_with_52() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10")]);
    fixture.output("A@1", "build.toml", "[[unmet]]\nname = \"never-asked\"\n");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(52), "{out}");
    assert!(
        out.stderr
            .contains("unmet.name 'never-asked' must match a requested dependency"),
        "{out}"
    );
}

#[test]
fn a_failing_buildpack_exits_51_naming_it_and_stops_the_build() {
    let fixture = Fixture::new();
    for id in ["first", "failing", "never"] {
        fixture.buildpack(id, "1", "0.10", "");
    }
    fixture.group_of(&[
        ("first", "1", "0.10"),
        ("failing", "1", "0.10"),
        ("never", "1", "0.10"),
    ]);
    fixture.status_of("failing@1", 3);
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(51), "{out}");
    assert!(
        out.stderr
            .contains("ERROR: failed to build: buildpack failing@1 failed: exit status 3"),
        "{out}"
    );
    assert_eq!(fixture.calls(), ["first@1", "failing@1"]);
    assert!(!fixture.layers.join("config/metadata.toml").exists());
}

#[test]
fn a_group_buildpack_with_an_unsupported_api_exits_12_before_any_build() {
    for api in ["0.2wrongapiblabla", "0.1", "0.13"] {
        let fixture = Fixture::new();
        fixture.buildpack("hello_world", "0.0.1", "0.10", "");
        fixture.group_of(&[("hello_world", "0.0.1", api)]);
        let out = fixture.run("0.15", &[]);
        assert_eq!(out.code, Some(12), "{api}: {out}");
        assert!(out.stderr.contains("hello_world@0.0.1"), "{out}");
        assert!(fixture.calls().is_empty(), "{api}");
    }
}

#[test]
fn refuses_to_run_as_root() {
    if !is_root() {
        return; // the property is about root; CI runs as root
    }
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10")]);
    let mut command = std::process::Command::new(fixture.builder());
    command
        .env_clear()
        .env("CNB_PLATFORM_API", "0.15")
        .arg(format!("-layers={}", fixture.layers.display()))
        .arg(format!("-buildpacks={}", fixture.buildpacks.display()))
        .arg(format!("-app={}", fixture.app.display()));
    let out = Finished::run(&mut command);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("ERROR: failed to build: refusing to run as root"),
        "{out}"
    );
    assert!(fixture.calls().is_empty());
}

#[test]
fn group_and_plan_files_are_required_but_may_be_empty() {
    let fixture = Fixture::new();
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("ERROR: failed to read group file: "),
        "{out}"
    );
    assert!(out.stderr.contains("group.toml"), "{out}");

    fixture.group("not toml at all");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("failed to read group file"), "{out}");

    fixture.group("");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("ERROR: failed to read plan file: "),
        "{out}"
    );

    fixture.plan("");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(fixture.metadata().get("processes").is_none());
}

#[test]
fn positional_arguments_are_refused() {
    let fixture = Fixture::new();
    fixture.group_of(&[]);
    let out = fixture.run("0.15", &["extra"]);
    assert_eq!(out.code, Some(3), "{out}");
    assert!(
        out.stderr.contains("received unexpected arguments"),
        "{out}"
    );
}
