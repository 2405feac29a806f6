//! A busybox image root in a temp dir, the restorer's copy of its image (manifest and config)
//! under `<kaniko-dir>/cache/base`, group.toml, analyzed.toml and extensions' Dockerfiles:
//! what the extender finds in a container, without the container (RUN runs `chroot`ed into
//! the root, so these tests need root, as CI has).

#![allow(dead_code, reason = "each test binary uses part of the fixture")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cnb_api::{PlatformApi, check_platform_api};
use cnb_extender::{DEFAULT_MOUNTINFO, ExtenderConfig};
use cnb_image::{Descriptor, Digest, ImageConfig, Manifest, MediaType, RuntimeConfig};
use cnb_layout::Layout;

pub(crate) const RUN_REPO: &str = "registry.test/run";

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) api: PlatformApi,
    pub(crate) base: Digest,
}

impl Fixture {
    /// A fixture at the newest Platform API; `None` unless the tests run as root.
    pub(crate) fn new() -> Option<Self> {
        Self::at(PlatformApi::latest())
    }

    pub(crate) fn at(api: PlatformApi) -> Option<Self> {
        if !cnb_testkit::is_root() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        cnb_testkit::busybox_rootfs(&dir.path().join("root")).unwrap();
        for sub in [
            "layers",
            "platform",
            "kaniko",
            "root/workspace",
            "layers/generated",
        ] {
            fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut fixture = Self {
            dir,
            api,
            base: Digest::of(b""),
        };
        fixture.base = fixture.write_base();
        fixture.write_analyzed();
        Some(fixture)
    }

    pub(crate) fn api(version: &str) -> PlatformApi {
        check_platform_api(Some(version)).unwrap()
    }

    pub(crate) fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.path("root")
    }

    /// The base image's layout, as the restorer saves it (no layers).
    fn write_base(&self) -> Digest {
        let mut labels = BTreeMap::new();
        labels.insert("io.buildpacks.rebasable".to_owned(), "true".to_owned());
        labels.insert(
            "io.buildpacks.base.id".to_owned(),
            "io.test.busybox".to_owned(),
        );
        let config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            config: RuntimeConfig {
                env: Some(vec![
                    format!("PATH={}", cnb_testkit::IMAGE_PATH),
                    "CNB_USER_ID=1000".into(),
                    "CNB_GROUP_ID=1000".into(),
                ]),
                user: Some("1000:1000".into()),
                working_dir: Some("/".into()),
                labels: Some(labels),
                ..RuntimeConfig::default()
            },
            ..ImageConfig::default()
        };
        let scratch = self.path("base-scratch");
        let layout = Layout::new(&scratch);
        let config_bytes = config.to_json();
        let config_digest = layout.put_blob(&config_bytes).unwrap();
        let manifest = Manifest::new(
            MediaType::OciManifest,
            Descriptor::new(
                MediaType::OciConfig,
                config_digest,
                config_bytes.len() as u64,
            ),
            Vec::new(),
        );
        let bytes = manifest.to_json();
        let digest = layout.put_blob(&bytes).unwrap();
        layout
            .write_index(
                &Descriptor::new(MediaType::OciManifest, digest, bytes.len() as u64),
                "latest",
            )
            .unwrap();
        let target = self.path("kaniko/cache/base").join(digest.hex());
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::rename(&scratch, &target).unwrap();
        digest
    }

    fn write_analyzed(&self) {
        let reference = format!("{RUN_REPO}@{}", self.base);
        fs::write(
            self.path("layers/analyzed.toml"),
            format!(
                "[build-image]\nreference = \"{reference}\"\n\n[run-image]\nreference = \"{reference}\"\nimage = \"{RUN_REPO}\"\nextend = true\n"
            ),
        )
        .unwrap();
    }

    /// group.toml with these extensions (and one buildpack).
    pub(crate) fn group(&self, extensions: &[&str]) {
        let mut text = "[[group]]\nid = \"bp\"\nversion = \"1\"\napi = \"0.10\"\n".to_owned();
        for id in extensions {
            let _ = write!(
                text,
                "
[[group-extensions]]
id = \"{id}\"
version = \"1\"
api = \"0.10\"
"
            );
        }
        fs::write(self.path("layers/group.toml"), text).unwrap();
    }

    /// The directory an extension's generated files go to (Platform API 0.13 and later).
    pub(crate) fn generated(&self, id: &str) -> PathBuf {
        let dir = self.path("layers/generated").join(id.replace('/', "_"));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes `<kind>.Dockerfile` of extension `id`.
    pub(crate) fn dockerfile(&self, id: &str, kind: &str, text: &str) {
        fs::write(self.generated(id).join(format!("{kind}.Dockerfile")), text).unwrap();
    }

    pub(crate) fn config(&self) -> ExtenderConfig {
        ExtenderConfig {
            platform_api: self.api,
            root: self.root(),
            app_dir: self.path("root/workspace"),
            layers_dir: self.path("layers"),
            platform_dir: self.path("platform"),
            generated_dir: self.path("layers/generated"),
            extended_dir: self.path("layers/extended"),
            kaniko_dir: self.path("kaniko"),
            group_path: self.path("layers/group.toml"),
            analyzed_path: self.path("layers/analyzed.toml"),
            cache_ttl: Duration::from_hours(24),
            mountinfo_path: PathBuf::from(DEFAULT_MOUNTINFO),
        }
    }

    /// The extended images under `<extended>/run`.
    pub(crate) fn extended_images(&self) -> Vec<PathBuf> {
        match fs::read_dir(self.path("layers/extended/run")) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The manifest and config of the extended image at `dir`.
pub(crate) fn read_image(dir: &Path) -> (Manifest, ImageConfig) {
    let layout = Layout::new(dir);
    let (_, bytes) = layout.root_manifest().unwrap().unwrap();
    let manifest = Manifest::from_json(&bytes).unwrap();
    let config = layout.read_blob(&manifest.config.digest).unwrap().unwrap();
    (manifest, ImageConfig::from_json(&config).unwrap())
}

/// The entries of the layer blob `digest` in layout `dir`: name and, for files, contents.
pub(crate) fn layer_entries(dir: &Path, digest: &Digest) -> Vec<(String, Option<String>)> {
    use std::io::Read as _;
    let blob = Layout::new(dir)
        .read_blob(digest)
        .unwrap()
        .expect("layer blob present");
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(blob.as_slice())
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let contents = (entry.header().entry_type() == tar::EntryType::Regular
                && entry.size() > 0)
                .then(|| {
                    let mut text = String::new();
                    entry.read_to_string(&mut text).unwrap();
                    text
                });
            (name, contents)
        })
        .collect()
}
