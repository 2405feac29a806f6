use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::PathBuf;

use pretty_assertions::assert_eq;

use super::*;
use crate::{Distro, Store};

/// A detect script that records `$0`, its arguments, cwd and environment, writes the plan in
/// `$PLAN_TEXT` and exits with `$STATUS` — both read from files in the app dir so that the
/// environment under test stays untouched.
const PROBE: &str = r#"#!/usr/bin/env bash
echo "out: $0"
echo "err: $#" >&2
{ echo "argv0=$0"; echo "args=$*"; echo "cwd=$PWD"; env; } > "$PWD/record"
[ -f "$PWD/plan-text" ] && cat "$PWD/plan-text" > "$2"
exit "$(cat "$PWD/status" 2>/dev/null || echo 0)"
"#;

struct Fixture {
    _root: tempfile::TempDir,
    app: PathBuf,
    platform: PathBuf,
    store: Store,
    buildpacks: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        let platform = root.path().join("platform");
        let buildpacks = root.path().join("buildpacks");
        for dir in [&app, &platform, &buildpacks] {
            fs::create_dir_all(dir).unwrap();
        }
        Self {
            store: Store::new(Some(buildpacks.clone()), None),
            _root: root,
            app,
            platform,
            buildpacks,
        }
    }

    fn buildpack(&self, id: &str, api: &str, extra: &str) -> Module {
        let dir = self.buildpacks.join(id).join("1");
        fs::create_dir_all(dir.join("bin")).unwrap();
        let toml = format!("api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n{extra}");
        fs::write(dir.join("buildpack.toml"), toml).unwrap();
        let real = dir.join("bin/real-probe");
        fs::write(&real, PROBE).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o755)).unwrap();
        symlink("real-probe", dir.join("bin/detect")).unwrap();
        self.store.buildpack(id, "1").unwrap()
    }

    fn detect(&self, module: &Module, exec_env: Option<&str>) -> DetectRun {
        let base = Env::for_build([
            (OsString::from("PATH"), OsString::from("/usr/bin:/bin")),
            (
                OsString::from("CNB_REGISTRY_AUTH"),
                OsString::from("secret"),
            ),
        ]);
        let target = RunTarget {
            os: "linux".into(),
            arch: "amd64".into(),
            arch_variant: String::new(),
            distro: Some(Distro {
                name: "ubuntu".into(),
                version: "22.04".into(),
            }),
        };
        detect(
            module,
            &DetectInputs {
                app_dir: &self.app,
                platform_dir: &self.platform,
                build_config_dir: None,
                base_env: &base,
                target: &target,
                exec_env,
            },
        )
    }

    fn record(&self) -> Vec<String> {
        fs::read_to_string(self.app.join("record"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn recorded(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}=");
        self.record()
            .iter()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
    }
}

#[test]
fn runs_bin_detect_by_its_own_path_with_the_contract_env_and_args() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("a", "0.12", "");
    let run = fixture.detect(&module, Some("test"));
    assert_eq!(run.code, DetectCode::Pass, "{:?}", run.error);
    let detect = module.dir().join("bin/detect");
    assert_eq!(
        fixture.recorded("argv0"),
        Some(detect.display().to_string())
    );
    let plan_path = fixture.recorded("CNB_BUILD_PLAN_PATH").unwrap();
    assert_eq!(
        fixture.recorded("args"),
        Some(format!("{} {plan_path}", fixture.platform.display()))
    );
    assert_eq!(
        fixture.recorded("cwd"),
        Some(fixture.app.display().to_string())
    );
    assert_eq!(
        fixture.recorded("CNB_PLATFORM_DIR"),
        Some(fixture.platform.display().to_string())
    );
    assert_eq!(
        fixture.recorded("CNB_BUILDPACK_DIR"),
        Some(module.dir().display().to_string())
    );
    assert_eq!(fixture.recorded("CNB_TARGET_OS").as_deref(), Some("linux"));
    assert_eq!(
        fixture.recorded("CNB_TARGET_DISTRO_VERSION").as_deref(),
        Some("22.04")
    );
    assert_eq!(fixture.recorded("CNB_EXEC_ENV").as_deref(), Some("test"));
    assert_eq!(fixture.recorded("CNB_REGISTRY_AUTH"), None);
    assert!(
        !Path::new(&plan_path).exists(),
        "the plan's temp dir is removed"
    );
    let output = String::from_utf8(run.output).unwrap();
    assert!(
        output.contains(&format!("out: {}", detect.display())),
        "{output}"
    );
    assert!(output.contains("err: 2"), "{output}");
    assert_eq!(run.plan, BuildPlan::default());
}

#[test]
fn older_apis_get_fewer_variables() {
    let fixture = Fixture::new();
    let run = fixture.detect(&fixture.buildpack("old", "0.7", ""), Some("test"));
    assert_eq!(run.code, DetectCode::Pass);
    for name in [
        "CNB_PLATFORM_DIR",
        "CNB_BUILD_PLAN_PATH",
        "CNB_TARGET_OS",
        "CNB_EXEC_ENV",
    ] {
        assert_eq!(fixture.recorded(name), None, "{name}");
    }
    assert!(fixture.recorded("CNB_BUILDPACK_DIR").is_some());
    fixture.detect(&fixture.buildpack("mid", "0.10", ""), Some("test"));
    assert_eq!(
        fixture.recorded("CNB_TARGET_ARCH").as_deref(),
        Some("amd64")
    );
    assert_eq!(fixture.recorded("CNB_EXEC_ENV"), None);
}

#[test]
fn exit_codes_map_to_pass_fail_and_error() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("a", "0.10", "");
    for (status, code) in [
        ("100", DetectCode::Fail),
        ("1", DetectCode::Error(Some(1))),
        ("127", DetectCode::Error(Some(127))),
    ] {
        fs::write(fixture.app.join("status"), status).unwrap();
        let run = fixture.detect(&module, None);
        assert_eq!(run.code, code, "{status}");
        assert!(run.error.is_none());
    }
}

#[test]
fn reads_the_plan_and_refuses_bad_ones() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("a", "0.10", "");
    let plan = "[[provides]]\nname = \"x\"\n[[requires]]\nname = \"x\"\n[requires.metadata]\nv = 1\n[[or]]\n[[or.requires]]\nname = \"y\"\n";
    fs::write(fixture.app.join("plan-text"), plan).unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Pass);
    assert_eq!(run.plan.provides[0].name, "x");
    assert_eq!(run.plan.or[0].requires[0].name, "y");

    fs::write(
        fixture.app.join("plan-text"),
        "[[requires]]\nname = \"x\"\nversion = \"1\"\n",
    )
    .unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Error(None));
    let error = run.error.unwrap().to_string();
    assert!(error.contains("top-level \"version\""), "{error}");
    assert!(!run.output.is_empty(), "the output is kept");

    fs::write(fixture.app.join("plan-text"), "[[provides]\n").unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Error(None));
    assert!(matches!(run.error, Some(Error::ReadPlan { .. })));
}

#[test]
fn a_buildpack_without_bin_detect_is_an_error() {
    let fixture = Fixture::new();
    let module = fixture.buildpack("a", "0.10", "");
    fs::remove_file(module.dir().join("bin/detect")).unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Error(None));
    let error = run.error.unwrap().to_string();
    assert_eq!(
        error,
        format!(
            "a@1 has no executable {}",
            module.dir().join("bin/detect").display()
        )
    );
}

fn extension(fixture: &Fixture, id: &str, script: Option<&str>) -> Module {
    let dir = fixture
        .buildpacks
        .join("..")
        .join("extensions")
        .join(id)
        .join("1");
    fs::create_dir_all(dir.join("bin")).unwrap();
    let toml = format!("api = \"0.10\"\n[extension]\nid = \"{id}\"\nversion = \"1\"\n");
    fs::write(dir.join("extension.toml"), toml).unwrap();
    if let Some(script) = script {
        fs::write(dir.join("bin/detect"), script).unwrap();
        fs::set_permissions(dir.join("bin/detect"), fs::Permissions::from_mode(0o755)).unwrap();
    }
    Store::new(None, Some(fixture.buildpacks.join("../extensions")))
        .extension(id, "1")
        .unwrap()
}

#[test]
fn an_extension_gets_its_own_dir_variable_and_may_not_require() {
    let fixture = Fixture::new();
    let module = extension(&fixture, "ext", Some(PROBE));
    let run = fixture.detect(&module, Some("test"));
    assert_eq!(run.code, DetectCode::Pass, "{:?}", run.error);
    assert_eq!(
        fixture.recorded("CNB_EXTENSION_DIR"),
        Some(module.dir().display().to_string())
    );
    assert_eq!(fixture.recorded("CNB_BUILDPACK_DIR"), None);
    assert!(fixture.recorded("CNB_BUILD_PLAN_PATH").is_some());
    assert_eq!(fixture.recorded("CNB_TARGET_OS").as_deref(), Some("linux"));

    fs::write(
        fixture.app.join("plan-text"),
        "[[provides]]\nname = \"x\"\n[[or]]\n[[or.requires]]\nname = \"y\"\n",
    )
    .unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Error(None));
    let error = run.error.unwrap().to_string();
    assert_eq!(
        error,
        "extension ext@1 outputs \"requires\", which is not allowed"
    );
}

#[test]
fn an_extension_without_bin_detect_passes_with_its_detect_plan() {
    let fixture = Fixture::new();
    let module = extension(&fixture, "ext", None);
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Pass, "{:?}", run.error);
    assert_eq!(run.plan, BuildPlan::default());
    assert!(run.output.is_empty());
    assert!(!fixture.app.join("record").exists(), "nothing ran");

    fs::create_dir_all(module.dir().join("detect")).unwrap();
    fs::write(
        module.dir().join("detect/plan.toml"),
        "[[provides]]\nname = \"tool\"\n",
    )
    .unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Pass);
    assert_eq!(run.plan.provides[0].name, "tool");

    fs::write(
        module.dir().join("detect/plan.toml"),
        "[[requires]]\nname = \"tool\"\n",
    )
    .unwrap();
    let run = fixture.detect(&module, None);
    assert_eq!(run.code, DetectCode::Error(None));
    assert!(matches!(run.error, Some(Error::ExtensionRequires { .. })));
}
