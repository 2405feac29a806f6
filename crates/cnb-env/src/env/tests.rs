use std::fs;
use std::os::unix::fs::symlink;

use pretty_assertions::assert_eq;

use super::*;

fn environ(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(name, value)| (OsString::from(name), OsString::from(value)))
        .collect()
}

fn get(env: &Env, name: &str) -> Option<String> {
    env.get(name)
        .map(|value| value.to_string_lossy().into_owned())
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, contents) in files {
        fs::write(dir.join(name), contents).unwrap();
    }
}

#[test]
fn build_env_passes_only_the_allow_list_and_path_variables() {
    let env = Env::for_build(environ(&[
        ("HOME", "/home/cnb"),
        ("HTTPS_PROXY", "http://proxy"),
        ("no_proxy", "localhost"),
        ("CNB_STACK_ID", "stack"),
        ("PATH", "/usr/bin"),
        ("LD_LIBRARY_PATH", "/lib"),
        ("PKG_CONFIG_PATH", "a=b"),
        ("CNB_PLATFORM_API", "0.15"),
        ("CNB_REGISTRY_AUTH", "secret"),
        ("SOME_VAR", "x"),
    ]));
    let names: Vec<String> = env
        .vars()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "CNB_STACK_ID",
            "HOME",
            "HTTPS_PROXY",
            "LD_LIBRARY_PATH",
            "PATH",
            "PKG_CONFIG_PATH",
            "no_proxy"
        ]
    );
    assert_eq!(
        get(&env, "PKG_CONFIG_PATH").as_deref(),
        Some("a=b"),
        "values containing '=' survive"
    );
}

#[test]
fn launch_env_drops_the_lifecycle_variables_and_its_path_entries() {
    let env = Env::for_launch(
        environ(&[
            ("CNB_LAYERS_DIR", "/layers"),
            ("CNB_APP_DIR", "/workspace"),
            ("CNB_PROCESS_TYPE", "web"),
            ("CNB_PLATFORM_API", "0.15"),
            ("CNB_DEPRECATION_MODE", "quiet"),
            ("CNB_EXEC_ENV", "production"),
            (
                "PATH",
                "/cnb/process:/cnb/lifecycle:/usr/bin:/cnb/process:/bin",
            ),
            ("SOME_VAR", "kept"),
        ]),
        &[Path::new("/cnb/process"), Path::new("/cnb/lifecycle")],
    );
    assert_eq!(get(&env, "PATH").as_deref(), Some("/usr/bin:/bin"));
    assert_eq!(get(&env, "SOME_VAR").as_deref(), Some("kept"));
    assert_eq!(get(&env, "CNB_EXEC_ENV").as_deref(), Some("production"));
    for removed in [
        "CNB_LAYERS_DIR",
        "CNB_APP_DIR",
        "CNB_PROCESS_TYPE",
        "CNB_PLATFORM_API",
        "CNB_DEPRECATION_MODE",
    ] {
        assert_eq!(get(&env, removed), None, "{removed}");
    }
}

#[test]
fn root_dirs_prepend_the_layers_path_directories_by_scope() {
    let layer = tempfile::tempdir().unwrap();
    for dir in ["bin", "lib", "include", "pkgconfig"] {
        fs::create_dir(layer.path().join(dir)).unwrap();
    }
    let at = |dir: &str| layer.path().join(dir).display().to_string();

    let mut build = Env::for_build(environ(&[("PATH", "/usr/bin")]));
    build.add_root_dir(layer.path()).unwrap();
    assert_eq!(get(&build, "PATH"), Some(format!("{}:/usr/bin", at("bin"))));
    assert_eq!(
        get(&build, "LD_LIBRARY_PATH"),
        Some(at("lib")),
        "no separator before an empty value"
    );
    assert_eq!(get(&build, "LIBRARY_PATH"), Some(at("lib")));
    assert_eq!(get(&build, "CPATH"), Some(at("include")));
    assert_eq!(get(&build, "PKG_CONFIG_PATH"), Some(at("pkgconfig")));

    let mut launch = Env::for_launch(environ(&[]), &[]);
    launch.add_root_dir(layer.path()).unwrap();
    assert_eq!(get(&launch, "PATH"), Some(at("bin")));
    assert_eq!(get(&launch, "LD_LIBRARY_PATH"), Some(at("lib")));
    assert_eq!(get(&launch, "LIBRARY_PATH"), None);
    assert_eq!(get(&launch, "CPATH"), None);
}

#[test]
fn suffixes_append_prepend_override_and_default_without_a_separator_unless_delim() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("APPENDED.append", "-app"),
            ("PREPENDED.prepend", "pre-"),
            ("DELIMITED.append", "two"),
            ("DELIMITED.delim", "**"),
            ("REPLACED.override", "new"),
            ("DEFAULTED.default", "default"),
            ("EMPTY_DEFAULTED.default", "default"),
            ("UNSET_DEFAULTED.default", "default"),
            ("PLAIN", "plain\n"),
            ("IGNORED.unknown", "x"),
            ("BOTH.append", "-a"),
            ("BOTH.prepend", "p-"),
        ],
    );
    let mut env = Env::for_launch(
        environ(&[
            ("APPENDED", "base"),
            ("PREPENDED", "base"),
            ("DELIMITED", "one"),
            ("REPLACED", "old"),
            ("DEFAULTED", "set"),
            ("EMPTY_DEFAULTED", ""),
            ("IGNORED", "kept"),
            ("BOTH", "base"),
        ]),
        &[],
    );
    env.add_env_dir(dir.path(), Action::Override).unwrap();
    assert_eq!(get(&env, "APPENDED").as_deref(), Some("base-app"));
    assert_eq!(get(&env, "PREPENDED").as_deref(), Some("pre-base"));
    assert_eq!(get(&env, "DELIMITED").as_deref(), Some("one**two"));
    assert_eq!(get(&env, "REPLACED").as_deref(), Some("new"));
    assert_eq!(get(&env, "DEFAULTED").as_deref(), Some("set"));
    assert_eq!(
        get(&env, "EMPTY_DEFAULTED").as_deref(),
        Some("default"),
        "empty counts as unset"
    );
    assert_eq!(get(&env, "UNSET_DEFAULTED").as_deref(), Some("default"));
    assert_eq!(
        get(&env, "PLAIN").as_deref(),
        Some("plain\n"),
        "contents are raw, not trimmed"
    );
    assert_eq!(get(&env, "IGNORED").as_deref(), Some("kept"));
    assert_eq!(
        get(&env, "BOTH").as_deref(),
        Some("p-base-a"),
        "files apply in name order: append, then prepend"
    );
    assert_eq!(get(&env, "DELIMITED.delim"), None);
}

#[test]
fn appending_to_an_empty_value_adds_no_separator_but_prepending_empty_contents_does() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("A.append", "x"),
            ("A.delim", ":"),
            ("B.prepend", ""),
            ("B.delim", ":"),
        ],
    );
    let mut env = Env::for_launch(environ(&[("B", "base")]), &[]);
    env.add_env_dir(dir.path(), Action::Override).unwrap();
    assert_eq!(get(&env, "A").as_deref(), Some("x"));
    assert_eq!(
        get(&env, "B").as_deref(),
        Some(":base"),
        "as Go: the separator depends on the existing value only"
    );
}

#[test]
fn unsuffixed_files_take_the_callers_action_and_names_split_at_the_first_dot() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("VAR", "from-file"), ("OTHER.x.append", "ignored")],
    );
    let mut overriding = Env::for_launch(environ(&[("VAR", "set")]), &[]);
    overriding
        .add_env_dir(dir.path(), Action::Override)
        .unwrap();
    assert_eq!(get(&overriding, "VAR").as_deref(), Some("from-file"));
    assert_eq!(
        get(&overriding, "OTHER"),
        None,
        "suffix 'x.append' is unknown"
    );
    let mut defaulting = Env::for_launch(environ(&[("VAR", "set")]), &[]);
    defaulting.add_env_dir(dir.path(), Action::Default).unwrap();
    assert_eq!(get(&defaulting, "VAR").as_deref(), Some("set"));
}

#[test]
fn subdirectories_are_skipped_and_symlinks_to_files_followed() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("env");
    write(&dir, &[]);
    fs::create_dir(dir.join("web")).unwrap();
    fs::write(scratch.path().join("target"), "linked").unwrap();
    symlink(scratch.path().join("target"), dir.join("LINKED")).unwrap();
    symlink(dir.join("web"), dir.join("DIRLINK")).unwrap();
    let mut env = Env::for_launch(environ(&[]), &[]);
    env.add_env_dir(&dir, Action::Override).unwrap();
    assert_eq!(get(&env, "LINKED").as_deref(), Some("linked"));
    assert_eq!(get(&env, "web"), None);
    assert_eq!(get(&env, "DIRLINK"), None);
    env.add_env_dir(&scratch.path().join("missing"), Action::Override)
        .unwrap();
}

#[test]
fn platform_env_is_literal_with_path_variables_prepended_then_build_config_defaults() {
    let scratch = tempfile::tempdir().unwrap();
    let platform = scratch.path().join("platform");
    let build_config = scratch.path().join("build-config");
    write(
        &platform.join("env"),
        &[
            ("PATH", "/platform/bin"),
            ("VAR_CHANGE", "value-platform-change"),
            ("LITERAL.append", "x"),
            ("OVERRIDDEN", "platform"),
        ],
    );
    write(
        &build_config.join("env"),
        &[
            ("VAR_CHANGE.prepend", "value-prepend"),
            ("VAR_CHANGE.append", "value-append"),
            ("VAR_CHANGE.delim", ":"),
            ("OVERRIDDEN", "operator-default"),
            ("NEW", "operator"),
        ],
    );
    let base = Env::for_build(environ(&[("PATH", "/usr/bin"), ("HOME", "/home")]));
    let env = base
        .with_overrides(Some(&platform), Some(&build_config))
        .unwrap();
    assert_eq!(get(&env, "PATH").as_deref(), Some("/platform/bin:/usr/bin"));
    assert_eq!(
        get(&env, "VAR_CHANGE").as_deref(),
        Some("value-prepend:value-platform-change:value-append")
    );
    assert_eq!(
        get(&env, "LITERAL.append").as_deref(),
        Some("x"),
        "no suffix processing for user env"
    );
    assert_eq!(
        get(&env, "OVERRIDDEN").as_deref(),
        Some("platform"),
        "operator files without suffix are defaults"
    );
    assert_eq!(get(&env, "NEW").as_deref(), Some("operator"));

    let clear = base.with_overrides(None, Some(&build_config)).unwrap();
    assert_eq!(
        get(&clear, "PATH").as_deref(),
        Some("/usr/bin"),
        "clear-env skips the platform env"
    );
    assert_eq!(
        get(&clear, "VAR_CHANGE").as_deref(),
        Some("value-prepend:value-append")
    );
    assert_eq!(get(&base, "NEW"), None, "the base env is not changed");
}
