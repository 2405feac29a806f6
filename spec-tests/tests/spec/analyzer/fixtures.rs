//! Shared by the analyzer and restorer suites: a build's directories, images written by hand
//! through the image stores (a previous app image, a cache image, a run image with target
//! labels), volume caches written by hand in Go's format, and running a phase.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_image::ImageStore;
use cnb_layout::LayoutStore;
use cnb_registry::{Environment, RegistryStore};
use cnb_testkit::{Finished, Lifecycle, TarLayer};
use tempfile::TempDir;

use crate::image_support::{push_image, reference, registry_store};

/// The target labels of the run images these suites write.
pub(crate) const RUN_LABELS: &[(&str, &str)] = &[
    ("io.buildpacks.base.id", "io.test.run"),
    ("io.buildpacks.base.distro.name", "busybox"),
    ("io.buildpacks.base.distro.version", "1.35.0"),
];

/// A build's directories in a temp dir: `layers/`, `platform/`, and a place for files.
pub(crate) struct Build {
    pub(crate) dir: TempDir,
}

impl Build {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cnb-spec-analyze-")
            .tempdir()
            .expect("temp dir");
        fs::create_dir_all(dir.path().join("layers")).expect("layers dir");
        Self { dir }
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) fn layers(&self) -> PathBuf {
        self.path("layers")
    }

    /// Writes `text` to `relative`, creating parents.
    pub(crate) fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("parent dir");
        fs::write(&path, text).expect("write file");
        path
    }

    /// `<layers>/analyzed.toml`, parsed.
    pub(crate) fn analyzed(&self) -> toml::Table {
        let text = fs::read_to_string(self.layers().join("analyzed.toml")).expect("analyzed.toml");
        toml::from_str(&text).expect("analyzed.toml parses")
    }

    /// A command for `phase` at Platform API `api` with `-layers` set.
    pub(crate) fn command(&self, phase: &str, api: &str) -> Command {
        let mut command = Lifecycle::installed().command(phase);
        command
            .env("CNB_PLATFORM_API", api)
            .arg("-layers")
            .arg(self.layers());
        command
    }
}

/// Runs `command` to completion.
pub(crate) fn run(command: &mut Command) -> Finished {
    Finished::run(command)
}

/// A store for images on loopback registries, anonymous.
pub(crate) fn store() -> RegistryStore {
    registry_store(&Environment::default(), &[])
}

/// A run image with target labels pushed as `name`; returns `<repository>@<digest>`.
pub(crate) fn push_run_image(store: &dyn ImageStore, name: &str) -> String {
    let target = reference(name);
    let written = push_image(
        store,
        std::slice::from_ref(&target),
        &[TarLayer::of(&[("etc/os-release", "ID=busybox\n")])],
        RUN_LABELS,
    );
    format!("{}@{}", target.context(), written.digest)
}

/// A previous app image pushed as `name`: the `io.buildpacks.lifecycle.metadata` label and
/// `layers`; returns `<repository>@<digest>`.
pub(crate) fn push_app_image(
    store: &dyn ImageStore,
    name: &str,
    label: &str,
    layers: &[TarLayer],
) -> String {
    let target = reference(name);
    let written = push_image(
        store,
        std::slice::from_ref(&target),
        layers,
        &[("io.buildpacks.lifecycle.metadata", label)],
    );
    format!("{}@{}", target.context(), written.digest)
}

/// A layout store over `root`.
pub(crate) fn layout_store(root: &Path) -> LayoutStore {
    LayoutStore::new(root)
}
