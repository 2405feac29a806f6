//! What each `bin/detect` gets (buildpack.md › Detection, › Environment; spec-matrix.md §5.1)
//! and which buildpacks run at all (targets, execution environments), plus concurrency.

use std::fmt::Write as _;
use std::fs;

use super::fixture::Fixture;

const RUN_IMAGE_TARGET: &str = "[run-image]\nreference = \"r@sha256:0\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n[run-image.target.distro]\nname = \"ubuntu\"\nversion = \"22.04\"\n";

fn one_group(ids: &[(&str, &str)]) -> String {
    let mut toml = String::from("[[order]]\n");
    for (id, version) in ids {
        let _ = write!(
            toml,
            "[[order.group]]
id = \"{id}\"
version = \"{version}\"
"
        );
    }
    toml
}

#[test]
fn positional_args_and_cnb_variables_follow_each_buildpacks_api() {
    let fixture = Fixture::new();
    let apis = ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12"];
    let ids: Vec<(String, &str)> = apis.iter().map(|api| (format!("bp-{api}"), *api)).collect();
    for (id, api) in &ids {
        fixture.buildpack(id, "1", api, "");
    }
    let refs: Vec<(&str, &str)> = ids.iter().map(|(id, _)| (id.as_str(), "1")).collect();
    fixture.order(&one_group(&refs));
    fixture.analyzed(RUN_IMAGE_TARGET);
    let mut command = fixture.command("0.15", &[]);
    command
        .env("CNB_EXEC_ENV", "test")
        .env("CNB_REGISTRY_AUTH", "{\"r\":\"Basic c2VjcmV0\"}")
        .env("HTTPS_PROXY", "http://proxy:3128")
        .env("SOME_RANDOM_VAR", "dropped");
    let out = cnb_testkit::Finished::run(&mut command);
    assert_eq!(out.code, Some(0), "{out}");
    for (id, api) in &ids {
        let key = format!("{id}@1");
        let dir = fixture.buildpack_dir(id, "1");
        let args: Vec<String> = fixture
            .record(&key, "args")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            args[0],
            dir.join("bin/detect").display().to_string(),
            "{key}: $0"
        );
        assert_eq!(args[1], fixture.platform.display().to_string(), "{key}: $1");
        assert!(args[2].ends_with("/plan.toml"), "{key}: $2 = {}", args[2]);
        assert_eq!(
            fixture.record(&key, "cwd").trim(),
            fixture.app.display().to_string()
        );
        let env = |name| fixture.env_of(&key, name);
        assert_eq!(
            env("CNB_BUILDPACK_DIR"),
            Some(dir.display().to_string()),
            "{key}"
        );
        let minor: u32 = api[2..].parse().unwrap();
        let path_env = minor >= 8;
        assert_eq!(
            env("CNB_PLATFORM_DIR"),
            path_env.then(|| args[1].clone()),
            "{key}"
        );
        assert_eq!(
            env("CNB_BUILD_PLAN_PATH"),
            path_env.then(|| args[2].clone()),
            "{key}"
        );
        let target = |value: &str| (minor >= 10).then(|| value.to_owned());
        assert_eq!(env("CNB_TARGET_OS"), target("linux"), "{key}");
        assert_eq!(env("CNB_TARGET_ARCH"), target("amd64"), "{key}");
        assert_eq!(env("CNB_TARGET_DISTRO_NAME"), target("ubuntu"), "{key}");
        assert_eq!(env("CNB_TARGET_DISTRO_VERSION"), target("22.04"), "{key}");
        assert_eq!(env("CNB_TARGET_ARCH_VARIANT"), None, "{key}");
        assert_eq!(
            env("CNB_EXEC_ENV"),
            (minor >= 12).then(|| "test".to_owned()),
            "{key}"
        );
        assert_eq!(
            env("HTTPS_PROXY").as_deref(),
            Some("http://proxy:3128"),
            "{key}"
        );
        assert_eq!(
            env("CNB_REGISTRY_AUTH"),
            None,
            "{key}: credentials never reach buildpacks"
        );
        assert_eq!(env("CNB_PLATFORM_API"), None, "{key}");
        assert_eq!(env("SOME_RANDOM_VAR"), None, "{key}");
    }
}

#[test]
fn platform_env_is_visible_unless_clear_env_and_build_config_env_always() {
    let fixture = Fixture::new();
    fixture.buildpack("plain", "1", "0.10", "");
    fixture.buildpack("clearing", "1", "0.10", "clear-env = true\n");
    fs::create_dir_all(fixture.platform.join("env")).unwrap();
    fs::write(fixture.platform.join("env/BP_USER"), "from-user").unwrap();
    fs::write(fixture.platform.join("env/PATH"), "/user/bin").unwrap();
    fs::write(fixture.platform.join("env/OVERRIDDEN"), "user").unwrap();
    fs::create_dir_all(fixture.build_config.join("env")).unwrap();
    fs::write(
        fixture.build_config.join("env/FOO"),
        "val-from-build-config",
    )
    .unwrap();
    fs::write(
        fixture.build_config.join("env/OVERRIDDEN.override"),
        "operator",
    )
    .unwrap();
    fixture.order(&one_group(&[("plain", "1"), ("clearing", "1")]));
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let plain = |name| fixture.env_of("plain@1", name);
    let clearing = |name| fixture.env_of("clearing@1", name);
    assert_eq!(plain("BP_USER").as_deref(), Some("from-user"));
    assert_eq!(
        plain("PATH").as_deref(),
        Some("/user/bin:/usr/local/bin:/usr/bin:/bin")
    );
    assert_eq!(plain("FOO").as_deref(), Some("val-from-build-config"));
    assert_eq!(plain("OVERRIDDEN").as_deref(), Some("operator"));
    assert_eq!(clearing("BP_USER"), None);
    assert_eq!(
        clearing("PATH").as_deref(),
        Some("/usr/local/bin:/usr/bin:/bin")
    );
    assert_eq!(clearing("FOO").as_deref(), Some("val-from-build-config"));
    assert_eq!(clearing("OVERRIDDEN").as_deref(), Some("operator"));
}

#[test]
fn a_required_buildpack_whose_targets_miss_the_run_image_errors_with_21() {
    let fixture = Fixture::new();
    let arm = "[[targets]]\nos = \"linux\"\narch = \"arm64\"\n";
    fixture.buildpack("arm-only", "1", "0.10", arm);
    fixture.buildpack("any", "1", "0.10", "[[targets]]\nos = \"linux\"\n");
    fixture.analyzed(RUN_IMAGE_TARGET);
    fixture.order(&one_group(&[("any", "1"), ("arm-only", "1")]));
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(21), "{out}");
    assert!(out.stdout.contains("err:  arm-only@1\n"), "{out}");
    assert!(
        out.stdout.contains(
            "unable to satisfy target os/arch constraints of arm-only@1; run image: linux/amd64 (ubuntu 22.04), buildpack: [linux/arm64]"
        ),
        "{out}"
    );
    assert!(
        !fixture.calls().contains(&"arm-only@1".to_owned()),
        "{:?}",
        fixture.calls()
    );

    // Optional, it is left out without running; below Platform API 0.12 targets are not checked.
    fixture.order("[[order]]\n[[order.group]]\nid = \"any\"\nversion = \"1\"\n[[order.group]]\nid = \"arm-only\"\nversion = \"1\"\noptional = true\n");
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.group_ids(), [("any".to_owned(), "1".to_owned())]);
    assert!(!fixture.calls().contains(&"arm-only@1".to_owned()));
    let out = fixture.run("0.11", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.group_ids().len(), 2);
}

#[test]
fn distro_targets_match_the_run_image_distro() {
    let fixture = Fixture::new();
    let jammy = "[[targets]]\nos = \"linux\"\n[[targets.distros]]\nname = \"ubuntu\"\nversion = \"22.04\"\n";
    let alpine = "[[targets]]\nos = \"linux\"\n[[targets.distros]]\nname = \"alpine\"\n";
    fixture.buildpack("jammy", "1", "0.10", jammy);
    fixture.buildpack("alpine", "1", "0.10", alpine);
    fixture.analyzed(RUN_IMAGE_TARGET);
    fixture.order(&format!(
        "{}{}",
        one_group(&[("alpine", "1")]),
        one_group(&[("jammy", "1")])
    ));
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.group_ids(), [("jammy".to_owned(), "1".to_owned())]);
}

/// The fallback itself is unit-tested in cnb-buildpack and cnb-detector with a file of their
/// own; here only that the default path, the build container's /etc/os-release, is read.
#[test]
fn without_a_run_image_distro_the_build_containers_os_release_is_read() {
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os_release.lines().find_map(|line| line.strip_prefix("ID="));
    let Some(id) = id.map(|id| id.trim_matches('"').to_owned()) else {
        return; // no os-release on this machine: nothing to observe
    };
    let fixture = Fixture::new();
    fixture.buildpack("bp", "1", "0.10", "");
    fixture.analyzed(
        "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n",
    );
    fixture.order(&one_group(&[("bp", "1")]));
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(fixture.env_of("bp@1", "CNB_TARGET_DISTRO_NAME"), Some(id));
    assert!(
        out.stdout
            .contains("target distro name/version labels not found, reading /etc/os-release"),
        "{out}"
    );
}

#[test]
fn buildpacks_outside_the_execution_environment_are_skipped_without_running() {
    let fixture = Fixture::new();
    let production = "exec-env = [\"production\"]\n";
    fixture.buildpack("prod-only", "1", "0.12", production);
    fixture.buildpack("prod-only-old-api", "1", "0.11", production);
    fixture.buildpack("everywhere", "1", "0.12", "exec-env = [\"*\"]\n");
    fixture.order(&one_group(&[
        ("prod-only", "1"),
        ("prod-only-old-api", "1"),
        ("everywhere", "1"),
    ]));
    let mut command = fixture.command("0.15", &[]);
    command.env("CNB_EXEC_ENV", "test");
    let out = cnb_testkit::Finished::run(&mut command);
    assert_eq!(out.code, Some(0), "{out}");
    let ids: Vec<String> = fixture.group_ids().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["prod-only-old-api", "everywhere"]);
    assert!(!fixture.calls().contains(&"prod-only@1".to_owned()));

    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "production is the default: {out}");
    assert_eq!(fixture.group_ids().len(), 3);
}

/// Each detect sleeps; they overlap in time when run concurrently (every start precedes every
/// end), while the group, the plan and the logs keep the order of the group.
#[test]
fn a_groups_detects_run_concurrently_and_results_stay_in_order() {
    let fixture = Fixture::new();
    let ids = ["one", "two", "three", "four", "five"];
    for id in ids {
        fixture.buildpack(id, "1", "0.10", "");
        fixture.plan_of(
            &format!("{id}@1"),
            &format!("[[provides]]\nname = \"{id}\"\n[[requires]]\nname = \"{id}\"\n"),
        );
    }
    fixture.app_file("detect-sleep", "1");
    let refs: Vec<(&str, &str)> = ids.iter().map(|id| (*id, "1")).collect();
    fixture.order(&one_group(&refs));
    let out = fixture.run("0.12", &["-log-level=debug"]);
    assert_eq!(out.code, Some(0), "{out}");

    let intervals: Vec<(u128, u128)> = ids
        .iter()
        .map(|id| {
            let times = fixture.record(&format!("{id}@1"), "times");
            let mut parts = times.split_whitespace().map(|t| t.parse::<u128>().unwrap());
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    let last_start = intervals.iter().map(|(start, _)| *start).max().unwrap();
    let first_end = intervals.iter().map(|(_, end)| *end).min().unwrap();
    assert!(
        last_start < first_end,
        "the detects did not overlap: {intervals:?}"
    );

    let group: Vec<String> = fixture.group_ids().into_iter().map(|(id, _)| id).collect();
    assert_eq!(group, ids);
    let plan: toml::Table = toml::from_str(&fixture.plan_text()).unwrap();
    let names: Vec<&str> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["requires"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ids);
    let positions: Vec<usize> = ids
        .iter()
        .map(|id| {
            let block = format!(
                "======== Output: {id}@1 ========\ndetect out: {id}@1\ndetect err: {id}@1\n"
            );
            out.stdout
                .find(&block)
                .unwrap_or_else(|| panic!("{block}: {out}"))
        })
        .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{out}");
}
