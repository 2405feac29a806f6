//! The extended run image (`-extended`): a sparse layout holding the run image's manifest plus
//! one extension layer; that layer lands on top of the run image, written again as ours, and
//! the extended config replaces the run image's when `analyzed.toml` says `extend = true`.

use std::io::Read;

use cnb_archive::decompress;
use cnb_files::labels::LifecycleMetadata;
use cnb_image::{History, RootFs};
use cnb_testkit::{EntryMeta, TarLayer};

use super::*;

const EXTENSION_CREATED_BY: &str = "Layer: 'RUN install-tool', Created by extension: ext/a";

impl Build {
    /// Writes the extended run image the extender would leave for `example.com/run:v1`: its
    /// manifest lists the run image's layer (absent) and one extension layer holding
    /// `/opt/ext/tool` with a 2023 mtime; its config changes env, user and labels.
    fn write_extended(&self) -> LayoutStore {
        let run = self
            .store
            .read_image(&reference("example.com/run:v1"), &platform())
            .unwrap()
            .unwrap();
        let tool = self.dir.path().join("tool-root");
        fs::create_dir_all(tool.join("opt/ext")).unwrap();
        fs::write(tool.join("opt/ext/tool"), "#!/bin/sh\necho tool\n").unwrap();
        let meta = EntryMeta {
            mode: 0o755,
            mtime: 1_700_000_000,
            user_name: "kaniko".to_owned(),
        };
        let layer_bytes = TarLayer::new()
            .file_with("opt/ext/tool", "#!/bin/sh\necho tool\n", meta)
            .tar();

        let dir = self.dir.path().join("extended/run/sha256-whatever");
        let extended = LayoutStore::at(&dir).allow_sparse(true);
        let any = reference("extended/run");
        let layer = extended
            .write_blob(&any, MediaType::OciLayer, &layer_bytes)
            .unwrap();
        let mut config = run.config.clone();
        config.rootfs = RootFs {
            diff_ids: [run.config.rootfs.diff_ids.clone(), vec![layer.digest]].concat(),
            ..config.rootfs
        };
        config.history = vec![
            History::default(),
            History {
                created_by: Some(EXTENSION_CREATED_BY.into()),
                ..History::default()
            },
        ];
        config.config.env = Some(vec!["PATH=/opt/ext/bin:/bin".into(), "EXT=1".into()]);
        config.config.user = Some("1001:1001".into());
        config.set_label("io.buildpacks.rebasable", "true");
        config.set_label("ext.label", "x");
        let config = extended
            .write_config(&any, MediaType::OciConfig, &config)
            .unwrap();
        let layers = [run.manifest.manifest.layers.clone(), vec![layer]].concat();
        let manifest = Manifest::new(MediaType::OciManifest, config, layers);
        extended.write_image(&[any], &manifest).unwrap();
        extended
    }

    fn mark_extended(&self) {
        let analyzed = "[run-image]\nreference = \"example.com/run:v1\"\nextend = true\n";
        fs::write(self.layers().join("analyzed.toml"), analyzed).unwrap();
    }
}

fn created_by(image: &cnb_image::Image) -> Vec<String> {
    image
        .config
        .history
        .iter()
        .map(|entry| entry.created_by.clone().unwrap_or_default())
        .collect()
}

#[test]
fn extension_layers_go_on_the_run_image_with_the_extended_config() {
    let build = Build::new();
    let extended = build.write_extended();
    build.mark_extended();
    let run_top = build
        .store
        .read_image(&reference("example.com/run:v1"), &platform())
        .unwrap()
        .unwrap()
        .config
        .rootfs
        .diff_ids[0];
    let image = build
        .export_with("example.com/app:v1", None, Some(&extended))
        .unwrap();

    let history = created_by(&image);
    assert_eq!(history[1], EXTENSION_CREATED_BY);
    assert_eq!(history[2], "Layer: 'layer', Created by buildpack: bp@1");
    assert_eq!(image.manifest.manifest.layers.len(), 7);

    // The extension layer, written again: same file, normalised header.
    let blob = build
        .store
        .read_blob(
            &reference("example.com/app:v1"),
            &image.manifest.manifest.layers[1].digest,
        )
        .unwrap();
    let mut archive = tar::Archive::new(decompress(blob.as_slice()).unwrap());
    let mut entries = archive.entries().unwrap();
    let mut entry = entries.next().unwrap().unwrap();
    assert_eq!(&*entry.path_bytes(), b"opt/ext/tool");
    assert_eq!(entry.header().mtime().unwrap(), 315_532_801);
    assert_eq!(entry.header().username_bytes(), Some(&b""[..]));
    let mut contents = String::new();
    entry.read_to_string(&mut contents).unwrap();
    assert_eq!(contents, "#!/bin/sh\necho tool\n");

    assert_eq!(image.config.env("EXT"), Some("1"));
    assert_eq!(
        image.config.env("PATH"),
        Some("/cnb/process:/cnb/lifecycle:/opt/ext/bin:/bin")
    );
    assert_eq!(image.config.config.user.as_deref(), Some("1001:1001"));
    assert_eq!(image.label("ext.label"), Some("x"));
    assert_eq!(image.label("io.buildpacks.rebasable"), Some("true"));
    let label: LifecycleMetadata =
        cnb_files::JsonLabel::from_label(image.label("io.buildpacks.lifecycle.metadata").unwrap())
            .unwrap();
    assert_eq!(label.run_image.top_layer, run_top.to_string());
    assert!(
        label
            .run_image
            .reference
            .starts_with("example.com/run@sha256:"),
        "{}",
        label.run_image.reference
    );

    let again = build
        .export_with("example.com/app:v2", None, Some(&extended))
        .unwrap();
    assert_eq!(
        again.manifest.manifest.layers[1], image.manifest.manifest.layers[1],
        "the same extension layer gives the same blob"
    );
}

#[test]
fn without_extend_the_layers_are_added_and_the_run_images_config_kept() {
    let build = Build::new();
    let extended = build.write_extended();
    let image = build
        .export_with("example.com/app:v1", None, Some(&extended))
        .unwrap();
    assert_eq!(created_by(&image)[1], EXTENSION_CREATED_BY);
    assert_eq!(image.config.env("EXT"), None);
    assert_eq!(image.label("ext.label"), None);
}

#[test]
fn an_extended_run_image_that_is_missing_fails_the_export() {
    let build = Build::new();
    build.mark_extended();
    let empty = LayoutStore::at(build.dir.path().join("extended/run/none"));
    for extended in [Some(&empty), None] {
        let error = build
            .export_with("example.com/app:v1", None, extended)
            .unwrap_err();
        assert_eq!(error.kind(), cnb_api::ExitKind::Failed);
        assert_eq!(error.to_string(), "missing extended run image");
        assert_eq!(error.action(), "get extended image config");
    }
    assert!(
        build
            .store
            .read_image(&reference("example.com/app:v1"), &platform())
            .unwrap()
            .is_none(),
        "nothing exported"
    );
}
