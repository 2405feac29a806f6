//! A builder run in temp dirs: buildpacks installed from `testdata/buildpacks/builder/probe`,
//! `group.toml` and `plan.toml` in `<layers>`, and the installed `builder` run as the build user
//! (it refuses root), with the app and layers directories handed to that user first.
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_testkit::{Finished, build_user_command, hand_to_build_user, phase_for_build_user};

pub(crate) fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/buildpacks/builder")
        .join(path)
}

pub(crate) struct Fixture {
    _root: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) app: PathBuf,
    pub(crate) layers: PathBuf,
    pub(crate) platform: PathBuf,
    pub(crate) buildpacks: PathBuf,
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
            build_config: dir.join("build-config"),
            dir,
            _root: root,
        };
        for path in [
            &fixture.app.join(".probe"),
            &fixture.layers,
            &fixture.platform.join("env"),
            &fixture.buildpacks,
            &fixture.build_config.join("env"),
        ] {
            fs::create_dir_all(path).unwrap();
        }
        fixture
    }

    /// Installs the probe as `id@version` with Buildpack API `api` and more TOML under
    /// `[buildpack]`.
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
        fs::copy(testdata("probe/bin/build"), dir.join("bin/build")).unwrap();
        dir
    }

    pub(crate) fn buildpack_dir(&self, id: &str, version: &str) -> PathBuf {
        self.buildpacks.join(id.replace('/', "_")).join(version)
    }

    /// Writes `<layers>/group.toml`.
    pub(crate) fn group(&self, toml: &str) {
        fs::write(self.layers.join("group.toml"), toml).unwrap();
    }

    /// Writes a `group.toml` of `(id, version, api)` buildpacks, and an empty plan.
    pub(crate) fn group_of(&self, buildpacks: &[(&str, &str, &str)]) {
        let entries: Vec<String> = buildpacks
            .iter()
            .map(|(id, version, api)| {
                format!("[[group]]\nid = \"{id}\"\nversion = \"{version}\"\napi = \"{api}\"\n")
            })
            .collect();
        self.group(&entries.concat());
        self.plan("");
    }

    /// Writes `<layers>/plan.toml`.
    pub(crate) fn plan(&self, toml: &str) {
        fs::write(self.layers.join("plan.toml"), toml).unwrap();
    }

    /// Writes `<layers>/analyzed.toml`.
    pub(crate) fn analyzed(&self, toml: &str) {
        fs::write(self.layers.join("analyzed.toml"), toml).unwrap();
    }

    /// A file the probe `key` (`<escaped id>@<version>`) copies into its layers directory:
    /// `path` is relative to that directory.
    pub(crate) fn output(&self, key: &str, path: &str, contents: &str) {
        let file = self.app.join(format!("build-layers-{key}")).join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, contents).unwrap();
    }

    /// A directory the probe `key` creates in its layers directory.
    pub(crate) fn output_dir(&self, key: &str, path: &str) {
        fs::create_dir_all(self.app.join(format!("build-layers-{key}")).join(path)).unwrap();
    }

    /// The exit status of probe `key`.
    pub(crate) fn status_of(&self, key: &str, status: u8) {
        fs::write(
            self.app.join(format!("build-status-{key}")),
            status.to_string(),
        )
        .unwrap();
    }

    /// A bash snippet probe `key` runs; its output is [`Fixture::record`]`(key, "exec")`.
    pub(crate) fn exec_of(&self, key: &str, script: &str) {
        fs::write(self.app.join(format!("build-exec-{key}")), script).unwrap();
    }

    /// `<platform>/env/<name>`.
    pub(crate) fn platform_env(&self, name: &str, value: &str) {
        fs::write(self.platform.join("env").join(name), value).unwrap();
    }

    /// `<build-config>/env/<name>`.
    pub(crate) fn build_config_env(&self, name: &str, value: &str) {
        fs::write(self.build_config.join("env").join(name), value).unwrap();
    }

    /// The builder command as the build user, with `CNB_PLATFORM_API=api` and the fixture's
    /// directories as flags (`-build-config` from Platform API 0.11), then `args`.
    pub(crate) fn command(&self, api: &str, args: &[&str]) -> Command {
        hand_to_build_user(&self.app);
        hand_to_build_user(&self.layers);
        let mut command = build_user_command(&self.builder());
        command
            .env("HOME", &self.dir)
            .env("CNB_PLATFORM_API", api)
            .current_dir(&self.dir)
            .arg(format!("-app={}", self.app.display()))
            .arg(format!("-layers={}", self.layers.display()))
            .arg(format!("-platform={}", self.platform.display()))
            .arg(format!("-buildpacks={}", self.buildpacks.display()));
        let minor: u32 = api
            .split('.')
            .nth(1)
            .and_then(|minor| minor.parse().ok())
            .unwrap_or(0);
        if minor >= 11 {
            command.arg(format!("-build-config={}", self.build_config.display()));
        }
        command.args(args);
        command
    }

    /// The installed lifecycle, copied into the fixture as `builder` (see
    /// [`phase_for_build_user`]).
    pub(crate) fn builder(&self) -> PathBuf {
        phase_for_build_user(&self.dir, "builder")
    }

    pub(crate) fn run(&self, api: &str, args: &[&str]) -> Finished {
        Finished::run(&mut self.command(api, args))
    }

    /// `<layers>/config/metadata.toml`.
    pub(crate) fn metadata(&self) -> toml::Table {
        read_toml(&self.layers.join("config/metadata.toml"))
    }

    /// The keys of the builds that ran, in order.
    pub(crate) fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.app.join(".probe/calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A record file of `key`'s run (`args`, `cwd`, `env`, `plan`, `exec`).
    pub(crate) fn record(&self, key: &str, what: &str) -> String {
        let path = self.app.join(format!(".probe/{key}.{what}"));
        fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// The value of `name` in `key`'s recorded environment.
    pub(crate) fn env_of(&self, key: &str, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.record(key, "env")
            .lines()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
    }

    /// `<layers>/<escaped id>/<path>`.
    pub(crate) fn layer_path(&self, id: &str, path: &str) -> PathBuf {
        self.layers.join(id.replace('/', "_")).join(path)
    }
}

pub(crate) fn read_toml(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    toml::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}\n{text}", path.display()))
}
