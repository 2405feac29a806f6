//! `-extended` (platform.md › exporter, extender): the extender leaves the extended run image
//! in `<extended>/run/<digest>`, a sparse OCI layout whose manifest lists the run image's
//! layers and then the extensions' (only those present). Here that layout is made by hand from
//! the real run image in the registry plus one extension layer, as the extender would leave it.

use std::fs;
use std::io::Read;

use cnb_image::{History, ImageStore, Manifest, MediaType};
use cnb_layout::LayoutStore;
use cnb_testkit::{EntryMeta, Finished, TarLayer};
use serde_json::Value;

use super::HISTORY;
use super::fixture::World;
use crate::image_support::reference;

const EXTENSION_HISTORY: &str = "Layer: 'RUN install-tool', Created by extension: test/ext";
const TOOL: &str = "#!/bin/sh\necho tool\n";

/// A layer holding `opt/ext/tool`, written as kaniko would (a 2023 mtime, owner names).
fn extension_layer() -> TarLayer {
    let meta = EntryMeta {
        mode: 0o755,
        mtime: 1_700_000_000,
        user_name: "root".to_owned(),
    };
    TarLayer::new().file_with("opt/ext/tool", TOOL, meta)
}

impl World {
    /// Writes `<layers>/extended/run/<digest>` for the run image plus the extension layer, and
    /// analyzed.toml with `extend = true`.
    fn write_extended(&self) {
        let run = self.image(&self.run_image);
        let dir = self.layers().join("extended/run/layout");
        let store = LayoutStore::at(&dir).allow_sparse(true);
        let any = reference("extended/run");
        let extension = extension_layer();
        let layer = store
            .write_blob(&any, MediaType::OciLayerGzip, &extension.gzip())
            .expect("layer written");
        let mut config = run.config.clone();
        config.rootfs.diff_ids.push(extension.diff_id());
        let mut history: Vec<History> = config
            .history
            .iter()
            .filter(|entry| !entry.empty_layer)
            .cloned()
            .collect();
        history.resize(run.config.rootfs.diff_ids.len(), History::default());
        history.push(History {
            created_by: Some(EXTENSION_HISTORY.into()),
            ..History::default()
        });
        config.history = history;
        let mut env = config.config.env.clone().unwrap_or_default();
        env.push("EXT_HOME=/opt/ext".into());
        config.config.env = Some(env);
        config.config.user = Some("1001:1001".into());
        config.set_label("io.test.extension", "yes");
        let config = store
            .write_config(&any, MediaType::OciConfig, &config)
            .expect("config written");
        let mut layers = run.manifest.manifest.layers.clone();
        layers.push(layer);
        let manifest = Manifest::new(MediaType::OciManifest, config, layers);
        store
            .write_image(&[any], &manifest)
            .expect("manifest written");
        let analyzed = format!(
            "[run-image]\n  reference = \"{}\"\n  image = \"{}\"\n  extend = true\n",
            self.run_digest_ref, self.run_image
        );
        fs::write(self.layers().join("analyzed.toml"), analyzed).expect("analyzed.toml");
    }
}

#[test]
fn the_extension_layer_goes_on_the_run_image_with_the_extended_config() {
    let world = World::start();
    world.write_extended();
    let app = world.name("test/app:extended");
    let finished = Finished::run(world.exporter("0.13").arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let run = world.image(&world.run_image);
    let image = world.image(&app);
    let run_layers = run.manifest.manifest.layers.len();
    let layers = &image.manifest.manifest.layers;
    assert_eq!(layers.len(), run_layers + 1 + HISTORY.len());
    assert_eq!(layers[..run_layers], run.manifest.manifest.layers[..]);
    let created_by: Vec<&str> = image.config.history[run_layers..]
        .iter()
        .map(|entry| entry.created_by.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(created_by[0], EXTENSION_HISTORY);
    assert_eq!(created_by[1..], HISTORY);

    // The extension layer, written again as the lifecycle writes layers.
    let blob = world
        .store
        .read_blob(&reference(&app), &layers[run_layers].digest)
        .expect("extension layer");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob.as_slice()));
    let mut entry = archive
        .entries()
        .expect("entries")
        .next()
        .expect("one entry")
        .expect("entry");
    assert_eq!(&*entry.path_bytes(), b"opt/ext/tool");
    assert_eq!(entry.header().mode().expect("mode"), 0o755);
    assert_eq!(entry.header().mtime().expect("mtime"), 315_532_801);
    assert_eq!(entry.header().username_bytes(), Some(&b""[..]));
    let mut contents = String::new();
    entry.read_to_string(&mut contents).expect("contents");
    assert_eq!(contents, TOOL);

    assert_eq!(image.config.env("EXT_HOME"), Some("/opt/ext"));
    assert_eq!(image.config.config.user.as_deref(), Some("1001:1001"));
    assert_eq!(image.label("io.test.extension"), Some("yes"));
    let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
    let run_top = run
        .config
        .rootfs
        .diff_ids
        .last()
        .expect("run layers")
        .to_string();
    assert_eq!(label["runImage"]["topLayer"], Value::String(run_top));
    assert_eq!(
        label["runImage"]["reference"],
        Value::String(world.run_digest_ref.clone())
    );

    let again = world.name("test/app:again");
    let finished = Finished::run(world.exporter("0.13").arg(&again));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(
        world.image(&again).manifest.manifest.layers[run_layers],
        layers[run_layers],
        "the same extension layer gives the same blob"
    );
}

#[test]
fn before_platform_api_0_13_an_extended_run_image_is_experimental() {
    let world = World::start();
    world.write_extended();
    let app = world.name("test/app:guarded");
    let finished = Finished::run(world.exporter("0.12").arg(&app));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished.stderr.contains(
            "ERROR: Platform requested experimental feature 'Dockerfiles'\n\
             ERROR: experimental features are disabled by CNB_EXPERIMENTAL_MODE=error\n"
        ),
        "{finished}"
    );
    assert!(!world.exists(&app), "nothing exported");
    let finished = Finished::run(
        world
            .exporter("0.12")
            .env("CNB_EXPERIMENTAL_MODE", "warn")
            .arg(&app),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(world.image(&app).label("io.test.extension"), Some("yes"));
}

#[test]
fn an_extended_run_image_that_is_missing_fails_and_exports_nothing() {
    let world = World::start();
    world.write_extended();
    fs::remove_dir_all(world.layers().join("extended")).expect("rm extended");
    let app = world.name("test/app:missing");
    let finished = Finished::run(world.exporter("0.13").arg(&app));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished
            .stderr
            .contains("ERROR: failed to get extended image config: missing extended run image"),
        "{finished}"
    );
    assert!(!world.exists(&app), "nothing exported");

    fs::create_dir_all(world.layers().join("extended/run/one")).expect("mkdir");
    fs::create_dir_all(world.layers().join("extended/run/two")).expect("mkdir");
    let finished = Finished::run(world.exporter("0.13").arg(&app));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished.stderr.contains("to have only 1 item; found 2"),
        "{finished}"
    );
}
