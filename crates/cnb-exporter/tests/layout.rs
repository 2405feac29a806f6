//! The exporter over an OCI layout in a temp dir: the image's layer order and history, and
//! reuse: a layer whose diffID the previous image has is lent by the previous image, never
//! written again. The previous image here stores that layer uncompressed, a blob the exporter
//! itself would never write, so the new manifest shows which one it used. The extended run
//! image tests are in `layout/extended.rs`.
#![expect(clippy::unwrap_used, reason = "test set-up")]

#[path = "layout/extended.rs"]
mod extended;

use std::fs;
use std::path::{Path, PathBuf};

use cnb_api::check_platform_api;
use cnb_archive::{Compression, LayerWriter, Owner, TarWriter, add_dir};
use cnb_exporter::{Exporter, ExporterConfig, ExtendedRunImage};
use cnb_files::labels::LauncherMetadata;
use cnb_image::{
    Digest, ImageConfig, ImageIdentity, ImageRef, ImageStore, Manifest, MediaType, Platform,
    Sha256Writer,
};
use cnb_layout::LayoutStore;

const OWNER: Owner = Owner {
    uid: 1000,
    gid: 1000,
};

struct Build {
    dir: tempfile::TempDir,
    store: LayoutStore,
}

fn platform() -> Platform {
    Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        variant: None,
    }
}

fn reference(name: &str) -> ImageRef {
    ImageRef::parse(name).unwrap()
}

impl Build {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = LayoutStore::new(dir.path().join("layout"));
        let build = Self { dir, store };
        let write = |path: &str, text: &str| {
            let path = build.layers().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "group.toml",
            "[[group]]\nid = \"bp\"\nversion = \"1\"\napi = \"0.12\"\n",
        );
        write("bp/layer/file", "contents\n");
        write("bp/layer.toml", "[types]\nlaunch = true\n");
        write(
            "config/metadata.toml",
            "[[processes]]\ntype = \"web\"\ncommand = [\"run\"]\nbuildpack-id = \"bp\"\n",
        );
        write("app/index.html", "hi\n");
        write("launcher", "#!/bin/sh\n");
        build.write_run_image();
        build
    }

    fn layers(&self) -> PathBuf {
        self.dir.path().join("layers")
    }

    fn write_run_image(&self) {
        let target = reference("example.com/run:v1");
        let base = self.dir.path().join("base");
        fs::create_dir_all(base.join("etc")).unwrap();
        fs::write(base.join("etc/os-release"), "ID=test\n").unwrap();
        let blob = self
            .store
            .blob_writer(&target, MediaType::OciLayerGzip)
            .unwrap();
        let mut layer = LayerWriter::new(blob, Compression::gzip()).unwrap();
        add_dir(&mut layer, &base, Path::new("/etc"), OWNER).unwrap();
        let (blob, digests) = layer.finish().unwrap();
        let descriptor = blob.finish().unwrap();
        let mut config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..ImageConfig::default()
        };
        config.rootfs.diff_ids.push(digests.diff_id);
        config.config.env = Some(vec!["PATH=/bin".into()]);
        let config = self
            .store
            .write_config(&target, MediaType::OciConfig, &config)
            .unwrap();
        let manifest = Manifest::new(MediaType::OciManifest, config, vec![descriptor]);
        self.store.write_image(&[target], &manifest).unwrap();
        let analyzed = "[run-image]\nreference = \"example.com/run:v1\"\n";
        fs::write(self.layers().join("analyzed.toml"), analyzed).unwrap();
    }

    fn export(&self, output: &str, previous: Option<&str>) -> cnb_image::Image {
        self.export_with(output, previous, None).unwrap()
    }

    fn export_with(
        &self,
        output: &str,
        previous: Option<&str>,
        extended: Option<&LayoutStore>,
    ) -> Result<cnb_image::Image, cnb_exporter::Error> {
        let layers = self.layers();
        let config = ExporterConfig {
            platform_api: check_platform_api(Some("0.15")).unwrap(),
            app_dir: layers.join("app"),
            layers_dir: layers.clone(),
            group_path: layers.join("group.toml"),
            analyzed_path: layers.join("analyzed.toml"),
            project_metadata_path: layers.join("project-metadata.toml"),
            report_path: layers.join("report.toml"),
            output_image: reference(output),
            additional_tags: Vec::new(),
            tag_names: Vec::new(),
            run_image: reference("example.com/run:v1"),
            previous_image: previous.map(reference),
            run_image_for_export: cnb_files::run::RunImageForExport::default(),
            launcher_path: layers.join("launcher"),
            lifecycle_dir: self.dir.path().join("no-sboms"),
            launcher_sbom_dir: None,
            launcher_metadata: LauncherMetadata::default(),
            process_type: None,
            exec_env: "production".into(),
            created: None,
            uid: OWNER.uid,
            gid: OWNER.gid,
            platform: platform(),
            compression: Compression::gzip(),
        };
        let name = |reference: &ImageRef, identity: &ImageIdentity| identity.name(reference);
        let any = reference("extended/run");
        let mut exporter = Exporter::new(config, &self.store, &name);
        if let Some(store) = extended {
            exporter = exporter.with_extended_run_image(ExtendedRunImage {
                store,
                reference: &any,
            });
        }
        exporter.run()?;
        Ok(self
            .store
            .read_image(&reference(output), &platform())
            .unwrap()
            .unwrap())
    }
}

#[test]
fn layers_follow_the_run_image_in_gos_order_with_history() {
    let build = Build::new();
    let image = build.export("example.com/app:v1", None);
    let created_by: Vec<_> = image
        .config
        .history
        .iter()
        .map(|entry| entry.created_by.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        created_by,
        [
            "",
            "Layer: 'layer', Created by buildpack: bp@1",
            "Application Layer",
            "Buildpacks Application Launcher",
            "Buildpacks Launcher Config",
            "Buildpacks Process Types",
        ]
    );
    assert_eq!(image.manifest.manifest.layers.len(), 6);
    assert_eq!(
        image.config.env("PATH"),
        Some("/cnb/process:/cnb/lifecycle:/bin")
    );
}

/// Layers are made several at a time: a big first layer finishes after the small ones, yet
/// every layer keeps its planned place, with the diffID and the blob that layer alone,
/// written on its own, has.
#[test]
fn layers_made_in_parallel_keep_their_places_and_the_sequential_digest() {
    let build = Build::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: Vec<u8> = (0..(3 << 20) / 8)
        .flat_map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes()
        })
        .collect();
    let layers = build.layers();
    let mut names = vec!["a-big"];
    fs::create_dir_all(layers.join("bp/a-big")).unwrap();
    fs::write(layers.join("bp/a-big/noise"), &noise).unwrap();
    for name in ["b", "c", "d", "e"] {
        fs::create_dir_all(layers.join("bp").join(name)).unwrap();
        fs::write(layers.join("bp").join(name).join("file"), name).unwrap();
        names.push(name);
    }
    names.push("layer");
    for name in &names {
        fs::write(
            layers.join(format!("bp/{name}.toml")),
            "[types]\nlaunch = true\n",
        )
        .unwrap();
    }
    let image = build.export("example.com/app:v1", None);
    let alone = |name: &str| {
        let mut writer = LayerWriter::new(std::io::sink(), Compression::gzip()).unwrap();
        add_dir(
            &mut writer,
            Path::new("/"),
            &layers.join("bp").join(name),
            OWNER,
        )
        .unwrap();
        let digests = writer.finish().unwrap().1;
        (digests.diff_id, digests.digest)
    };
    let expected: Vec<(Digest, Digest)> = names.iter().map(|name| alone(name)).collect();
    let made: Vec<(Digest, Digest)> = (1..=names.len())
        .map(|index| {
            (
                image.config.rootfs.diff_ids[index],
                image.manifest.manifest.layers[index].digest,
            )
        })
        .collect();
    assert_eq!(made, expected);
}

#[test]
fn an_unchanged_layer_is_lent_by_the_previous_image_not_written_again() {
    let build = Build::new();
    let first = build.export("example.com/app:v1", None);

    // The previous image: the first one with the buildpack layer stored uncompressed.
    let previous = reference("example.com/app:previous");
    let mut tar = TarWriter::new(Sha256Writer::new(Vec::new()));
    add_dir(
        &mut tar,
        Path::new("/"),
        &build.layers().join("bp/layer"),
        OWNER,
    )
    .unwrap();
    let (bytes, diff_id, _) = tar.finish().unwrap().finish();
    assert_eq!(
        diff_id, first.config.rootfs.diff_ids[1],
        "same tar as the exporter's"
    );
    let plain = build
        .store
        .write_blob(&previous, MediaType::OciLayer, &bytes)
        .unwrap();
    let mut manifest = first.manifest.manifest.clone();
    manifest.layers[1] = plain.clone();
    for blob in first.manifest.manifest.blobs() {
        let sources = [reference("example.com/app:v1")];
        assert!(
            build
                .store
                .reuse_blob(&previous, &blob.digest, &sources)
                .unwrap()
        );
    }
    build
        .store
        .write_image(std::slice::from_ref(&previous), &manifest)
        .unwrap();
    let label = first.label("io.buildpacks.lifecycle.metadata").unwrap();
    let label: cnb_files::labels::LifecycleMetadata =
        cnb_files::JsonLabel::from_label(label).unwrap();
    let analyzed = cnb_files::analyzed::Analyzed {
        image: Some(cnb_files::analyzed::ImageIdentifier {
            reference: "example.com/app:previous".into(),
        }),
        metadata: (&label).into(),
        ..cnb_files::analyzed::Analyzed::default()
    };
    cnb_files::TomlFile::write(&analyzed, &build.layers().join("analyzed.toml")).unwrap();

    let second = build.export("example.com/app:v2", Some("example.com/app:previous"));
    assert_eq!(
        second.manifest.manifest.layers[1], plain,
        "lent, not rewritten"
    );
    assert_eq!(second.config.rootfs.diff_ids, first.config.rootfs.diff_ids);
    // The other layers were reused too: the same blobs as the first export's.
    for index in [2, 3, 4, 5] {
        assert_eq!(
            second.manifest.manifest.layers[index],
            first.manifest.manifest.layers[index]
        );
    }
}
