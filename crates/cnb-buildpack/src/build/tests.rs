use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use cnb_files::build_plan::Require;

use super::*;
use crate::{Distro, Store};

/// Records `$0`, the arguments, cwd, environment and the plan it was given into the app
/// dir, then exits with the status in `<app>/status`.
const PROBE: &str = r#"#!/usr/bin/env bash
echo "build out"
echo "build err" >&2
{ echo "argv0=$0"; echo "args=$*"; echo "cwd=$PWD"; env; } > "$PWD/record"
cat "$3" > "$PWD/plan-seen"
exit "$(cat "$PWD/status" 2>/dev/null || echo 0)"
"#;

struct Fixture {
    root: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["app", "platform/env", "layers", "buildpacks"] {
            fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        let store = Store::new(Some(root.path().join("buildpacks")), None);
        Self { root, store }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn buildpack(&self, id: &str, api: &str, script: Option<&str>) -> Module {
        let dir = self.path("buildpacks").join(escape_id(id)).join("1");
        fs::create_dir_all(dir.join("bin")).unwrap();
        let toml = format!("api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n");
        fs::write(dir.join("buildpack.toml"), toml).unwrap();
        if let Some(script) = script {
            fs::write(dir.join("bin/build"), script).unwrap();
            fs::set_permissions(dir.join("bin/build"), fs::Permissions::from_mode(0o755)).unwrap();
        }
        self.store.buildpack(id, "1").unwrap()
    }

    fn build(&self, module: &Module, plan: &BuildpackPlan) -> Result<BuildRun, Error> {
        let env = Env::for_build([
            (OsString::from("PATH"), OsString::from("/usr/bin:/bin")),
            (OsString::from("SECRET"), OsString::from("dropped")),
        ]);
        let target = RunTarget {
            os: "linux".into(),
            arch: "amd64".into(),
            arch_variant: String::new(),
            distro: Some(Distro {
                name: "ubuntu".into(),
                version: "24.04".into(),
            }),
        };
        let (app, layers, platform) =
            (self.path("app"), self.path("layers"), self.path("platform"));
        let inputs = BuildInputs {
            app_dir: &app,
            layers_dir: &layers,
            platform_dir: &platform,
            build_config_dir: None,
            target: &target,
            exec_env: Some("test"),
        };
        build(module, plan, &env, &inputs)
    }

    fn record(&self) -> Vec<String> {
        let text = fs::read_to_string(self.path("app/record")).unwrap();
        text.lines().map(str::to_owned).collect()
    }
}

fn plan(names: &[&str]) -> BuildpackPlan {
    BuildpackPlan {
        entries: names
            .iter()
            .map(|name| Require {
                name: (*name).to_owned(),
                ..Require::default()
            })
            .collect(),
    }
}

#[test]
fn runs_bin_build_with_the_contract_arguments_env_and_plan() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("some/bp", "0.12", Some(PROBE));
    let run = fixture.build(&module, &plan(&["dep"])).unwrap();
    assert!(run.status.success());
    let layers = fixture.path("layers/some_bp");
    assert_eq!(run.layers_dir, layers);
    assert!(layers.is_dir(), "created before the run");
    let record = fixture.record();
    let bp_dir = fixture.path("buildpacks/some_bp/1");
    let has = |line: String| assert!(record.contains(&line), "{line}: {record:#?}");
    has(format!("argv0={}", bp_dir.join("bin/build").display()));
    has(format!("cwd={}", fixture.path("app").display()));
    has(format!("CNB_BUILDPACK_DIR={}", bp_dir.display()));
    has(format!("CNB_LAYERS_DIR={}", layers.display()));
    has(format!(
        "CNB_PLATFORM_DIR={}",
        fixture.path("platform").display()
    ));
    has("CNB_TARGET_DISTRO_VERSION=24.04".to_owned());
    has("CNB_EXEC_ENV=test".to_owned());
    has("PATH=/usr/bin:/bin".to_owned());
    assert!(!record.iter().any(|line| line.starts_with("SECRET=")));
    let args = record
        .iter()
        .find(|line| line.starts_with("args="))
        .unwrap();
    let plan_path = record
        .iter()
        .find_map(|line| line.strip_prefix("CNB_BP_PLAN_PATH="))
        .unwrap();
    let expected = format!(
        "args={} {} {plan_path}",
        layers.display(),
        fixture.path("platform").display()
    );
    assert_eq!(args, &expected);
    let seen = fs::read_to_string(fixture.path("app/plan-seen")).unwrap();
    assert_eq!(seen, "[[entries]]\nname = \"dep\"\n");
    assert!(
        !Path::new(plan_path).exists(),
        "the plan is removed after the run"
    );
}

#[test]
fn old_apis_get_only_the_positional_arguments() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("old", "0.7", Some(PROBE));
    fixture.build(&module, &BuildpackPlan::default()).unwrap();
    let record = fixture.record();
    for name in [
        "CNB_LAYERS_DIR",
        "CNB_BP_PLAN_PATH",
        "CNB_TARGET_OS",
        "CNB_EXEC_ENV",
    ] {
        let prefix = format!("{name}=");
        assert!(
            !record.iter().any(|line| line.starts_with(&prefix)),
            "{name}"
        );
    }
    assert!(
        record
            .iter()
            .any(|line| line.starts_with("CNB_BUILDPACK_DIR="))
    );
    assert_eq!(
        fs::read_to_string(fixture.path("app/plan-seen")).unwrap(),
        ""
    );
}

#[test]
fn a_failing_build_is_a_status_and_a_missing_one_an_error() {
    let fixture = Fixture::new();
    fs::write(fixture.path("app/status"), "7").unwrap();
    let module = fixture.buildpack("fails", "0.10", Some(PROBE));
    let run = fixture.build(&module, &BuildpackPlan::default()).unwrap();
    assert_eq!(run.status.code(), Some(7));
    let missing = fixture.buildpack("missing", "0.10", None);
    let err = fixture
        .build(&missing, &BuildpackPlan::default())
        .unwrap_err();
    assert!(matches!(err, Error::Spawn { .. }), "{err:?}");
}

#[test]
fn a_file_in_place_of_the_layers_directory_is_an_error() {
    let fixture = Fixture::new();
    fs::write(fixture.path("layers/blocked"), "").unwrap();
    let module = fixture.buildpack("blocked", "0.10", Some(PROBE));
    let err = fixture
        .build(&module, &BuildpackPlan::default())
        .unwrap_err();
    assert!(matches!(err, Error::CreateLayersDir { .. }), "{err:?}");
    assert!(err.to_string().contains("blocked@1"), "{err}");
}
