//! The creator (platform.md › creator; spec-matrix.md §2): analyze, detect, restore, build and
//! export in one process, black-box against a loopback registry with the bash buildpack in
//! `testdata/exporter/buildpacks/hello`. Run as the build user, and as root with `-uid/-gid`
//! (privileges drop before detect and build, which refuse root).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use cnb_image::ImageStore;
use cnb_registry::Environment;
use cnb_testkit::{
    BUILD_UID, Finished, Lifecycle, RegistryFixture, RunImage, build_user_command,
    hand_to_build_user, is_root, phase_for_build_user,
};
use serde_json::Value;

use crate::image_support::{reference, registry_store};
use crate::registry_store::amd64;

/// A creator's workspace (buildpacks with `test/hello`, `<layers>`, `<app>`, `<platform>`)
/// and the registry it builds into, which other workspaces may share.
pub(crate) struct Create {
    pub(crate) registry: Rc<RegistryFixture>,
    pub(crate) run_image: String,
    _root: tempfile::TempDir,
    pub(crate) dir: PathBuf,
}

impl Create {
    /// A workspace and a registry of its own, with the run image.
    pub(crate) fn new() -> Self {
        let registry = RegistryFixture::start().expect("registry");
        let run_image = RunImage::default()
            .push(&registry, "test/run:latest")
            .expect("run image")
            .reference;
        Self::on(Rc::new(registry), run_image)
    }

    /// Another workspace building into the same registry, on the same run image.
    pub(crate) fn beside(&self) -> Self {
        Self::on(Rc::clone(&self.registry), self.run_image.clone())
    }

    /// The workspace building on `run_image` of `registry`.
    pub(crate) fn on(registry: Rc<RegistryFixture>, run_image: String) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().to_path_buf();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let create = Self {
            registry,
            run_image,
            _root: root,
            dir,
        };
        let testdata =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/exporter/buildpacks/hello");
        let buildpack = create.dir.join("buildpacks/test_hello/0.0.1");
        fs::create_dir_all(buildpack.join("bin")).expect("mkdir");
        fs::copy(
            testdata.join("buildpack.toml"),
            buildpack.join("buildpack.toml"),
        )
        .expect("copy");
        for bin in ["detect", "build"] {
            fs::copy(
                testdata.join("bin").join(bin),
                buildpack.join("bin").join(bin),
            )
            .expect("copy");
        }
        fs::create_dir_all(create.layers()).expect("mkdir layers");
        fs::create_dir_all(create.app()).expect("mkdir app");
        fs::create_dir_all(create.dir.join("platform")).expect("mkdir platform");
        fs::write(create.app().join("main.txt"), "app source\n").expect("write app");
        fs::write(
            create.layers().join("order.toml"),
            "[[order]]\n  [[order.group]]\n    id = \"test/hello\"\n    version = \"0.0.1\"\n",
        )
        .expect("write order");
        create
    }

    /// Empties `<layers>` but for order.toml, as a platform starts each build.
    pub(crate) fn fresh_layers(&self) {
        for entry in fs::read_dir(self.layers()).expect("read layers") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|name| name == "order.toml") {
                continue;
            }
            if path.is_dir() {
                fs::remove_dir_all(&path).expect("rm");
            } else {
                fs::remove_file(&path).expect("rm");
            }
        }
    }

    pub(crate) fn layers(&self) -> PathBuf {
        self.dir.join("layers")
    }

    pub(crate) fn app(&self) -> PathBuf {
        self.dir.join("workspace")
    }

    fn args(&self, command: &mut Command, launcher: &Path) {
        command
            .env("CNB_PLATFORM_API", "0.15")
            .arg(format!("-layers={}", self.layers().display()))
            .arg(format!("-app={}", self.app().display()))
            .arg(format!(
                "-buildpacks={}",
                self.dir.join("buildpacks").display()
            ))
            .arg(format!("-platform={}", self.dir.join("platform").display()))
            .arg(format!("-launcher={}", launcher.display()))
            .arg(format!("-run-image={}", self.run_image))
            .arg(format!("-uid={BUILD_UID}"))
            .arg(format!("-gid={BUILD_UID}"));
    }

    /// The creator as the build user.
    pub(crate) fn as_build_user(&self) -> Command {
        hand_to_build_user(&self.layers());
        hand_to_build_user(&self.app());
        let program = phase_for_build_user(&self.dir, "creator");
        let launcher = self.dir.join("cnb/lifecycle/launcher");
        if !launcher.exists() {
            fs::copy(Lifecycle::installed().path("launcher"), &launcher).expect("copy launcher");
        }
        let mut command = build_user_command(&program);
        self.args(&mut command, &launcher);
        command
    }

    /// The creator as this (root) process, told to drop to the build user.
    fn as_root(&self) -> Command {
        self.as_root_of(&Lifecycle::installed())
    }

    /// The creator of `lifecycle` (and its launcher) as this (root) process.
    pub(crate) fn as_root_of(&self, lifecycle: &Lifecycle) -> Command {
        let mut command = lifecycle.command("creator");
        self.args(&mut command, &lifecycle.path("launcher"));
        command
    }

    fn image(name: &str) -> cnb_image::Image {
        registry_store(&Environment::default(), &[])
            .read_image(&reference(name), &amd64())
            .expect("readable")
            .expect("exists")
    }
}

fn assert_created(create: &Create, name: &str, finished: &Finished) {
    assert_eq!(finished.code, Some(0), "{finished}");
    for banner in [
        "ANALYZING",
        "DETECTING",
        "RESTORING",
        "BUILDING",
        "EXPORTING",
    ] {
        assert!(
            finished.stdout.contains(&format!("===> {banner}")),
            "{finished}"
        );
    }
    let image = Create::image(name);
    assert_eq!(
        image.config.config.entrypoint,
        Some(vec!["/cnb/process/web".to_owned()])
    );
    let label: Value = serde_json::from_str(
        image
            .label("io.buildpacks.lifecycle.metadata")
            .expect("lifecycle label"),
    )
    .expect("json");
    assert_eq!(label["buildpacks"][0]["key"], "test/hello");
    assert_eq!(label["buildpacks"][0]["layers"]["greeting"]["launch"], true);
    let report = fs::read_to_string(create.layers().join("report.toml")).expect("report.toml");
    assert_eq!(
        report,
        format!(
            "[image]\n  tags = [\"{name}\"]\n  digest = \"{}\"\n  manifest-size = {}\n",
            image.digest(),
            image.manifest.bytes.len()
        )
    );
}

#[test]
fn the_build_user_creates_an_app_image_and_rebuilds_it_with_the_previous_image() {
    let create = Create::new();
    let app = create.registry.reference("test/app:latest");
    let finished = Finished::run(create.as_build_user().arg(&app));
    assert_created(&create, &app, &finished);
    let first = Create::image(&app).digest();

    let copy = create.registry.reference("test/app:copy");
    let finished = Finished::run(
        create
            .as_build_user()
            .args([&format!("-previous-image={app}"), &copy]),
    );
    assert_created(&create, &copy, &finished);
    assert!(
        finished
            .stdout
            .contains("Reusing layer 'test/hello:greeting'"),
        "{finished}"
    );
    assert_eq!(
        Create::image(&copy).digest(),
        first,
        "same inputs, same image"
    );
}

#[test]
fn root_with_uid_and_gid_drops_privileges_before_building() {
    if !is_root() {
        return;
    }
    let create = Create::new();
    let app = create.registry.reference("test/app:latest");
    let finished = Finished::run(create.as_root().args(["-skip-restore", &app]));
    assert_created(&create, &app, &finished);
    let owner = std::os::unix::fs::MetadataExt::uid(
        &fs::metadata(create.layers().join("test_hello/greeting/message")).expect("layer file"),
    );
    assert_eq!(owner, BUILD_UID, "the buildpack ran as the build user");
    let passwd = fs::read_to_string("/etc/passwd").expect("passwd");
    let home = passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() >= 6 && fields[2] == BUILD_UID.to_string())
        .map(|fields| fields[5].to_owned());
    let expected = format!(
        "build as {BUILD_UID} HOME={}",
        home.as_deref().unwrap_or("/root")
    );
    assert!(
        finished.stdout.contains(&expected),
        "{expected}: {finished}"
    );
}

#[test]
fn a_rebuild_restores_layer_metadata_unless_restore_is_skipped() {
    let create = Create::new();
    let cache = create.dir.join("cache");
    fs::create_dir(&cache).expect("mkdir cache");
    hand_to_build_user(&cache);
    let cache_arg = format!("-cache-dir={}", cache.display());
    let app = create.registry.reference("test/app:latest");
    let finished = Finished::run(create.as_build_user().args([&cache_arg, &app]));
    assert_created(&create, &app, &finished);
    assert!(
        !finished.stdout.contains("restored greeting.toml"),
        "{finished}"
    );

    create.fresh_layers();
    let finished = Finished::run(create.as_build_user().args([&cache_arg, &app]));
    assert_created(&create, &app, &finished);
    assert!(
        finished.stdout.contains("restored greeting.toml"),
        "{finished}"
    );

    create.fresh_layers();
    let finished = Finished::run(
        create
            .as_build_user()
            .args([&cache_arg, "-skip-restore", &app]),
    );
    assert_created(&create, &app, &finished);
    assert!(
        !finished.stdout.contains("restored greeting.toml"),
        "{finished}"
    );
}

#[test]
fn an_unknown_process_type_fails_the_creator_with_62() {
    let create = Create::new();
    let app = create.registry.reference("test/app:latest");
    let finished = Finished::run(create.as_build_user().args(["-process-type=nope", &app]));
    assert_eq!(finished.code, Some(62), "{finished}");
    assert!(
        finished
            .stderr
            .contains("tried to set nope to default but it doesn't exist"),
        "{finished}"
    );
}

impl Create {
    /// Installs extension `test/ext@1` whose `bin/detect` exits with `status`, with
    /// `[[order-extensions]]` naming it in front of the order.
    fn with_extension(&self, status: u8) -> PathBuf {
        let extensions = self.dir.join("extensions");
        let dir = extensions.join("test_ext/1");
        fs::create_dir_all(dir.join("bin")).expect("mkdir");
        fs::write(
            dir.join("extension.toml"),
            "api = \"0.10\"\n[extension]\nid = \"test/ext\"\nversion = \"1\"\n",
        )
        .expect("write extension.toml");
        fs::write(
            dir.join("bin/detect"),
            format!("#!/bin/sh\nexit {status}\n"),
        )
        .expect("detect");
        fs::set_permissions(dir.join("bin/detect"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        fs::write(
            self.layers().join("order.toml"),
            "[[order]]\n  [[order.group]]\n    id = \"test/hello\"\n    version = \"0.0.1\"\n\
             [[order-extensions]]\n  [[order-extensions.group]]\n    id = \"test/ext\"\n    version = \"1\"\n",
        )
        .expect("write order");
        extensions
    }
}

#[test]
fn an_order_whose_extensions_none_passes_builds_the_same_image_as_without_them() {
    let create = Create::new();
    let without = create.registry.reference("test/app:without-extensions");
    let finished = Finished::run(create.as_build_user().arg(&without));
    assert_created(&create, &without, &finished);
    let group = fs::read_to_string(create.layers().join("group.toml")).expect("group.toml");
    let plan_toml = fs::read_to_string(create.layers().join("plan.toml")).expect("plan.toml");

    create.fresh_layers();
    let extensions = create.with_extension(100);
    let with = create.registry.reference("test/app:with-extensions");
    let finished = Finished::run(
        create
            .as_build_user()
            .env("CNB_EXTENSIONS_DIR", &extensions)
            .arg(&with),
    );
    assert_created(&create, &with, &finished);
    assert_eq!(
        fs::read_to_string(create.layers().join("group.toml")).expect("group.toml"),
        group
    );
    assert_eq!(
        fs::read_to_string(create.layers().join("plan.toml")).expect("plan.toml"),
        plan_toml
    );
    assert_eq!(
        Create::image(&with).digest(),
        Create::image(&without).digest(),
        "the same image"
    );
}

#[test]
fn a_passing_extension_is_refused_by_the_creator_with_22() {
    let create = Create::new();
    let extensions = create.with_extension(0);
    let app = create.registry.reference("test/app:refused");
    let finished = Finished::run(
        create
            .as_build_user()
            .env("CNB_EXTENSIONS_DIR", &extensions)
            .arg(&app),
    );
    assert_eq!(finished.code, Some(22), "{finished}");
    assert!(
        finished.stderr.contains(
            "ERROR: failed to detect: detected order contains extensions which is not supported by the creator"
        ),
        "{finished}"
    );
    let group = fs::read_to_string(create.layers().join("group.toml")).expect("group.toml");
    assert!(group.contains("[[group-extensions]]"), "{group}");
    assert!(!finished.stdout.contains("===> RESTORING"), "{finished}");
}
