//! The extender's world: the testkit's busybox image (it serves as builder and as run
//! image) unpacked into runc bundles, its layout saved where the restorer saves base images
//! (`<kaniko>/cache/base/<hex>`), and the volumes pack binds: `/layers` (with `group.toml`,
//! `plan.toml`, `analyzed.toml` and `generated/`), `/workspace`, `/kaniko`, `/platform`, and
//! `/cnb/lifecycle` (the installed lifecycle) and `/cnb/buildpacks`.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

use cnb_testkit::{Finished, Lifecycle, OciLayoutImage, RunImage};
use serde_json::Value;

use crate::container_support::{PulledImage, Run};

/// The build user of the busybox image.
pub(super) const UID: u32 = 1000;
/// A repository name for the base image; it is never contacted.
const BASE_REPO: &str = "registry.test/builder";

pub(super) struct World {
    pub(super) dir: tempfile::TempDir,
    pub(super) image: OciLayoutImage,
    /// `sha256:<hex>` of the busybox image's manifest.
    pub(super) base_digest: String,
}

impl World {
    pub(super) fn new() -> Self {
        let image = RunImage::default().build_layout().expect("busybox image");
        let index: Value =
            serde_json::from_slice(&fs::read(image.path().join("index.json")).expect("index"))
                .expect("index.json");
        let base_digest = index["manifests"][0]["digest"]
            .as_str()
            .expect("manifest digest")
            .to_owned();
        let dir = tempfile::tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let world = Self {
            dir,
            image,
            base_digest,
        };
        for (name, owner) in [
            ("layers", UID),
            ("workspace", UID),
            ("kaniko", 0),
            ("platform", 0),
            ("buildpacks", 0),
            ("layers/generated", UID),
        ] {
            let path = world.path(name);
            fs::create_dir_all(&path).expect("mkdir");
            chown(&path, Some(owner), Some(owner)).expect("chown");
        }
        let hex = world.base_digest.trim_start_matches("sha256:");
        copy_tree(
            &world.image.path(),
            &world.path("kaniko/cache/base").join(hex),
        );
        world.write("layers/plan.toml", "");
        world
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
    }

    /// `<generated>/<id>/<kind>.Dockerfile` (Platform API 0.13 and later).
    pub(super) fn dockerfile(&self, id: &str, kind: &str, text: &str) -> PathBuf {
        let name = format!(
            "layers/generated/{}/{kind}.Dockerfile",
            id.replace('/', "_")
        );
        self.write(&name, text);
        PathBuf::from("/").join(name)
    }

    /// group.toml with `extensions` in front of `buildpacks`.
    pub(super) fn group(&self, extensions: &[&str], buildpacks: &[&str]) {
        let mut text = String::new();
        for id in buildpacks {
            let _ = write!(
                text,
                "[[group]]\nid = \"{id}\"\nversion = \"0.0.1\"\napi = \"0.10\"\n\n"
            );
        }
        for id in extensions {
            let _ = write!(
                text,
                "[[group-extensions]]\nid = \"{id}\"\nversion = \"0.0.1\"\napi = \"0.10\"\n\n"
            );
        }
        self.write("layers/group.toml", &text);
    }

    /// analyzed.toml: the busybox image is the build image and, unless `run_ref` names
    /// another (not to be extended), the run image to extend.
    pub(super) fn analyzed(&self, run_ref: Option<&str>) {
        let base = format!("{BASE_REPO}@{}", self.base_digest);
        let (run, extend) = match run_ref {
            Some(run) => (run, "false"),
            None => (base.as_str(), "true"),
        };
        self.write(
            "layers/analyzed.toml",
            &format!(
                "[build-image]\nreference = \"{base}\"\n\n[run-image]\nreference = \"{run}\"\nimage = \"{run}\"\nextend = {extend}\n"
            ),
        );
    }

    /// A shell buildpack (Buildpack API 0.10) whose `bin/build` is `build`.
    pub(super) fn buildpack(&self, id: &str, build: &str) {
        let dir = format!("buildpacks/{}/0.0.1", id.replace('/', "_"));
        self.write(
            &format!("{dir}/buildpack.toml"),
            &format!("api = \"0.10\"\n\n[buildpack]\nid = \"{id}\"\nversion = \"0.0.1\"\n"),
        );
        self.write(&format!("{dir}/bin/build"), build);
        fs::set_permissions(
            self.path(&format!("{dir}/bin/build")),
            fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }

    /// A fresh container of the busybox image.
    pub(super) fn container(&self, name: &str) -> PulledImage {
        PulledImage::from_layout(&self.image.path(), self.image.tag(), name)
    }

    /// `/cnb/lifecycle/extender <args>` as root in `container`, as pack runs it.
    pub(super) fn extend(&self, container: &PulledImage, args: &[&str]) -> Finished {
        let lifecycle = Lifecycle::installed();
        let mut command = vec!["/cnb/lifecycle/extender"];
        command.extend_from_slice(args);
        let (layers, workspace, kaniko, platform, buildpacks) = (
            self.path("layers"),
            self.path("workspace"),
            self.path("kaniko"),
            self.path("platform"),
            self.path("buildpacks"),
        );
        let binds: [(&Path, &str); 6] = [
            (lifecycle.dir(), "/cnb/lifecycle"),
            (&buildpacks, "/cnb/buildpacks"),
            (&layers, "/layers"),
            (&workspace, "/workspace"),
            (&kaniko, "/kaniko"),
            (&platform, "/platform"),
        ];
        container.run(&Run {
            args: Some(&command),
            env: &["CNB_PLATFORM_API=0.15"],
            user: Some(0),
            binds: &binds,
            docker_capabilities: true,
            host_network: false,
        })
    }

    /// The extended images under `<layers>/extended/run`.
    pub(super) fn extended_images(&self) -> Vec<PathBuf> {
        match fs::read_dir(self.path("layers/extended/run")) {
            Ok(entries) => entries.map(|entry| entry.expect("entry").path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// A copy of the directory `from` (files and directories only) at `to`.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
