use std::os::unix::fs::symlink;

use cnb_api::check_platform_api;
use cnb_files::TomlFile;
use cnb_files::metadata::BuildMetadata;
use pretty_assertions::assert_eq;

use super::*;
use crate::Settings;

const METADATA: &str = r#"
[[buildpacks]]
id = "first/bp"
version = "1"
api = "0.12"

[[buildpacks]]
id = "second/bp"
version = "1"
api = "0.8"

[[buildpacks]]
id = "absent/bp"
version = "1"
api = "0.12"
"#;

fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// Two buildpacks: `first/bp` with layers `a` and `b`, `second/bp` with layer `c`.
fn fixture() -> (tempfile::TempDir, Launcher) {
    let root = tempfile::tempdir().unwrap();
    let layers = root.path().join("layers");
    for (layer, order) in [
        ("first_bp/a", "a"),
        ("first_bp/b", "b"),
        ("second_bp/c", "c"),
    ] {
        let layer = layers.join(layer);
        fs::create_dir_all(layer.join("bin")).unwrap();
        write(&layer.join("env/ORDER.append"), order);
        write(&layer.join("env/ORDER.delim"), ",");
    }
    write(&layers.join("first_bp/a/env/PATH.prepend"), "/from-a-env");
    write(&layers.join("first_bp/a/env/PATH.delim"), ":");
    write(&layers.join("first_bp/b/env.launch/LAUNCH_ONLY"), "launch");
    write(&layers.join("first_bp/b/env.launch/web/WEB_ONLY"), "web");
    fs::create_dir_all(layers.join("first_bp/b/lib")).unwrap();
    write(&layers.join("first_bp/a.toml"), "[types]\nlaunch = true\n");
    symlink(layers.join("second_bp/c"), layers.join("second_bp/linked")).unwrap();
    let settings = Settings {
        layers_dir: layers,
        app_dir: root.path().join("workspace"),
        ..Settings::from_environ(&[])
    };
    let metadata = BuildMetadata::parse(METADATA, Path::new("metadata.toml")).unwrap();
    let api = check_platform_api(Some("0.15")).unwrap();
    (root, Launcher::new(api, &settings, metadata).unwrap())
}

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

#[test]
fn lists_real_layer_directories_of_present_buildpacks_in_order() {
    let (_root, launcher) = fixture();
    let layers = Layers::list(&launcher).unwrap();
    let names: Vec<String> = layers
        .all()
        .map(|layer| {
            layer
                .strip_prefix(launcher.layers_dir())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["first_bp/a", "first_bp/b", "second_bp/c"]);
}

#[test]
fn path_dirs_of_a_buildpack_come_before_its_env_dirs_and_later_buildpacks_go_first() {
    let (_root, launcher) = fixture();
    let layers = Layers::list(&launcher).unwrap();
    let env = layers
        .launch_env(
            environ(&[("PATH", "/cnb/process:/usr/bin:/cnb/lifecycle:/bin")]),
            "",
        )
        .unwrap();
    let dir = |layer: &str| launcher.layers_dir().join(layer).display().to_string();
    assert_eq!(
        get(&env, "PATH").unwrap(),
        [
            dir("second_bp/c/bin"),
            "/from-a-env".to_owned(),
            dir("first_bp/b/bin"),
            dir("first_bp/a/bin"),
            "/usr/bin:/bin".to_owned(),
        ]
        .join(":")
    );
    assert_eq!(get(&env, "LD_LIBRARY_PATH").unwrap(), dir("first_bp/b/lib"));
    assert_eq!(get(&env, "ORDER").as_deref(), Some("a,b,c"));
    assert_eq!(get(&env, "LAUNCH_ONLY").as_deref(), Some("launch"));
    assert_eq!(
        get(&env, "WEB_ONLY"),
        None,
        "no process type, no env.launch/<type>"
    );
}

#[test]
fn process_specific_env_dirs_apply_to_their_type_and_lifecycle_variables_are_dropped() {
    let (_root, launcher) = fixture();
    let layers = Layers::list(&launcher).unwrap();
    let env = layers
        .launch_env(
            environ(&[
                ("CNB_APP_DIR", "/workspace"),
                ("CNB_LAYERS_DIR", "/layers"),
                ("CNB_PLATFORM_API", "0.15"),
                ("CNB_EXEC_ENV", "production"),
                ("ORDER", "user"),
            ]),
            "web",
        )
        .unwrap();
    assert_eq!(get(&env, "WEB_ONLY").as_deref(), Some("web"));
    assert_eq!(get(&env, "ORDER").as_deref(), Some("user,a,b,c"));
    assert_eq!(get(&env, "CNB_APP_DIR"), None);
    assert_eq!(get(&env, "CNB_LAYERS_DIR"), None);
    assert_eq!(get(&env, "CNB_PLATFORM_API"), None);
    assert_eq!(get(&env, "CNB_EXEC_ENV").as_deref(), Some("production"));
}

#[test]
fn profiles_are_layer_by_layer_generic_then_typed_then_the_app_profile() {
    let (root, launcher) = fixture();
    let layers_dir = launcher.layers_dir().to_owned();
    for file in [
        "first_bp/a/profile.d/2.sh",
        "first_bp/a/profile.d/1.sh",
        "first_bp/a/profile.d/web/1.sh",
        "first_bp/a/profile.d/worker/1.sh",
        "first_bp/b/profile.d/0.sh",
        "second_bp/c/profile.d/web/0.sh",
    ] {
        write(&layers_dir.join(file), "");
    }
    let app = root.path().join("workspace");
    write(&app.join(".profile"), "");
    let layers = Layers::list(&launcher).unwrap();
    let relative = |profiles: Vec<PathBuf>| -> Vec<String> {
        profiles
            .iter()
            .map(|path| {
                path.strip_prefix(&layers_dir)
                    .unwrap_or(path)
                    .display()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        relative(layers.profiles("web", &app).unwrap()),
        [
            "first_bp/a/profile.d/1.sh",
            "first_bp/a/profile.d/2.sh",
            "first_bp/a/profile.d/web/1.sh",
            "first_bp/b/profile.d/0.sh",
            "second_bp/c/profile.d/web/0.sh",
            &app.join(".profile").display().to_string(),
        ]
    );
    fs::remove_file(app.join(".profile")).unwrap();
    fs::create_dir_all(app.join(".profile")).unwrap();
    assert_eq!(
        relative(layers.profiles("", &app).unwrap()),
        [
            "first_bp/a/profile.d/1.sh",
            "first_bp/a/profile.d/2.sh",
            "first_bp/b/profile.d/0.sh"
        ],
        "no typed profiles without a type; a .profile directory is skipped"
    );
}
