use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use cnb_files::build_plan::Require;
use pretty_assertions::assert_eq;

use super::*;
use crate::{Distro, Store};

/// Records `$0`, the arguments, cwd, environment and the plan it was given into its output
/// directory, writes a run.Dockerfile there, then exits with the status in `<app>/status`.
const PROBE: &str = r#"#!/usr/bin/env bash
{ echo "argv0=$0"; echo "args=$*"; echo "cwd=$PWD"; env; } > "$1/record"
cat "$3" > "$1/plan-seen"
echo 'FROM ${base_image}' > "$1/run.Dockerfile"
exit "$(cat "$PWD/status" 2>/dev/null || echo 0)"
"#;

struct Fixture {
    root: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["app", "platform/env", "extensions", "generated"] {
            fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        fs::write(root.path().join("platform/env/USER_SET"), "from-platform").unwrap();
        let store = Store::new(None, Some(root.path().join("extensions")));
        Self { root, store }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn extension(&self, id: &str, api: &str, script: Option<&str>) -> Module {
        let dir = self.path("extensions").join(escape_id(id)).join("1");
        fs::create_dir_all(dir.join("bin")).unwrap();
        let toml = format!("api = \"{api}\"\n[extension]\nid = \"{id}\"\nversion = \"1\"\n");
        fs::write(dir.join("extension.toml"), toml).unwrap();
        if let Some(script) = script {
            fs::write(dir.join("bin/generate"), script).unwrap();
            let mode = fs::Permissions::from_mode(0o755);
            fs::set_permissions(dir.join("bin/generate"), mode).unwrap();
        }
        self.store.extension(id, "1").unwrap()
    }

    fn generate(&self, module: &Module, plan: &BuildpackPlan) -> Result<GenerateRun, Error> {
        let env = Env::for_build([
            (OsString::from("PATH"), OsString::from("/usr/bin:/bin")),
            (OsString::from("SECRET"), OsString::from("dropped")),
        ]);
        let target = RunTarget {
            os: "linux".into(),
            arch: "arm64".into(),
            arch_variant: "v8".into(),
            distro: Some(Distro {
                name: "ubuntu".into(),
                version: "24.04".into(),
            }),
        };
        let (app, platform, generated) = (
            self.path("app"),
            self.path("platform"),
            self.path("generated"),
        );
        let inputs = GenerateInputs {
            app_dir: &app,
            platform_dir: &platform,
            build_config_dir: None,
            base_env: &env,
            target: &target,
            output_parent: &generated,
        };
        generate(module, plan, &inputs)
    }
}

fn recorded(output: &Path) -> Vec<(String, String)> {
    fs::read_to_string(output.join("record"))
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn value(record: &[(String, String)], key: &str) -> Option<String> {
    record
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.clone())
}

#[test]
fn runs_bin_generate_with_the_extension_contract() {
    let fixture = Fixture::new();
    let module = fixture.extension("ext/a", "0.10", Some(PROBE));
    let plan = BuildpackPlan {
        entries: vec![Require {
            name: "tool".into(),
            ..Require::default()
        }],
    };
    let run = fixture.generate(&module, &plan).unwrap();
    assert!(run.status.unwrap().success());
    let output = fixture.path("generated/ext_a");
    assert_eq!(run.output_dir, output);
    assert!(output.join("run.Dockerfile").is_file());
    let record = recorded(&output);
    let program = module.dir().join("bin/generate").display().to_string();
    assert_eq!(value(&record, "argv0"), Some(program));
    let plan_path = value(&record, "CNB_BP_PLAN_PATH").unwrap();
    assert_eq!(
        value(&record, "args"),
        Some(format!(
            "{} {} {plan_path}",
            output.display(),
            fixture.path("platform").display()
        ))
    );
    assert_eq!(
        value(&record, "cwd"),
        Some(fixture.path("app").display().to_string())
    );
    let expected = [
        ("CNB_OUTPUT_DIR", Some(output.display().to_string())),
        (
            "CNB_EXTENSION_DIR",
            Some(module.dir().display().to_string()),
        ),
        (
            "CNB_PLATFORM_DIR",
            Some(fixture.path("platform").display().to_string()),
        ),
        ("CNB_TARGET_OS", Some("linux".into())),
        ("CNB_TARGET_ARCH", Some("arm64".into())),
        ("CNB_TARGET_ARCH_VARIANT", Some("v8".into())),
        ("CNB_TARGET_DISTRO_NAME", Some("ubuntu".into())),
        ("CNB_TARGET_DISTRO_VERSION", Some("24.04".into())),
        ("USER_SET", Some("from-platform".into())),
        ("CNB_BUILDPACK_DIR", None),
        ("CNB_LAYERS_DIR", None),
        ("CNB_EXEC_ENV", None),
        ("SECRET", None),
    ];
    for (name, want) in expected {
        assert_eq!(value(&record, name), want, "{name}");
    }
    let seen = fs::read_to_string(output.join("plan-seen")).unwrap();
    assert!(seen.contains("name = \"tool\""), "{seen}");
    assert!(
        !Path::new(&plan_path).exists(),
        "the plan's temp dir is removed"
    );
}

#[test]
fn a_failing_bin_generate_is_reported_by_its_status() {
    let fixture = Fixture::new();
    fs::write(fixture.path("app/status"), "3").unwrap();
    let module = fixture.extension("ext", "0.9", Some(PROBE));
    let run = fixture
        .generate(&module, &BuildpackPlan::default())
        .unwrap();
    assert_eq!(run.status.unwrap().code(), Some(3));
    let record = recorded(&run.output_dir);
    assert_eq!(value(&record, "CNB_TARGET_OS"), None, "before API 0.10");
}

#[test]
fn without_bin_generate_the_generate_dir_is_the_output() {
    let fixture = Fixture::new();
    let module = fixture.extension("ext", "0.10", None);
    let source = module.dir().join("generate");
    fs::create_dir_all(source.join("context/sub")).unwrap();
    fs::write(source.join("run.Dockerfile"), "FROM other\n").unwrap();
    fs::write(source.join("context/sub/file"), "data").unwrap();
    symlink("sub/file", source.join("context/link")).unwrap();
    let run = fixture
        .generate(&module, &BuildpackPlan::default())
        .unwrap();
    assert_eq!(run.status, None);
    let output = fixture.path("generated/ext");
    assert_eq!(
        fs::read_to_string(output.join("run.Dockerfile")).unwrap(),
        "FROM other\n"
    );
    assert_eq!(
        fs::read_to_string(output.join("context/sub/file")).unwrap(),
        "data"
    );
    assert_eq!(
        fs::read_link(output.join("context/link")).unwrap(),
        Path::new("sub/file")
    );
    let again = fixture.generate(&module, &BuildpackPlan::default());
    assert!(again.is_ok(), "a second copy over the first: {again:?}");

    let empty = fixture.extension("empty", "0.10", None);
    let run = fixture.generate(&empty, &BuildpackPlan::default()).unwrap();
    assert_eq!(fs::read_dir(&run.output_dir).unwrap().count(), 0);
}
