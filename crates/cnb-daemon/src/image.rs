//! An image as the daemon describes it (inspect and history), turned into what phases read:
//! a config rebuilt field by field as imgutil's local image does (the raw config bytes are
//! only to be had from `docker save`), and a Docker manifest made up for it whose layers are
//! named by their diffIDs, uncompressed, sizes unknown (0). The image's identity is its ID.

use std::collections::BTreeMap;

use cnb_image::{
    Descriptor, Digest, History, Image, ImageConfig, ImageIdentity, ImageRef, Manifest, MediaType,
    ResolvedManifest, RootFs, RuntimeConfig,
};
use serde_json::Value;

use crate::api::{ContainerConfig, HistoryItem, Inspect};

/// An image the daemon holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DaemonImage {
    /// Its ID: the digest of its config.
    pub(crate) id: Digest,
    /// Its config, as rebuilt.
    pub(crate) config: ImageConfig,
}

impl DaemonImage {
    /// The image `inspect` and `history` describe (`id` from the inspect answer without a
    /// platform, which the Go lifecycle always records).
    pub(crate) fn new(id: &str, inspect: &Inspect, history: &[HistoryItem]) -> Option<Self> {
        let id: Digest = id.parse().ok()?;
        let root_fs = inspect.root_fs.clone().unwrap_or_default();
        let diff_ids = root_fs
            .layers
            .iter()
            .map(|layer| layer.parse().ok())
            .collect::<Option<Vec<Digest>>>()?;
        let mut other = serde_json::Map::new();
        if let Some(version) = inspect.os_version.as_ref().filter(|v| !v.is_empty()) {
            other.insert("os.version".to_owned(), Value::String(version.clone()));
        }
        let config = ImageConfig {
            architecture: inspect.architecture.clone().unwrap_or_default(),
            author: inspect.author.clone().filter(|a| !a.is_empty()),
            created: inspect.created.clone().filter(|c| !c.is_empty()),
            history: normalized_history(history, diff_ids.len()),
            os: inspect.os.clone().unwrap_or_default(),
            rootfs: RootFs {
                kind: if root_fs.kind.is_empty() {
                    RootFs::default().kind
                } else {
                    root_fs.kind
                },
                diff_ids,
            },
            config: runtime_config(inspect.config.as_ref()),
            variant: inspect.variant.clone().filter(|v| !v.is_empty()),
            other,
        };
        Some(Self { id, config })
    }

    /// The layers, base first, by diffID.
    pub(crate) fn diff_ids(&self) -> &[Digest] {
        &self.config.rootfs.diff_ids
    }

    /// The manifest made up for the image.
    pub(crate) fn manifest(&self) -> Manifest {
        Manifest::new(
            MediaType::DockerManifest,
            Descriptor::new(MediaType::DockerConfig, self.id, 0),
            self.diff_ids()
                .iter()
                .map(|diff_id| Descriptor::new(MediaType::DockerLayer, *diff_id, 0))
                .collect(),
        )
    }

    /// The image as phases read it, found under `reference`.
    pub(crate) fn image(&self, reference: &ImageRef) -> Image {
        let manifest = self.manifest();
        let bytes = manifest.to_json();
        Image {
            manifest: ResolvedManifest {
                reference: reference.clone(),
                digest: Digest::of(&bytes),
                identity: ImageIdentity::DaemonId(self.id),
                bytes,
                manifest,
                index: None,
            },
            config: self.config.clone(),
        }
    }
}

/// The history oldest first, one entry per layer; blank entries when the daemon's history
/// does not line up with the layers (it lists steps that made no layer, unmarked), as
/// imgutil's `NormalizedHistory` does.
fn normalized_history(history: &[HistoryItem], layers: usize) -> Vec<History> {
    if history.len() != layers {
        return vec![History::default(); layers];
    }
    history
        .iter()
        .rev()
        .map(|item| History {
            created: Some(cnb_image::rfc3339_utc(item.created)),
            created_by: Some(item.created_by.clone()).filter(|text| !text.is_empty()),
            comment: Some(item.comment.clone()).filter(|text| !text.is_empty()),
            ..History::default()
        })
        .collect()
}

/// The container defaults imgutil carries over from inspect.
fn runtime_config(config: Option<&ContainerConfig>) -> RuntimeConfig {
    let Some(config) = config else {
        return RuntimeConfig::default();
    };
    let list = |value: &Option<Vec<String>>| value.clone().filter(|list| !list.is_empty());
    let text = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
    let map = |value: &Option<BTreeMap<String, Value>>| value.clone().filter(|map| !map.is_empty());
    let mut other = serde_json::Map::new();
    if let Some(healthcheck) = config.healthcheck.clone().filter(|h| !h.is_null()) {
        other.insert("Healthcheck".to_owned(), healthcheck);
    }
    if let Some(shell) = list(&config.shell) {
        other.insert("Shell".to_owned(), shell.into());
    }
    if let Some(on_build) = list(&config.on_build) {
        other.insert("OnBuild".to_owned(), on_build.into());
    }
    RuntimeConfig {
        cmd: list(&config.cmd),
        entrypoint: list(&config.entrypoint),
        env: list(&config.env),
        labels: config.labels.clone().filter(|labels| !labels.is_empty()),
        user: text(&config.user),
        volumes: map(&config.volumes),
        working_dir: text(&config.working_dir),
        exposed_ports: map(&config.exposed_ports),
        stop_signal: text(&config.stop_signal),
        other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn inspect() -> Inspect {
        serde_json::from_str(&format!(
            r#"{{"Id":"{EMPTY}","Os":"linux","Architecture":"amd64","OsVersion":"",
                "Config":{{"Env":["PATH=/bin"],"Labels":{{"io.buildpacks.stack.id":"x"}},"User":"1000:1000",
                          "Cmd":[],"Entrypoint":null,"WorkingDir":"","Healthcheck":{{"Test":["NONE"]}}}},
                "RootFS":{{"Type":"layers","Layers":["{EMPTY}","{EMPTY}"]}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_config_is_rebuilt_from_inspect_as_imgutil_does() {
        let image = DaemonImage::new(EMPTY, &inspect(), &[]).unwrap();
        let config = &image.config;
        assert_eq!(config.os, "linux");
        assert_eq!(config.env("PATH"), Some("/bin"));
        assert_eq!(config.label("io.buildpacks.stack.id"), Some("x"));
        assert_eq!(config.config.user.as_deref(), Some("1000:1000"));
        assert_eq!(config.config.cmd, None, "an empty Cmd is left out");
        assert_eq!(config.config.working_dir, None);
        assert_eq!(config.config.other["Healthcheck"]["Test"][0], "NONE");
        assert_eq!(config.rootfs.diff_ids.len(), 2);
        assert_eq!(
            config.history,
            vec![History::default(); 2],
            "no history: blanks"
        );
        assert!(!config.other.contains_key("os.version"));
    }

    #[test]
    fn history_is_reversed_when_it_lines_up_with_the_layers() {
        let items = [
            HistoryItem {
                created: 1,
                created_by: "top".into(),
                comment: String::new(),
            },
            HistoryItem {
                created: 0,
                created_by: "base".into(),
                comment: "c".into(),
            },
        ];
        let image = DaemonImage::new(EMPTY, &inspect(), &items).unwrap();
        let history = &image.config.history;
        assert_eq!(history[0].created_by.as_deref(), Some("base"));
        assert_eq!(history[0].comment.as_deref(), Some("c"));
        assert_eq!(history[0].created.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(history[1].created_by.as_deref(), Some("top"));
        let three = [items[0].clone(), items[0].clone(), items[1].clone()];
        let image = DaemonImage::new(EMPTY, &inspect(), &three).unwrap();
        assert_eq!(image.config.history, vec![History::default(); 2]);
    }

    #[test]
    fn the_made_up_manifest_names_layers_by_diff_id_and_the_image_by_its_id() {
        let daemon = DaemonImage::new(EMPTY, &inspect(), &[]).unwrap();
        let reference = ImageRef::parse("app").unwrap();
        let image = daemon.image(&reference);
        assert_eq!(
            image.identity(),
            ImageIdentity::DaemonId(EMPTY.parse().unwrap())
        );
        let manifest = &image.manifest.manifest;
        assert_eq!(manifest.media_type, Some(MediaType::DockerManifest));
        assert_eq!(manifest.config.digest.to_string(), EMPTY);
        assert!(
            manifest
                .layers
                .iter()
                .all(|layer| layer.media_type == MediaType::DockerLayer)
        );
        assert_eq!(image.manifest.reference, reference);
        assert_eq!(image.digest(), Digest::of(&image.manifest.bytes));
    }
}
