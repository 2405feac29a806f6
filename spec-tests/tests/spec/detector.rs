//! The detector phase (platform.md › detector; buildpack.md › Detection and Order Resolution),
//! black-box: the installed `detector` over test buildpacks (`testdata/buildpacks/`), checked
//! through its exit code, its output, `group.toml` and `plan.toml`.

mod contract;
mod extensions;
pub(crate) mod fixture;
mod generate;
mod libcnb;

use cnb_testkit::is_root;
use fixture::Fixture;

const SIMPLE_PLAN: &str = "[[provides]]\nname = \"some_requirement\"\n[[requires]]\nname = \"some_requirement\"\n[requires.metadata]\nversion = \"some_version\"\nsome_metadata_key = \"some_metadata_val\"\n";

#[test]
fn a_passing_group_writes_group_toml_and_plan_toml() {
    let fixture = Fixture::new();
    fixture.buildpack(
        "simple/bp",
        "1.2",
        "0.10",
        "homepage = \"https://simple\"\n",
    );
    fixture.order("[[order]]\n[[order.group]]\nid = \"simple/bp\"\nversion = \"1.2\"\n");
    fixture.plan_of("simple_bp@1.2", SIMPLE_PLAN);
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let group = fixture.group_toml();
    let entry = &group["group"][0];
    assert_eq!(entry["id"].as_str(), Some("simple/bp"));
    assert_eq!(entry["version"].as_str(), Some("1.2"));
    assert_eq!(entry["api"].as_str(), Some("0.10"));
    assert_eq!(entry["homepage"].as_str(), Some("https://simple"));
    let plan: toml::Table = toml::from_str(&fixture.plan_text()).unwrap();
    let entry = &plan["entries"][0];
    assert_eq!(entry["providers"][0]["id"].as_str(), Some("simple/bp"));
    assert_eq!(entry["providers"][0]["version"].as_str(), Some("1.2"));
    let require = &entry["requires"][0];
    assert_eq!(require["name"].as_str(), Some("some_requirement"));
    assert_eq!(
        require["metadata"]["version"].as_str(),
        Some("some_version")
    );
    assert_eq!(
        require["metadata"]["some_metadata_key"].as_str(),
        Some("some_metadata_val")
    );
    assert!(out.stdout.contains("simple/bp 1.2\n"), "{out}");
    assert!(!out.stdout.contains("======== Results ========"), "{out}");
    assert!(
        !out.stdout.contains("detect out"),
        "output of passing detects is debug: {out}"
    );
}

#[test]
fn no_requirements_give_a_zero_byte_plan() {
    let fixture = Fixture::new();
    fixture.buildpack("always", "1", "0.10", "");
    fixture.order("[[order]]\n[[order.group]]\nid = \"always\"\nversion = \"1\"\n");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.plan_text(), "");
    assert_eq!(fixture.group_ids(), [("always".to_owned(), "1".to_owned())]);
}

#[test]
fn all_groups_failing_exit_20_with_the_results_block() {
    let fixture = Fixture::new();
    fixture.buildpack("fail_detect", "v9", "0.10", "");
    fixture.order("[[order]]\n[[order.group]]\nid = \"fail_detect\"\nversion = \"v9\"\n");
    fixture.status_of("fail_detect@v9", 100);
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(20), "{out}");
    for line in [
        "======== Output: fail_detect@v9 ========",
        "detect out: fail_detect@v9",
        "detect err: fail_detect@v9",
        "======== Results ========",
        "fail: fail_detect@v9",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out}");
    }
    assert!(
        out.stderr
            .contains("ERROR: No buildpack groups passed detection."),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("ERROR: failed to detect: no buildpacks participating"),
        "{out}"
    );
    assert!(!fixture.layers.join("group.toml").exists());
    assert!(!fixture.layers.join("plan.toml").exists());
}

#[test]
fn an_erroring_buildpack_makes_it_exit_21_and_shows_its_output() {
    let fixture = Fixture::new();
    fixture.buildpack("ok", "1", "0.10", "");
    fixture.buildpack("broken", "1", "0.10", "");
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"ok\"\nversion = \"1\"\n[[order.group]]\nid = \"broken\"\nversion = \"1\"\n",
    );
    fixture.status_of("broken@1", 127);
    let out = fixture.run("0.12", &["-log-level=info"]);
    assert_eq!(out.code, Some(21), "{out}");
    assert!(out.stdout.contains("err:  broken@1 (127)"), "{out}");
    assert!(
        out.stdout.contains("======== Output: broken@1 ========"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("ERROR: failed to detect: buildpack(s) failed with err"),
        "{out}"
    );
}

#[test]
fn a_buildpack_without_bin_detect_errors_clearly() {
    let fixture = Fixture::new();
    let dir = fixture.buildpack("nodetect", "1", "0.10", "");
    std::fs::remove_file(dir.join("bin/detect")).unwrap();
    fixture.order("[[order]]\n[[order.group]]\nid = \"nodetect\"\nversion = \"1\"\n");
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(21), "{out}");
    assert!(out.stdout.contains("err:  nodetect@1"), "{out}");
    assert!(
        out.stdout.contains(&format!(
            "nodetect@1 has no executable {}",
            dir.join("bin/detect").display()
        )),
        "{out}"
    );
}

#[test]
fn an_unsupported_buildpack_api_anywhere_in_the_order_exits_12_before_any_detect() {
    let fixture = Fixture::new();
    fixture.buildpack("fine", "1", "0.10", "");
    fixture.buildpack("ancient", "1", "0.1", "");
    fixture.composite(
        "outer",
        "1",
        "[[order]]\n[[order.group]]\nid = \"ancient\"\nversion = \"1\"\n",
    );
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"fine\"\nversion = \"1\"\n[[order]]\n[[order.group]]\nid = \"outer\"\nversion = \"1\"\n",
    );
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(12), "{out}");
    assert!(
        out.stderr.contains(
            "buildpack API version '0.1' of ancient@1 is incompatible with the lifecycle"
        ),
        "{out}"
    );
    assert!(
        fixture.calls().is_empty(),
        "nothing ran: {:?}",
        fixture.calls()
    );
}

#[test]
fn a_missing_order_fails_initialization() {
    let fixture = Fixture::new();
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("ERROR: failed to initialize detector: reading order: reading "),
        "{out}"
    );
}

#[test]
fn a_require_before_its_provide_fails_the_group_and_the_next_group_is_tried() {
    let fixture = Fixture::new();
    fixture.buildpack("needs", "1", "0.10", "");
    fixture.buildpack("gives", "1", "0.10", "");
    fixture.plan_of(
        "needs@1",
        "[[requires]]\nname = \"x\"\n[requires.metadata]\nfrom = \"needs\"\n",
    );
    fixture.plan_of("gives@1", "[[provides]]\nname = \"x\"\n");
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"needs\"\nversion = \"1\"\n[[order.group]]\nid = \"gives\"\nversion = \"1\"\n\
         [[order]]\n[[order.group]]\nid = \"gives\"\nversion = \"1\"\n[[order.group]]\nid = \"needs\"\nversion = \"1\"\n",
    );
    let out = fixture.run("0.12", &["-log-level=debug"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("fail: needs@1 requires x"), "{out}");
    assert_eq!(
        fixture.group_ids(),
        [
            ("gives".to_owned(), "1".to_owned()),
            ("needs".to_owned(), "1".to_owned())
        ]
    );
    let plan: toml::Table = toml::from_str(&fixture.plan_text()).unwrap();
    let entry = &plan["entries"][0];
    assert_eq!(entry["providers"][0]["id"].as_str(), Some("gives"));
    assert_eq!(
        entry["requires"][0]["metadata"]["from"].as_str(),
        Some("needs")
    );
    let mut calls = fixture.calls();
    calls.sort();
    assert_eq!(calls, ["gives@1", "needs@1"], "each detect ran once");

    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"needs\"\nversion = \"1\"\n[[order.group]]\nid = \"gives\"\nversion = \"1\"\n",
    );
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(20), "{out}");
}

#[test]
fn a_failing_optional_buildpack_is_left_out_of_the_group() {
    let fixture = Fixture::new();
    fixture.buildpack("main", "1", "0.10", "");
    fixture.buildpack("extra", "1", "0.10", "");
    fixture.status_of("extra@1", 100);
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"extra\"\nversion = \"1\"\noptional = true\n[[order.group]]\nid = \"main\"\nversion = \"1\"\n",
    );
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.group_ids(), [("main".to_owned(), "1".to_owned())]);
    assert!(
        out.stdout.contains("1 of 2 buildpacks participating"),
        "{out}"
    );
    let text = std::fs::read_to_string(fixture.layers.join("group.toml")).unwrap();
    assert!(!text.contains("optional"), "{text}");
}

#[test]
fn or_alternatives_choose_the_first_valid_trial() {
    let fixture = Fixture::new();
    fixture.buildpack("alt", "1", "0.10", "");
    fixture.buildpack("user", "1", "0.10", "");
    fixture.plan_of(
        "alt@1",
        "[[provides]]\nname = \"unused\"\n[[or]]\n[[or.provides]]\nname = \"wanted\"\n[[or]]\n[[or.provides]]\nname = \"wanted\"\n[[or.requires]]\nname = \"never\"\n",
    );
    fixture.plan_of("user@1", "[[requires]]\nname = \"wanted\"\n");
    fixture.order(
        "[[order]]\n[[order.group]]\nid = \"alt\"\nversion = \"1\"\n[[order.group]]\nid = \"user\"\nversion = \"1\"\n",
    );
    let out = fixture.run("0.12", &["-log-level=debug"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("Resolving plan... (try #2)"), "{out}");
    assert!(!out.stdout.contains("(try #3)"), "{out}");
    let plan: toml::Table = toml::from_str(&fixture.plan_text()).unwrap();
    let entries = plan["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["requires"][0]["name"].as_str(), Some("wanted"));
    assert_eq!(entries[0]["providers"][0]["id"].as_str(), Some("alt"));
}

/// lifecycle-tests.md §2.1 "gold": order [E]; E = [A, F, B]; F = [[C], [G optional], [D]];
/// G = [[A@v2, B@v2], [C@v2, D@v2]]. The groups tried are A1 C1 B1, A1 B2, A1 C2 D2 B1, A1 B1,
/// A1 D1 B1; IDs already placed are skipped and each detect runs at most once.
#[test]
fn composite_orders_expand_depth_first_into_the_go_lifecycles_groups() {
    let fixture = Fixture::new();
    for (id, version) in [
        ("A", "v1"),
        ("A", "v2"),
        ("B", "v1"),
        ("B", "v2"),
        ("C", "v1"),
        ("C", "v2"),
        ("D", "v1"),
        ("D", "v2"),
    ] {
        fixture.buildpack(id, version, "0.10", "homepage = \"https://a\"\n");
    }
    let entry = |id: &str, version: &str, optional: bool| {
        format!("[[order.group]]\nid = \"{id}\"\nversion = \"{version}\"\noptional = {optional}\n")
    };
    fixture.composite(
        "E",
        "v1",
        &format!(
            "[[order]]\n{}{}{}",
            entry("A", "v1", false),
            entry("F", "v1", false),
            entry("B", "v1", false)
        ),
    );
    fixture.composite(
        "F",
        "v1",
        &format!(
            "[[order]]\n{}[[order]]\n{}[[order]]\n{}",
            entry("C", "v1", false),
            entry("G", "v1", true),
            entry("D", "v1", false)
        ),
    );
    fixture.composite(
        "G",
        "v1",
        &format!(
            "[[order]]\n{}{}[[order]]\n{}{}",
            entry("A", "v2", false),
            entry("B", "v2", false),
            entry("C", "v2", false),
            entry("D", "v2", false)
        ),
    );
    fixture.order(&format!("[[order]]\n{}", entry("E", "v1", false)));
    for key in ["C@v1", "B@v2", "C@v2"] {
        fixture.status_of(key, 100);
    }
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        fixture.group_ids(),
        [
            ("A".to_owned(), "v1".to_owned()),
            ("B".to_owned(), "v1".to_owned())
        ]
    );
    assert_eq!(
        fixture.group_toml()["group"][0]["homepage"].as_str(),
        Some("https://a")
    );
    let mut calls = fixture.calls();
    calls.sort();
    assert_eq!(calls, ["A@v1", "B@v1", "B@v2", "C@v1", "C@v2", "D@v2"]);

    // With B@v1 failing too, every group fails and the results show the five groups in turn.
    fixture.status_of("B@v1", 100);
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(20), "{out}");
    let groups: Vec<Vec<&str>> = out
        .stdout
        .split("======== Results ========")
        .skip(1)
        .map(|block| {
            block
                .lines()
                .filter_map(|line| {
                    line.strip_prefix("pass: ")
                        .or_else(|| line.strip_prefix("fail: "))
                })
                .filter(|name| !name.starts_with("no viable"))
                .collect()
        })
        .collect();
    assert_eq!(
        groups,
        [
            vec!["A@v1", "C@v1", "B@v1"],
            vec!["A@v1", "B@v2"],
            vec!["A@v1", "C@v2", "D@v2", "B@v1"],
            vec!["A@v1", "B@v1"],
            vec!["A@v1", "D@v1", "B@v1"],
        ],
        "{out}"
    );
}

#[test]
fn system_buildpacks_wrap_every_group_from_platform_api_0_15() {
    let fixture = Fixture::new();
    for id in ["pre", "app", "post"] {
        fixture.buildpack(id, "1", "0.10", "");
    }
    let system = fixture.dir.join("system.toml");
    std::fs::write(
        &system,
        "[[system.pre.buildpacks]]\nid = \"pre\"\nversion = \"1\"\n[[system.post.buildpacks]]\nid = \"post\"\nversion = \"1\"\n",
    )
    .unwrap();
    fixture.order("[[order]]\n[[order.group]]\nid = \"app\"\nversion = \"1\"\n");
    let flag = format!("-system={}", system.display());
    let out = fixture.run("0.15", &[&flag, "-log-level=debug"]);
    assert_eq!(out.code, Some(0), "{out}");
    let ids: Vec<String> = fixture.group_ids().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["pre", "app", "post"]);
    assert!(
        out.stdout
            .contains("Prepending 1 system buildpack(s) to group"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("Appending 1 system buildpack(s) to group"),
        "{out}"
    );

    let mut command = fixture.command("0.14", &[]);
    command.env("CNB_SYSTEM_PATH", &system);
    let out = cnb_testkit::Finished::run(&mut command);
    assert_eq!(out.code, Some(0), "{out}");
    let ids: Vec<String> = fixture.group_ids().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["app"], "below 0.15 system.toml is not read");
}

#[test]
fn the_detector_refuses_to_run_as_root() {
    if !is_root() {
        return; // the property is about root; CI runs as root
    }
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.order("[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n");
    let command = fixture.command("0.12", &[]);
    // setpriv's own three options and the detector's path come first.
    let args: Vec<std::ffi::OsString> = command.get_args().skip(4).map(ToOwned::to_owned).collect();
    let mut as_root = std::process::Command::new(fixture.detector());
    as_root
        .env_clear()
        .env("CNB_PLATFORM_API", "0.12")
        .args(args);
    let out = cnb_testkit::Finished::run(&mut as_root);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr.trim(),
        "ERROR: failed to detect: refusing to run as root"
    );
    assert!(fixture.calls().is_empty());
    assert!(!fixture.layers.join("group.toml").exists());
    drop(command);
}
