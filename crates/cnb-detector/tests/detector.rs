//! The detector library over real temp dirs and the bash probe buildpack
//! (`testdata/buildpacks/probe`): what the black-box tests cannot reach without touching the
//! host, such as the os-release fallback read from a file of the test's own.
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::fs;
use std::path::{Path, PathBuf};

use cnb_api::{ExitKind, check_platform_api};
use cnb_detector::{Detector, DetectorConfig, Error};

struct Fixture {
    _root: tempfile::TempDir,
    config: DetectorConfig,
}

impl Fixture {
    fn new(order: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        for sub in [
            "app/.probe",
            "layers",
            "platform",
            "buildpacks",
            "build-config",
        ] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        fs::write(dir.join("order.toml"), order).unwrap();
        let config = DetectorConfig {
            platform_api: check_platform_api(Some("0.15")).unwrap(),
            app_dir: dir.join("app"),
            platform_dir: dir.join("platform"),
            build_config_dir: dir.join("build-config"),
            buildpacks_dir: dir.join("buildpacks"),
            extensions_dir: dir.join("extensions"),
            generated_dir: dir.join("layers/generated"),
            run_path: dir.join("run.toml"),
            image_name: str::to_owned,
            order_path: dir.join("order.toml"),
            system_path: dir.join("system.toml"),
            analyzed_path: dir.join("layers/analyzed.toml"),
            group_path: dir.join("layers/group.toml"),
            plan_path: dir.join("layers/plan.toml"),
            exec_env: "production".into(),
            environ: vec![("PATH".into(), "/usr/bin:/bin".into())],
            os_release_path: dir.join("os-release"),
        };
        Self {
            _root: root,
            config,
        }
    }

    fn buildpack(&self, id: &str, extra: &str) {
        let dir = self.config.buildpacks_dir.join(id).join("1");
        fs::create_dir_all(dir.join("bin")).unwrap();
        let toml = format!("api = \"0.10\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n{extra}");
        fs::write(dir.join("buildpack.toml"), toml).unwrap();
        fs::copy(probe(), dir.join("bin/detect")).unwrap();
    }

    fn env_of(&self, key: &str, name: &str) -> Option<String> {
        let env =
            fs::read_to_string(self.config.app_dir.join(format!(".probe/{key}.env"))).unwrap();
        let prefix = format!("{name}=");
        env.lines()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
    }
}

fn probe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/buildpacks/probe/bin/detect")
}

const NO_DISTRO: &str =
    "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n";

#[test]
fn a_run_image_without_distro_takes_it_from_the_configured_os_release() {
    let fixture = Fixture::new(
        "[[order]]\n[[order.group]]\nid = \"ubuntu-only\"\nversion = \"1\"\n[[order]]\n[[order.group]]\nid = \"testos-only\"\nversion = \"1\"\n",
    );
    let distro = |name: &str| {
        format!("[[targets]]\nos = \"linux\"\n[[targets.distros]]\nname = \"{name}\"\n")
    };
    fixture.buildpack("ubuntu-only", &distro("ubuntu"));
    fixture.buildpack("testos-only", &distro("testos"));
    fs::write(&fixture.config.analyzed_path, NO_DISTRO).unwrap();
    fs::write(
        &fixture.config.os_release_path,
        "NAME=\"Test OS\"\nID=testos\nVERSION_ID=\"1.2\"\n",
    )
    .unwrap();
    let detected = Detector::new(fixture.config.clone()).run().unwrap();
    let ids: Vec<&str> = detected.group.group.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["testos-only"]);
    assert_eq!(
        fixture
            .env_of("testos-only@1", "CNB_TARGET_DISTRO_NAME")
            .as_deref(),
        Some("testos")
    );
    assert_eq!(
        fixture
            .env_of("testos-only@1", "CNB_TARGET_DISTRO_VERSION")
            .as_deref(),
        Some("1.2")
    );
    assert!(fixture.config.group_path.is_file());
    assert!(fixture.config.plan_path.is_file());

    // Without an os-release file the distro stays unknown and a distro target cannot match.
    fs::remove_file(&fixture.config.os_release_path).unwrap();
    let err = Detector::new(fixture.config.clone()).run().unwrap_err();
    assert_eq!(err.kind(), ExitKind::FailedDetectWithErrors, "{err}");
}

#[test]
fn a_distro_in_analyzed_wins_over_os_release() {
    let fixture = Fixture::new("[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n");
    fixture.buildpack("bp", "");
    fs::write(
        &fixture.config.analyzed_path,
        format!("{NO_DISTRO}[run-image.target.distro]\nname = \"ubuntu\"\nversion = \"24.04\"\n"),
    )
    .unwrap();
    fs::write(&fixture.config.os_release_path, "ID=testos\n").unwrap();
    Detector::new(fixture.config.clone()).detect().unwrap();
    assert_eq!(
        fixture.env_of("bp@1", "CNB_TARGET_DISTRO_NAME").as_deref(),
        Some("ubuntu")
    );
}

#[test]
fn a_composite_that_contains_itself_is_refused() {
    let fixture = Fixture::new("[[order]]\n[[order.group]]\nid = \"loop\"\nversion = \"1\"\n");
    let dir = fixture.config.buildpacks_dir.join("loop/1");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("buildpack.toml"),
        "api = \"0.10\"\n[buildpack]\nid = \"loop\"\nversion = \"1\"\n[[order]]\n[[order.group]]\nid = \"loop\"\nversion = \"1\"\n",
    )
    .unwrap();
    let err = Detector::new(fixture.config.clone()).detect().unwrap_err();
    assert!(matches!(err, Error::Cycle { .. }), "{err}");
    assert_eq!(err.kind(), ExitKind::Failed);
    assert_eq!(err.action(), "initialize detector");
}

#[test]
fn a_missing_buildpack_fails_initialization() {
    let fixture = Fixture::new("[[order]]\n[[order.group]]\nid = \"absent\"\nversion = \"1\"\n");
    let err = Detector::new(fixture.config.clone()).detect().unwrap_err();
    assert_eq!(err.kind(), ExitKind::Failed);
    assert_eq!(err.to_string(), "verifying the order");
}
