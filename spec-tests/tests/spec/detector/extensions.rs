//! Detection with image extensions (`image_extension.md` › Detection; platform.md ›
//! detector): `[[order-extensions]]` in front of every group, optional, through the
//! extension detect contract; an app no extension matches is detected exactly as without
//! them; `CNB_EXPERIMENTAL_MODE` guards them before Platform API 0.13.

use std::fmt::Write as _;
use std::fs;

use super::fixture::Fixture;

const BP_ORDER: &str = "[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n";

fn with_extensions(groups: &[&[&str]]) -> String {
    let mut toml = BP_ORDER.to_owned();
    for group in groups {
        toml.push_str("[[order-extensions]]\n");
        for id in *group {
            let _ = write!(
                toml,
                "[[order-extensions.group]]\nid = \"{id}\"\nversion = \"1\"\n"
            );
        }
    }
    toml
}

#[test]
fn an_order_with_extensions_that_none_passes_writes_the_same_group_and_plan() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "homepage = \"https://bp\"\n");
    fixture.plan_of(
        "bp@1",
        "[[provides]]\nname = \"x\"\n[[requires]]\nname = \"x\"\n[requires.metadata]\nv = \"1\"\n",
    );
    fixture.extension("ext-fails", "1", "0.10", true, true);
    fixture.status_of("ext-fails@1", 100);
    fixture.extension("ext-unused", "1", "0.10", true, true);
    fixture.plan_of(
        "ext-unused@1",
        "[[provides]]\nname = \"nobody-wants-this\"\n",
    );

    fixture.order(BP_ORDER);
    let without = fixture.run("0.13", &[]);
    assert_eq!(without.code, Some(0), "{without}");
    let (group, plan) = (fixture.group_text(), fixture.plan_text());
    fs::remove_file(fixture.layers.join("group.toml")).unwrap();
    fs::remove_file(fixture.layers.join("plan.toml")).unwrap();

    fixture.order(&with_extensions(&[&["ext-fails", "ext-unused"]]));
    let with = fixture.run("0.13", &["-log-level=debug"]);
    assert_eq!(with.code, Some(0), "{with}");
    assert_eq!(fixture.group_text(), group);
    assert_eq!(fixture.plan_text(), plan);
    assert!(!group.contains("group-extensions"), "{group}");
    assert!(with.stdout.contains("skip: ext-fails@1"), "{with}");
    assert!(
        with.stdout
            .contains("skip: ext-unused@1 provides unused nobody-wants-this"),
        "{with}"
    );
    assert!(
        !fixture.layers.join("generated").exists(),
        "no extension, no generate step"
    );
    assert!(
        !fixture
            .calls()
            .iter()
            .any(|call| call.starts_with("generate")),
        "{:?}",
        fixture.calls()
    );
}

#[test]
fn a_passing_extension_joins_group_extensions_in_front_of_the_buildpacks() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.plan_of("bp@1", "[[requires]]\nname = \"tool\"\n");
    fixture.extension("ext/tool", "1", "0.10", true, false);
    fixture.plan_of("ext_tool@1", "[[provides]]\nname = \"tool\"\n");
    fixture.order(&with_extensions(&[&["ext/tool"]]));
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let group = fixture.group_toml();
    assert_eq!(group["group"][0]["id"].as_str(), Some("bp"));
    let extension = &group["group-extensions"][0];
    assert_eq!(extension["id"].as_str(), Some("ext/tool"));
    assert_eq!(extension["version"].as_str(), Some("1"));
    assert_eq!(extension["api"].as_str(), Some("0.10"));
    assert!(extension.get("optional").is_none(), "{group:?}");
    assert!(out.stdout.contains("ext/tool 1\nbp       1\n"), "{out}");
}

#[test]
fn extensions_get_their_own_detect_contract() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    let dir = fixture.extension("ext", "2", "0.10", true, false);
    fixture.order(&format!(
        "{BP_ORDER}[[order-extensions]]\n[[order-extensions.group]]\nid = \"ext\"\nversion = \"2\"\n"
    ));
    fixture.analyzed(
        "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"arm64\"\n",
    );
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let key = "ext@2";
    assert_eq!(
        fixture.env_of(key, "CNB_EXTENSION_DIR"),
        Some(dir.display().to_string())
    );
    assert_eq!(fixture.env_of(key, "CNB_BUILDPACK_DIR"), None);
    assert_eq!(
        fixture.env_of(key, "CNB_PLATFORM_DIR"),
        Some(fixture.platform.display().to_string())
    );
    assert!(fixture.env_of(key, "CNB_BUILD_PLAN_PATH").is_some());
    assert_eq!(
        fixture.env_of(key, "CNB_TARGET_ARCH").as_deref(),
        Some("arm64")
    );
    assert_eq!(
        fixture.record(key, "cwd").trim(),
        fixture.app.display().to_string()
    );
    let args: Vec<String> = fixture
        .record(key, "args")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(args[0], dir.join("bin/detect").display().to_string());
    assert_eq!(args[1], fixture.platform.display().to_string());
}

#[test]
fn an_extension_without_bin_detect_passes_with_its_detect_plan() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.plan_of("bp@1", "[[requires]]\nname = \"tool\"\n");
    let dir = fixture.extension("ext", "1", "0.10", false, false);
    fs::create_dir_all(dir.join("detect")).unwrap();
    fs::write(
        dir.join("detect/plan.toml"),
        "[[provides]]\nname = \"tool\"\n",
    )
    .unwrap();
    fixture.order(&with_extensions(&[&["ext"]]));
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        fixture.group_toml()["group-extensions"][0]["id"].as_str(),
        Some("ext")
    );
    assert_eq!(fixture.calls(), ["bp@1"], "only the buildpack's detect ran");
}

#[test]
fn an_extension_that_requires_is_an_error_and_left_out() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.extension("ext", "1", "0.10", true, false);
    fixture.plan_of("ext@1", "[[requires]]\nname = \"tool\"\n");
    fixture.order(&with_extensions(&[&["ext"]]));
    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("err:  ext@1"), "{out}");
    assert!(
        out.stdout
            .contains("extension ext@1 outputs \"requires\", which is not allowed"),
        "{out}"
    );
    assert!(!fixture.group_text().contains("group-extensions"));
}

#[test]
fn before_platform_api_0_13_extensions_are_experimental() {
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.extension("ext", "1", "0.10", true, false);
    fixture.status_of("ext@1", 100);
    fixture.order(&with_extensions(&[&["ext"]]));

    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "ERROR: Platform requested experimental feature 'Dockerfiles'\n\
         ERROR: experimental features are disabled by CNB_EXPERIMENTAL_MODE=error\n",
        "{out}"
    );
    assert!(fixture.calls().is_empty(), "nothing ran");

    let mut command = fixture.command("0.10", &[]);
    let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "warn"));
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("Warning: Platform requested experimental feature 'Dockerfiles'"),
        "{out}"
    );

    let mut command = fixture.command("0.12", &[]);
    let out = cnb_testkit::Finished::run(command.env("CNB_EXPERIMENTAL_MODE", "quiet"));
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stderr.contains("experimental"), "{out}");

    let out = fixture.run("0.13", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stderr.contains("experimental"), "{out}");
}
