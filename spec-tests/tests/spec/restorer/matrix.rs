//! The restore-matrix fixture: an analyzed.toml whose previous-image metadata lists the
//! launch layers of `some/bp` (and of `other/bp`, which is not in the group), and a cache
//! holding the cache layers, each a tar of `<layers>/<bp>/<layer>/file`, plus an SBOM layer.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use cnb_image::ImageStore;
use cnb_testkit::Finished;

use cnb_testkit::TarLayer;

use crate::analyzer::fixtures::{Build, store};
use crate::image_support::{push_image, reference};

/// Where the cache lives.
pub(crate) enum Cache {
    /// A volume directory (`-cache-dir`).
    Volume,
    /// A cache image (`-cache-image`) with this name.
    Image(String),
}

/// `(buildpack, layer, build, cache, launch, in app metadata, in cache)`.
type Row = (&'static str, &'static str, bool, bool, bool, bool, bool);

const ROWS: &[Row] = &[
    ("some/bp", "btt", true, true, true, true, true),
    ("some/bp", "btf", true, true, false, false, true),
    ("some/bp", "bft", true, false, true, true, false),
    ("some/bp", "bff", true, false, false, false, true),
    ("some/bp", "ftt", false, true, true, true, true),
    ("some/bp", "ftf", false, true, false, false, true),
    ("some/bp", "fft", false, false, true, true, false),
    ("some/bp", "fff", false, false, false, false, true),
    ("some/bp", "mismatch", false, true, true, true, true),
    (
        "some/bp",
        "cache_only_launch",
        false,
        true,
        true,
        false,
        true,
    ),
    ("other/bp", "foreign", false, true, true, true, true),
];

/// A build with analyzed.toml, group.toml and a cache for every row.
pub(crate) struct Matrix {
    pub(crate) build: Build,
    cache: Cache,
}

impl Matrix {
    pub(crate) fn new(cache: Cache) -> Self {
        let build = Build::new();
        let layers = build.layers();
        build.write(
            "layers/group.toml",
            "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n",
        );
        let mut blobs: Vec<TarLayer> = Vec::new();
        let mut add = |files: &[(PathBuf, String)]| -> String {
            let layer = files.iter().fold(TarLayer::new(), |layer, (path, text)| {
                layer.file(path, text)
            });
            let id = layer.diff_id().to_string();
            blobs.push(layer);
            id
        };
        let mut app: Vec<(String, String)> = Vec::new();
        let mut cached: Vec<(String, String)> = Vec::new();
        for (bp, name, build_flag, cache_flag, launch, in_app, in_cache) in ROWS {
            let escaped = bp.replace('/', "_");
            let file = layers.join(&escaped).join(name).join("file");
            let sha = if *in_cache {
                add(&[(file, (*name).to_owned())])
            } else {
                "sha256:launchonly".to_owned()
            };
            let flags = format!("build = {build_flag}\nlaunch = {launch}\ncache = {cache_flag}\n");
            if *in_app {
                let app_sha = if *name == "mismatch" {
                    "sha256:old"
                } else {
                    sha.as_str()
                };
                app.push((bp.to_string(), format!(
                    "[metadata.buildpacks.layers.{name}]\nsha = \"{app_sha}\"\n{flags}[metadata.buildpacks.layers.{name}.metadata]\nname = \"{name}\"\n"
                )));
            }
            if *in_cache {
                cached.push((bp.to_string(), format!(
                    r#""{name}":{{"sha":"{sha}","data":{{"name":"{name}"}},"build":{build_flag},"launch":{launch},"cache":{cache_flag}}}"#
                )));
            }
        }
        let app_layers = |key: &str| {
            app.iter()
                .filter(|(bp, _)| bp == key)
                .map(|(_, text)| text.as_str())
                .collect::<String>()
        };
        let analyzed = format!(
            "[image]\nreference = \"\"\n[run-image]\nreference = \"\"\n\n[[metadata.buildpacks]]\nkey = \"some/bp\"\nversion = \"1.0\"\n[metadata.buildpacks.store.metadata]\nkept = \"yes\"\n{}\n[[metadata.buildpacks]]\nkey = \"other/bp\"\nversion = \"1.0\"\n{}",
            app_layers("some/bp"),
            app_layers("other/bp"),
        );
        build.write("layers/analyzed.toml", &analyzed);
        let sbom_file = layers.join("sbom/cache/some_bp/ftf/sbom.cdx.json");
        let sbom_sha = add(&[(sbom_file, "{\"sbom\":\"ftf\"}".to_owned())]);
        let json_layers = |key: &str| {
            cached
                .iter()
                .filter(|(bp, _)| bp == key)
                .map(|(_, json)| json.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let metadata = format!(
            r#"{{"sbom":{{"sha":"{sbom_sha}"}},"buildpacks":[{{"key":"some/bp","version":"1.0","layers":{{{}}}}},{{"key":"other/bp","version":"1.0","layers":{{{}}}}}]}}"#,
            json_layers("some/bp"),
            json_layers("other/bp"),
        );
        write_cache(&build, &cache, &blobs, &metadata);
        Self { build, cache }
    }

    /// The restorer command with this cache.
    pub(crate) fn restorer(&self, api: &str) -> Command {
        let mut command = self.build.command("restorer", api);
        match &self.cache {
            Cache::Volume => command.arg("-cache-dir").arg(self.build.path("cache")),
            Cache::Image(name) => command.arg("-cache-image").arg(name),
        };
        command
    }

    /// Cuts the cached tar of layer `name` (volume caches only) after 700 bytes.
    pub(crate) fn truncate_cached(&self, name: &str) {
        let committed = self.build.path("cache/committed");
        let marker = format!("some_bp/{name}/file");
        for entry in fs::read_dir(&committed).expect("cache dir") {
            let path = entry.expect("entry").path();
            let bytes = fs::read(&path).expect("cache file");
            if bytes
                .windows(marker.len())
                .any(|window| window == marker.as_bytes())
            {
                fs::write(&path, &bytes[..700]).expect("truncate");
                return;
            }
        }
        panic!("no cached tar for {name}");
    }

    /// What every row of the matrix says about `<layers>` after a restore at P≥0.14.
    pub(crate) fn assert_restored(&self, finished: &Finished) {
        let dir = self.build.layers().join("some_bp");
        let has_toml = |name: &str| dir.join(format!("{name}.toml")).is_file();
        let has_file = |name: &str| dir.join(name).join("file").is_file();
        for (name, toml, contents) in [
            ("btt", true, true),
            ("btf", true, true),
            ("bft", false, false),
            ("bff", false, false),
            ("ftt", true, true),
            ("ftf", true, true),
            ("fft", true, false),
            ("fff", false, false),
            ("mismatch", false, false),
        ] {
            assert_eq!(has_toml(name), toml, "{name}.toml\n{finished}");
            assert_eq!(has_file(name), contents, "{name}/file\n{finished}");
        }
        assert!(
            !dir.join("fft").exists(),
            "a launch-only layer gets no directory"
        );
        let btt = fs::read_to_string(dir.join("btt.toml")).expect("btt.toml");
        assert!(
            btt.contains("[metadata]") && btt.contains("name = \"btt\""),
            "{btt}"
        );
        assert!(!btt.contains("[types]") && !btt.contains("launch"), "{btt}");
        assert_eq!(
            fs::read_to_string(dir.join("ftf/file")).expect("ftf"),
            "ftf"
        );
        let store = fs::read_to_string(dir.join("store.toml")).expect("store.toml");
        assert!(store.contains("kept = \"yes\""), "{store}");
        assert!(
            finished
                .stdout
                .contains("Removing \"some/bp:mismatch\", wrong sha"),
            "{finished}"
        );
        assert!(!self.build.layers().join("other_bp").exists(), "{finished}");
        assert!(dir.join("ftf.sbom.cdx.json").is_file(), "{finished}");
        assert!(!self.build.layers().join("sbom").exists());
    }
}

/// Writes `blobs` (plain tars in a volume, gzip in an image) and `metadata` as the cache.
fn write_cache(build: &Build, cache: &Cache, blobs: &[TarLayer], metadata: &str) {
    match cache {
        Cache::Volume => {
            let committed = build.path("cache/committed");
            fs::create_dir_all(&committed).expect("cache dir");
            for layer in blobs {
                let name = format!("{}.tar", layer.diff_id());
                fs::write(committed.join(name), layer.tar()).expect("cache tar");
            }
            fs::write(
                committed.join("io.buildpacks.lifecycle.cache.metadata"),
                metadata,
            )
            .expect("cache metadata");
        }
        Cache::Image(name) => {
            let store = store();
            push_image(
                &store as &dyn ImageStore,
                &[reference(name)],
                blobs,
                &[("io.buildpacks.lifecycle.cache.metadata", metadata)],
            );
        }
    }
}
