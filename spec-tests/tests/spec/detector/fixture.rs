//! A detector run in temp dirs: buildpacks installed from `testdata/buildpacks/probe`, an order,
//! and the installed `detector` run as the testkit's build user (through `setpriv` when the
//! tests run as root, as CI does: the detector refuses root).
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_testkit::{Finished, build_user_command, hand_to_build_user, phase_for_build_user};

pub(crate) fn probe_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/buildpacks/probe/bin/detect")
}

/// The test extensions' `bin/generate` (`testdata/extensions/probe`).
pub(crate) fn generate_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/extensions/probe/bin/generate")
}

pub(crate) struct Fixture {
    _root: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) app: PathBuf,
    pub(crate) layers: PathBuf,
    pub(crate) platform: PathBuf,
    pub(crate) buildpacks: PathBuf,
    pub(crate) extensions: PathBuf,
    pub(crate) build_config: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_path_buf();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let fixture = Self {
            app: dir.join("app"),
            layers: dir.join("layers"),
            platform: dir.join("platform"),
            buildpacks: dir.join("buildpacks"),
            extensions: dir.join("extensions"),
            build_config: dir.join("build-config"),
            dir,
            _root: root,
        };
        for path in [
            &fixture.app,
            &fixture.layers,
            &fixture.platform,
            &fixture.buildpacks,
            &fixture.build_config,
        ] {
            fs::create_dir_all(path).unwrap();
        }
        fs::create_dir_all(fixture.app.join(".probe")).unwrap();
        hand_to_build_user(&fixture.layers);
        hand_to_build_user(&fixture.app.join(".probe"));
        fixture
    }

    /// Installs the probe as `id@version` with Buildpack API `api` and more descriptor TOML.
    pub(crate) fn buildpack(&self, id: &str, version: &str, api: &str, extra: &str) -> PathBuf {
        let dir = self.buildpack_dir(id, version);
        fs::create_dir_all(dir.join("bin")).unwrap();
        fs::write(
            dir.join("buildpack.toml"),
            format!(
                "api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"{version}\"\n{extra}"
            ),
        )
        .unwrap();
        fs::copy(probe_script(), dir.join("bin/detect")).unwrap();
        dir
    }

    /// Installs extension `id@version` with Buildpack API `api`: the probe as its `bin/detect`
    /// when `detect`, the generate probe as its `bin/generate` when `generate`.
    pub(crate) fn extension(
        &self,
        id: &str,
        version: &str,
        api: &str,
        detect: bool,
        generate: bool,
    ) -> PathBuf {
        let dir = self.extensions.join(id.replace('/', "_")).join(version);
        fs::create_dir_all(dir.join("bin")).unwrap();
        fs::write(
            dir.join("extension.toml"),
            format!("api = \"{api}\"\n[extension]\nid = \"{id}\"\nversion = \"{version}\"\n"),
        )
        .unwrap();
        if detect {
            fs::copy(probe_script(), dir.join("bin/detect")).unwrap();
        }
        if generate {
            fs::copy(generate_script(), dir.join("bin/generate")).unwrap();
        }
        dir
    }

    /// Installs composite buildpack `id@version` whose `[[order]]` is `order` (TOML).
    pub(crate) fn composite(&self, id: &str, version: &str, order: &str) {
        let dir = self.buildpack_dir(id, version);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("buildpack.toml"),
            format!("api = \"0.10\"\n[buildpack]\nid = \"{id}\"\nversion = \"{version}\"\n{order}"),
        )
        .unwrap();
    }

    pub(crate) fn buildpack_dir(&self, id: &str, version: &str) -> PathBuf {
        self.buildpacks.join(id.replace('/', "_")).join(version)
    }

    /// Writes `order.toml` (passed with `-order`).
    pub(crate) fn order(&self, toml: &str) {
        fs::write(self.dir.join("order.toml"), toml).unwrap();
    }

    /// Writes a file in the app dir (plans, statuses; see the probe's header).
    pub(crate) fn app_file(&self, name: &str, contents: &str) {
        fs::write(self.app.join(name), contents).unwrap();
    }

    /// `probe` files: the plan `key` (`id@version`) writes.
    pub(crate) fn plan_of(&self, key: &str, toml: &str) {
        self.app_file(&format!("detect-plan-{key}.toml"), toml);
    }

    /// The exit status `key` uses.
    pub(crate) fn status_of(&self, key: &str, status: u8) {
        self.app_file(&format!("detect-status-{key}"), &status.to_string());
    }

    /// Writes `analyzed.toml` into `<layers>`, owned by the build user as the analyzer leaves
    /// it (the generate step rewrites it).
    pub(crate) fn analyzed(&self, toml: &str) {
        let path = self.layers.join("analyzed.toml");
        fs::write(&path, toml).unwrap();
        hand_to_build_user(&path);
    }

    /// The detector command as the build user, with `CNB_PLATFORM_API=api` and the fixture's
    /// directories as flags, then `args`.
    pub(crate) fn command(&self, api: &str, args: &[&str]) -> Command {
        let mut command = build_user_command(&self.detector());
        command
            .env("HOME", &self.dir)
            .env("CNB_PLATFORM_API", api)
            .current_dir(&self.dir)
            .arg(format!("-app={}", self.app.display()))
            .arg(format!("-layers={}", self.layers.display()))
            .arg(format!("-platform={}", self.platform.display()))
            .arg(format!("-buildpacks={}", self.buildpacks.display()))
            .arg(format!("-order={}", self.dir.join("order.toml").display()))
            .args(args);
        let minor: u32 = api
            .split('.')
            .nth(1)
            .and_then(|minor| minor.parse().ok())
            .unwrap_or(0);
        if minor >= 10 {
            command.arg(format!("-extensions={}", self.extensions.display()));
        }
        if minor >= 11 {
            command.arg(format!("-build-config={}", self.build_config.display()));
        }
        command
    }

    /// The installed multi-call binary, copied into the fixture as `detector` so that the build
    /// user can run it wherever the workspace lives (a checkout under a private home, say).
    pub(crate) fn detector(&self) -> PathBuf {
        phase_for_build_user(&self.dir, "detector")
    }

    pub(crate) fn run(&self, api: &str, args: &[&str]) -> Finished {
        Finished::run(&mut self.command(api, args))
    }

    pub(crate) fn group_toml(&self) -> toml::Table {
        read_toml(&self.layers.join("group.toml"))
    }

    pub(crate) fn plan_text(&self) -> String {
        fs::read_to_string(self.layers.join("plan.toml")).unwrap()
    }

    pub(crate) fn group_text(&self) -> String {
        fs::read_to_string(self.layers.join("group.toml")).unwrap()
    }

    /// `<layers>/analyzed.toml`, parsed.
    pub(crate) fn analyzed_toml(&self) -> toml::Table {
        read_toml(&self.layers.join("analyzed.toml"))
    }

    /// Writes `<app>/generate-<key>/<name>`: a file extension `key` generates.
    pub(crate) fn generates(&self, key: &str, name: &str, contents: &str) {
        let path = self.app.join(format!("generate-{key}")).join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// `(id, version)` of every `[[group]]` entry.
    pub(crate) fn group_ids(&self) -> Vec<(String, String)> {
        self.group_toml()["group"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                (
                    entry["id"].as_str().unwrap().to_owned(),
                    entry["version"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The keys of the detects that ran, in the order they started.
    pub(crate) fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.app.join(".probe/calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A record file of `key`'s run (`args`, `cwd`, `env`, `times`).
    pub(crate) fn record(&self, key: &str, what: &str) -> String {
        fs::read_to_string(self.app.join(format!(".probe/{key}.{what}"))).unwrap()
    }

    /// The value of `name` in `key`'s recorded environment.
    pub(crate) fn env_of(&self, key: &str, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.record(key, "env")
            .lines()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
    }
}

pub(crate) fn read_toml(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    toml::from_str(&text).unwrap()
}
