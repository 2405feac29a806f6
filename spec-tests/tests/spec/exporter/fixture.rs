//! The exporter's world: a loopback registry with the testkit's busybox run image, and a
//! `<layers>` + `<app>` pair shaped as the builder leaves them: two buildpacks (one with a
//! `/` in its ID), a launch layer, a launch+cache layer, a build-only layer, a cache-only
//! layer, a store.toml, a launch SBOM, two processes, a buildpack label and one slice.

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_image::{Image, ImageStore};
use cnb_registry::{Environment, RegistryStore};
use cnb_testkit::{Finished, Lifecycle, RegistryFixture, RunImage};
use serde_json::Value;

use crate::image_support::{reference, registry_store};
use crate::registry_store::amd64;

/// The `config/metadata.toml` the builder would have written.
const METADATA: &str = r#"buildpack-default-process-type = "web"

[[buildpacks]]
  id = "test/first"
  version = "1.0.0"
  api = "0.12"
  homepage = "https://example.test/first"

[[buildpacks]]
  id = "second"
  version = "2.0.0"
  api = "0.12"

[[labels]]
  key = "com.example.label"
  value = "from-second"

[[processes]]
  type = "web"
  command = ["/bin/sh"]
  args = ["-c", "echo hello from web"]
  direct = true
  buildpack-id = "test/first"

[[processes]]
  type = "worker"
  command = ["worker"]
  direct = false
  buildpack-id = "second"

[[slices]]
  paths = ["static"]
"#;

pub(crate) struct World {
    pub(crate) registry: RegistryFixture,
    pub(crate) store: RegistryStore,
    /// `<host>/test/run:latest`.
    pub(crate) run_image: String,
    /// `<host>/test/run@sha256:…`.
    pub(crate) run_digest_ref: String,
    pub(crate) dir: tempfile::TempDir,
}

impl World {
    /// A registry with the run image, and the build's output in a temp dir.
    pub(crate) fn start() -> Self {
        let registry = RegistryFixture::start().expect("registry");
        let pushed = RunImage::default()
            .push(&registry, "test/run:latest")
            .expect("run image");
        let store = registry_store(&Environment::default(), &[]);
        let dir = tempfile::tempdir().expect("temp dir");
        let world = Self {
            run_digest_ref: pushed.digest_reference(),
            run_image: pushed.reference,
            registry,
            store,
            dir,
        };
        world.write_build();
        let run_toml = format!(
            "[[images]]\n  image = \"{}\"\n  mirrors = [\"{}\"]\n",
            world.run_image,
            World::mirror()
        );
        fs::write(world.layers().join("run.toml"), run_toml).expect("write run.toml");
        world.write_analyzed(None, &world.run_digest_ref.clone());
        world
    }

    /// The mirror run.toml lists next to the run image.
    pub(crate) fn mirror() -> String {
        "mirror.example.test/run:latest".to_owned()
    }

    pub(crate) fn layers(&self) -> PathBuf {
        self.dir.path().join("layers")
    }

    pub(crate) fn app(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// `<host>/<repo_and_tag>`.
    pub(crate) fn name(&self, repo_and_tag: &str) -> String {
        self.registry.reference(repo_and_tag)
    }

    /// Writes `<layers>` and `<app>` as the builder leaves them.
    fn write_build(&self) {
        let layers = self.layers();
        let write = |path: &str, text: &str| {
            let path = layers.join(path);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, text).expect("write");
        };
        write(
            "group.toml",
            "[[group]]\n  id = \"test/first\"\n  version = \"1.0.0\"\n  api = \"0.12\"\n\n[[group]]\n  id = \"second\"\n  version = \"2.0.0\"\n  api = \"0.12\"\n",
        );
        write("config/metadata.toml", METADATA);
        write("test_first/launch-layer/lib.txt", "launch layer contents\n");
        write(
            "test_first/launch-layer.toml",
            "[types]\n  launch = true\n\n[metadata]\n  version = \"1.2.3\"\n",
        );
        write("test_first/cached/data", "launch and cache\n");
        write(
            "test_first/cached.toml",
            "[types]\n  launch = true\n  cache = true\n",
        );
        write("test_first/build-only/tool", "build only\n");
        write("test_first/build-only.toml", "[types]\n  build = true\n");
        write("second/cache-only/blob", "cache only\n");
        write("second/cache-only.toml", "[types]\n  cache = true\n");
        write(
            "second/store.toml",
            "[metadata]\n  kept = \"across builds\"\n",
        );
        write(
            "sbom/launch/test_first/sbom.cdx.json",
            "{\"bomFormat\":\"CycloneDX\"}\n",
        );
        let app = self.app();
        fs::create_dir_all(app.join("static")).expect("mkdir app");
        fs::write(app.join("index.html"), "<h1>hi</h1>\n").expect("write app");
        fs::write(app.join("static/style.css"), "h1 {}\n").expect("write app");
    }

    /// Writes analyzed.toml: the run image, and the previous image with its lifecycle label
    /// turned into `[metadata]` as the analyzer does.
    pub(crate) fn write_analyzed(&self, previous: Option<(&str, &Value)>, run_ref: &str) {
        let mut text = String::new();
        if let Some((previous_ref, label)) = previous {
            let _ = write!(text, "[image]\n  reference = \"{previous_ref}\"\n\n");
            text.push_str(&metadata_toml(label));
        }
        let _ = write!(
            text,
            "[run-image]\n  reference = \"{run_ref}\"\n  image = \"{}\"\n",
            self.run_image
        );
        fs::write(self.layers().join("analyzed.toml"), text).expect("write analyzed.toml");
    }

    /// The installed exporter at Platform API `api`, owning files as this process's user.
    pub(crate) fn exporter(&self, api: &str) -> Command {
        let lifecycle = Lifecycle::installed();
        let mut command = lifecycle.command("exporter");
        let (uid, gid) = owner(self.dir.path());
        command
            .env("CNB_PLATFORM_API", api)
            .arg(format!("-layers={}", self.layers().display()))
            .arg(format!("-app={}", self.app().display()))
            .arg(format!(
                "-launcher={}",
                lifecycle.path("launcher").display()
            ))
            .arg(format!("-uid={uid}"))
            .arg(format!("-gid={gid}"));
        if !["0.8", "0.9", "0.10", "0.11"].contains(&api) {
            command.arg(format!("-run={}", self.layers().join("run.toml").display()));
        }
        command
    }

    pub(crate) fn image(&self, name: &str) -> Image {
        self.store
            .read_image(&reference(name), &amd64())
            .expect("image readable")
            .expect("image exists")
    }

    /// The exported layer of image `name` whose diffID is `diff_id`, as a tar (decompressed).
    pub(crate) fn layer_tar(&self, name: &str, diff_id: &str) -> tar::Archive<Box<dyn Read>> {
        let exported = self.image(name);
        let index = exported
            .config
            .rootfs
            .diff_ids
            .iter()
            .position(|id| id.to_string() == diff_id)
            .expect("layer in rootfs");
        let digest = exported.manifest.manifest.layers[index].digest;
        let blob = self
            .store
            .open_blob(&reference(name), &digest)
            .expect("registry answers")
            .expect("blob exists");
        tar::Archive::new(Box::new(flate2::read::GzDecoder::new(blob)))
    }

    pub(crate) fn exists(&self, name: &str) -> bool {
        self.store
            .read_manifest_raw(&reference(name), None)
            .expect("registry answers")
            .is_some()
    }

    pub(crate) fn label(&self, name: &str, key: &str) -> Value {
        let image = self.image(name);
        let text = image.label(key).unwrap_or_else(|| panic!("no label {key}"));
        serde_json::from_str(text).expect("label is JSON")
    }

    /// Exports `<image>` (and `extra` args) at Platform API 0.15 and expects success.
    pub(crate) fn export(&self, image: &str, extra: &[&str]) -> Finished {
        let finished = Finished::run(self.exporter("0.15").args(extra).arg(image));
        assert_eq!(finished.code, Some(0), "{finished}");
        finished
    }

    pub(crate) fn report(&self) -> String {
        fs::read_to_string(self.layers().join("report.toml")).expect("report.toml")
    }
}

/// The owner of `path`: this process's user and group, as a test may hand them to `-uid`.
pub(crate) fn owner(path: &Path) -> (u32, u32) {
    let meta = fs::metadata(path).expect("stat");
    (meta.uid(), meta.gid())
}

/// The lifecycle label as analyzed.toml's `[metadata]` (TOML keys differ from JSON ones).
fn metadata_toml(label: &Value) -> String {
    let sha = |value: &Value| format!("{{ sha = {} }}", value["sha"]);
    let mut text = String::from("[metadata]\n");
    let apps: Vec<String> = label["app"]
        .as_array()
        .expect("app")
        .iter()
        .map(sha)
        .collect();
    let _ = writeln!(text, "  app = [{}]", apps.join(", "));
    for key in ["config", "launcher", "process-types"] {
        let _ = writeln!(text, "  {key} = {}", sha(&label[key]));
    }
    if label.get("sbom").is_some() {
        let _ = writeln!(text, "  sbom = {}", sha(&label["sbom"]));
    }
    for buildpack in label["buildpacks"].as_array().expect("buildpacks") {
        let _ = write!(
            text,
            "\n[[metadata.buildpacks]]\n  key = {}\n  version = {}\n",
            buildpack["key"], buildpack["version"]
        );
        for (name, layer) in buildpack["layers"].as_object().expect("layers") {
            let _ = write!(
                text,
                "  [metadata.buildpacks.layers.{name:?}]\n    sha = {}\n    launch = {}\n    build = {}\n    cache = {}\n",
                layer["sha"], layer["launch"], layer["build"], layer["cache"]
            );
        }
    }
    let run = &label["runImage"];
    let _ = write!(
        text,
        "\n[metadata.run-image]\n  top-layer = {}\n  reference = {}\n\n",
        run["topLayer"], run["reference"]
    );
    text
}
