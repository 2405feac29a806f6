use std::fs;
use std::os::unix::process::CommandExt;
use std::process::Command;

use cnb_api::check_platform_api;
use cnb_files::TomlFile;
use cnb_files::metadata::BuildMetadata;
use pretty_assertions::assert_eq;

use super::*;
use crate::Settings;

fn text(script: &OsStr) -> &str {
    script.to_str().unwrap()
}

fn launcher(app: &Path) -> Launcher {
    let metadata = BuildMetadata::parse(
        "[[buildpacks]]\nid = \"bp\"\nversion = \"1\"\napi = \"0.8\"\n",
        Path::new("metadata.toml"),
    )
    .unwrap();
    let settings = Settings {
        app_dir: app.to_owned(),
        ..Settings::from_environ(&[])
    };
    Launcher::new(
        check_platform_api(Some("0.15")).unwrap(),
        &settings,
        metadata,
    )
    .unwrap()
}

/// Runs a bash program as the launcher would exec it, and returns its stdout.
fn run(program: &Program) -> String {
    let output = Command::new(&program.path)
        .arg0(&program.argv[0])
        .args(&program.argv[1..])
        .env_clear()
        .envs(program.env.iter().map(|(name, value)| (name, value)))
        .current_dir(&program.cwd)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_script_sources_profiles_changes_directory_and_execs_a_second_bash() {
    let profiles = [
        PathBuf::from("/l/bp/a/profile.d/it's.sh"),
        PathBuf::from("/w/.profile"),
    ];
    assert_eq!(
        text(&script(&profiles, Path::new("/w/sub dir"), true, 0)),
        "source '/l/bp/a/profile.d/it'\\''s.sh'\nsource '/w/.profile'\ncd '/w/sub dir'\nexec bash -c \"$@\""
    );
    assert_eq!(
        text(&script(&[], Path::new("/w"), false, 2)),
        r#"cd '/w'
exec bash -c '"$(eval echo \"$0\")" "$(eval echo \"${1}\")" "$(eval echo \"${2}\")"' "${@:1}""#
    );
}

#[test]
fn bash_runs_script_text_or_evaluates_each_token_after_the_profiles() {
    let app = tempfile::tempdir().unwrap();
    let app = fs::canonicalize(app.path()).unwrap();
    fs::create_dir_all(app.join("sub")).unwrap();
    let profile = app.join("profile.sh");
    fs::write(&profile, "export FROM_PROFILE=\"profiled $0\"\ncd /\n").unwrap();
    let launcher = launcher(&app);
    let env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("GREETING".into(), "hello there".into()),
    ];
    let tokens = LaunchProcess {
        command: vec!["printf".into()],
        args: vec![
            "[%s]".into(),
            "$GREETING".into(),
            "$FROM_PROFILE".into(),
            "$(pwd)".into(),
        ],
        ..LaunchProcess::default()
    };
    let bash = program(
        &launcher,
        &tokens,
        std::slice::from_ref(&profile),
        OsStr::new("/cnb/process/web"),
        env.clone(),
        &app.join("sub"),
    )
    .unwrap();
    assert_eq!(bash.path, Path::new("/bin/bash"));
    assert_eq!(bash.cwd, app);
    assert_eq!(
        run(&bash),
        format!(
            "[hello there][profiled /cnb/process/web][{}]",
            app.join("sub").display()
        )
    );

    let script_text = LaunchProcess {
        command: vec!["echo \"$GREETING\" | tr a-z A-Z; echo $0".into()],
        ..LaunchProcess::default()
    };
    let bash = program(&launcher, &script_text, &[], OsStr::new("x"), env, &app).unwrap();
    assert_eq!(run(&bash), "HELLO THERE\nbash\n");
}

#[test]
fn a_process_with_args_from_an_unlisted_buildpack_fails() {
    let app = tempfile::tempdir().unwrap();
    let launcher = launcher(app.path());
    let mut process = LaunchProcess {
        r#type: "web".into(),
        command: vec!["echo".into()],
        args: vec!["x".into()],
        buildpack_id: "other".into(),
        ..LaunchProcess::default()
    };
    let err = program(
        &launcher,
        &process,
        &[],
        OsStr::new("web"),
        vec![],
        app.path(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "process type 'web' provided by unknown buildpack 'other'"
    );
    process.buildpack_id = "bp".into();
    assert!(
        program(
            &launcher,
            &process,
            &[],
            OsStr::new("web"),
            vec![],
            app.path()
        )
        .is_ok()
    );
}
