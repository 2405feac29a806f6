//! Shared by the daemon suites: a [`DaemonSite`] (the test binary's private `dockerd` and a
//! loopback registry holding the same run image under the same name), and readers of what a
//! daemon holds, through the `docker` CLI only: image IDs, the raw config (`docker save`),
//! and what a container of an image prints (`docker run --network none`).

use std::io::Read;
use std::sync::Arc;

use cnb_testkit::{DockerDaemon, RegistryFixture, RunImage};
use serde_json::Value;

/// A private daemon and a registry with the same run image, named alike in both.
pub(crate) struct DaemonSite {
    pub(crate) daemon: Arc<DockerDaemon>,
    pub(crate) registry: RegistryFixture,
    /// `127.0.0.1:<port>/fixture/run:latest`, in the registry and in the daemon.
    pub(crate) run_image: String,
}

impl DaemonSite {
    /// The shared daemon and a new registry, the run image in both.
    ///
    /// # Panics
    /// When the daemon or the registry cannot start, or the image cannot be built or loaded.
    pub(crate) fn start() -> Self {
        Self::with_run_image(&RunImage::default())
    }

    /// [`DaemonSite::start`] with `image` as the run image.
    pub(crate) fn with_run_image(image: &RunImage) -> Self {
        let daemon = DockerDaemon::shared().expect("private dockerd");
        let registry = RegistryFixture::start().expect("registry");
        let layout = image.build_layout().expect("run image");
        let pushed = layout
            .push(&registry, "fixture/run:latest")
            .expect("push run image");
        daemon
            .load(&layout, &pushed.reference)
            .expect("load run image into the daemon");
        Self {
            daemon,
            registry,
            run_image: pushed.reference,
        }
    }

    /// `127.0.0.1:<port>/<repo_and_tag>`: a name no other test uses.
    pub(crate) fn name(&self, repo_and_tag: &str) -> String {
        self.registry.reference(repo_and_tag)
    }

    /// The image ID of `name` without `sha256:`, as report.toml and analyzed.toml hold it.
    pub(crate) fn id(&self, name: &str) -> String {
        self.daemon
            .image_id(name)
            .expect("docker image inspect")
            .unwrap_or_else(|| panic!("the daemon has no image {name}"))
            .trim_start_matches("sha256:")
            .to_owned()
    }

    /// Whether the daemon has an image `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.daemon
            .image_id(name)
            .expect("docker image inspect")
            .is_some()
    }

    /// The image config of `name` as the daemon stores it (from `docker save`).
    pub(crate) fn config(&self, name: &str) -> Value {
        let output = self
            .daemon
            .docker()
            .args(["save", name])
            .output()
            .expect("docker save runs");
        assert!(
            output.status.success(),
            "docker save {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let files = untar(&output.stdout);
        let manifest: Value =
            serde_json::from_slice(file(&files, "manifest.json")).expect("manifest.json");
        let config = manifest[0]["Config"].as_str().expect("Config");
        serde_json::from_slice(file(&files, config)).expect("config JSON")
    }

    /// What `docker run --rm --network none [--entrypoint E] <name> <args>` prints.
    pub(crate) fn run(&self, name: &str, entrypoint: Option<&str>, args: &[&str]) -> String {
        let mut command = vec!["run", "--rm", "--network", "none"];
        if let Some(entrypoint) = entrypoint {
            command.extend(["--entrypoint", entrypoint]);
        }
        command.push(name);
        command.extend(args);
        self.daemon
            .run_docker(&command)
            .unwrap_or_else(|err| panic!("docker run {name}: {err}"))
    }
}

fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    let mut files = Vec::new();
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("tar entry");
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry
            .path()
            .expect("path")
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read entry");
        files.push((path, data));
    }
    files
}

fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    files.iter().find(|(path, _)| path == name).map_or_else(
        || panic!("no {name} in the export"),
        |(_, data)| data.as_slice(),
    )
}

/// `[image]` of a daemon export's report.toml: its tags and image ID; asserts it names no
/// digest.
pub(crate) fn daemon_report(path: &std::path::Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    let table: toml::Table = text.parse().expect("report.toml parses");
    let image = table["image"].as_table().expect("[image]");
    assert!(
        image.get("digest").is_none(),
        "no digest for a daemon image: {text}"
    );
    let tags = image["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| tag.as_str().expect("tag").to_owned())
        .collect();
    let id = image["image-id"].as_str().expect("image-id").to_owned();
    (tags, id)
}

/// The 64 hex digits of an image ID (what Go writes without `sha256:`).
pub(crate) fn is_image_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}
