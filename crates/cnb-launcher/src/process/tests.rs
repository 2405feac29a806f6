use std::path::Path;

use cnb_api::check_platform_api;
use cnb_files::TomlFile;
use cnb_files::metadata::BuildMetadata;
use pretty_assertions::assert_eq;

use super::*;
use crate::Settings;

const METADATA: &str = r#"
[[buildpacks]]
id = "new/bp"
version = "1"
api = "0.12"

[[buildpacks]]
id = "old/bp"
version = "1"
api = "0.8"

[[processes]]
type = "always"
command = ["run", "always-arg"]
args = ["overridable"]
direct = true
buildpack-id = "new/bp"

[[processes]]
type = "single"
command = ["run"]
args = ["default"]
direct = true
buildpack-id = "new/bp"
working-dir = "sub"

[[processes]]
type = "legacy"
command = ["run"]
args = ["default"]
direct = false
buildpack-id = "old/bp"

[[processes]]
type = "orphan"
command = ["run"]
buildpack-id = "gone/bp"

[[processes]]
type = "dup"
command = ["first"]
exec-env = ["test"]
buildpack-id = "new/bp"

[[processes]]
type = "dup"
command = ["second"]
exec-env = ["production", "development"]
buildpack-id = "new/bp"

[[processes]]
type = "anywhere"
command = ["any"]
exec-env = ["*"]
buildpack-id = "new/bp"
"#;

fn launcher(api: &str, exec_env: &str) -> Launcher {
    let metadata = BuildMetadata::parse(METADATA, Path::new("metadata.toml")).unwrap();
    let settings = Settings {
        exec_env: exec_env.to_owned(),
        ..Settings::from_environ(&[])
    };
    Launcher::new(check_platform_api(Some(api)).unwrap(), &settings, metadata).unwrap()
}

fn select(launcher: &Launcher, argv0: &str, args: &[&str]) -> Result<LaunchProcess, SelectError> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    launcher.select(OsStr::new(argv0), &args)
}

fn command_and_args(process: &LaunchProcess) -> (Vec<&str>, Vec<&str>) {
    (texts(&process.command), texts(&process.args))
}

fn texts(values: &[OsString]) -> Vec<&str> {
    values.iter().map(|value| value.to_str().unwrap()).collect()
}

#[test]
fn argv0_last_path_element_selects_the_process_type() {
    let launcher = launcher("0.15", "production");
    let process = select(&launcher, "/cnb/process/single", &[]).unwrap();
    assert_eq!(process.r#type, "single");
    assert_eq!(command_and_args(&process), (vec!["run"], vec!["default"]));
    assert!(process.direct);
    assert_eq!(process.working_dir.as_deref(), Some(Path::new("sub")));
    assert_eq!(select(&launcher, "legacy", &[]).unwrap().r#type, "legacy");
}

#[test]
fn without_a_process_type_the_user_command_runs_directly_after_dashes_else_through_bash() {
    let launcher = launcher("0.15", "production");
    let direct = select(&launcher, "/cnb/lifecycle/launcher", &["--", "env", "-0"]).unwrap();
    assert_eq!(command_and_args(&direct), (vec!["env"], vec!["-0"]));
    assert!(direct.direct);
    assert_eq!(
        (direct.r#type.as_str(), direct.buildpack_id.as_str()),
        ("", "")
    );
    let shell = select(&launcher, "launcher", &["echo $HOME", "x"]).unwrap();
    assert_eq!(command_and_args(&shell), (vec!["echo $HOME"], vec!["x"]));
    assert!(!shell.direct);
    let dashes_only = select(&launcher, "launcher", &["--"]).unwrap();
    assert_eq!(command_and_args(&dashes_only), (vec!["--"], vec![]));
    assert!(
        !dashes_only.direct,
        "a lone -- is a shell command, as in Go"
    );
    assert_eq!(
        select(&launcher, "launcher", &[]),
        Err(SelectError::NoCommand)
    );
}

#[test]
fn extra_command_entries_are_always_passed_and_user_args_replace_the_defaults() {
    let launcher = launcher("0.10", "production");
    let defaults = select(&launcher, "always", &[]).unwrap();
    assert_eq!(
        command_and_args(&defaults),
        (vec!["run"], vec!["always-arg", "overridable"])
    );
    let user = select(&launcher, "always", &["u1", "u2"]).unwrap();
    assert_eq!(
        command_and_args(&user),
        (vec!["run"], vec!["always-arg", "u1", "u2"])
    );
}

#[test]
fn user_args_replace_for_buildpack_api_0_9_and_later_and_append_before() {
    let launcher = launcher("0.15", "production");
    let replaced = select(&launcher, "single", &["u1"]).unwrap();
    assert_eq!(command_and_args(&replaced), (vec!["run"], vec!["u1"]));
    let appended = select(&launcher, "legacy", &["u1"]).unwrap();
    assert_eq!(
        command_and_args(&appended),
        (vec!["run"], vec!["default", "u1"])
    );
}

#[test]
fn below_platform_api_0_10_user_args_are_always_appended() {
    let launcher = launcher("0.9", "production");
    let process = select(&launcher, "always", &["u1"]).unwrap();
    assert_eq!(
        command_and_args(&process),
        (vec!["run", "always-arg"], vec!["overridable", "u1"])
    );
    let single = select(&launcher, "single", &["u1"]).unwrap();
    assert_eq!(
        command_and_args(&single),
        (vec!["run"], vec!["default", "u1"])
    );
}

#[test]
fn user_args_for_a_process_of_an_unlisted_buildpack_fail() {
    let launcher = launcher("0.15", "production");
    assert!(select(&launcher, "orphan", &[]).is_ok());
    assert_eq!(
        select(&launcher, "orphan", &["x"]),
        Err(SelectError::UnknownBuildpack {
            process_type: "orphan".into(),
            buildpack: "gone/bp".into()
        })
    );
}

#[test]
fn from_platform_api_0_15_the_first_process_eligible_for_the_exec_env_wins() {
    let first = |api, env| {
        let process = select(&launcher(api, env), "dup", &[]).unwrap();
        process.command[0].to_str().unwrap().to_owned()
    };
    assert_eq!(first("0.15", "test"), "first");
    assert_eq!(first("0.15", "production"), "second");
    assert_eq!(first("0.15", "development"), "second");
    assert_eq!(
        first("0.14", "production"),
        "first",
        "no filtering before 0.15"
    );
    assert_eq!(
        select(&launcher("0.15", "staging"), "dup", &[]),
        Err(SelectError::NotEligible {
            process_type: "dup".into(),
            exec_env: "staging".into()
        })
    );
    for env in ["staging", "test"] {
        assert!(
            select(&launcher("0.15", env), "anywhere", &[]).is_ok(),
            "{env}"
        );
        assert!(
            select(&launcher("0.15", env), "single", &[]).is_ok(),
            "{env}"
        );
    }
}

#[test]
fn an_unsupported_buildpack_api_is_refused_with_exit_12() {
    let metadata = BuildMetadata::parse(
        "[[buildpacks]]\nid = \"a\"\nversion = \"1\"\napi = \"0.3\"\n",
        Path::new("metadata.toml"),
    )
    .unwrap();
    let api = check_platform_api(Some("0.15")).unwrap();
    let err = Launcher::new(api, &Settings::from_environ(&[]), metadata).unwrap_err();
    assert_eq!(err.kind(), cnb_api::ExitKind::IncompatibleBuildpackApi);
    assert!(err.to_string().contains("a@1"), "{err}");
}
