//! Whole comparisons over images in OCI layouts in a temp dir.

use cnb_archive::{EntrySink, Header, TarWriter};
use cnb_image::{Descriptor, ImageConfig, Manifest, MediaType};
use cnb_layout::LayoutStore;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;

const LIMITS: Limits = Limits {
    max_layers: 3,
    max_lines: 10,
};

fn platform() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

/// A layer of regular files at absolute paths.
fn tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = TarWriter::new(Vec::new());
    for (name, data) in files {
        let header = Header::regular(name.trim_start_matches('/'), 0o644, data.len() as u64);
        writer.append(&header, &mut data.as_bytes()).unwrap();
    }
    writer.finish().unwrap()
}

fn gzip(tar: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(tar).unwrap();
    encoder.finish().unwrap()
}

/// What an app image is made of: a run image layer, a buildpack layer `deps`, the launcher
/// and an app layer, with the lifecycle metadata label naming them.
#[derive(Clone)]
struct App {
    deps: Vec<(&'static str, &'static str)>,
    extra_layer: bool,
    created: &'static str,
    compress: bool,
}

impl Default for App {
    fn default() -> Self {
        Self {
            deps: vec![("/layers/samples_hello/deps/x.txt", "hello world!")],
            extra_layer: false,
            created: "1980-01-01T00:00:01Z",
            compress: true,
        }
    }
}

struct Layouts {
    _root: tempfile::TempDir,
    store: LayoutStore,
}

impl Layouts {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        Self {
            store: LayoutStore::new(root.path()),
            _root: root,
        }
    }

    fn write(&self, tag: &str, app: &App) -> ImageRef {
        let target = ImageRef::parse(&format!("test/app:{tag}")).unwrap();
        let mut layers = vec![
            tar(&[("/etc/os-release", "busybox")]),
            tar(&app.deps),
            tar(&[("/cnb/lifecycle/launcher", "launcher")]),
        ];
        if app.extra_layer {
            layers.push(tar(&[("/layers/samples_hello/extra/y", "y")]));
        }
        layers.push(tar(&[("/workspace/main.txt", "app source")]));
        let mut descriptors = Vec::new();
        let mut config = ImageConfig {
            os: "linux".into(),
            architecture: "amd64".into(),
            created: Some(app.created.into()),
            ..ImageConfig::default()
        };
        for layer in &layers {
            let (media_type, blob) = if app.compress {
                (MediaType::OciLayerGzip, gzip(layer))
            } else {
                (MediaType::OciLayer, layer.clone())
            };
            descriptors.push(self.store.write_blob(&target, media_type, &blob).unwrap());
            config.rootfs.diff_ids.push(Digest::of(layer));
        }
        let ids: Vec<String> = config
            .rootfs
            .diff_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut bp_layers = json!({"deps": {"sha": ids[1], "launch": true}});
        if app.extra_layer {
            bp_layers["extra"] = json!({"sha": ids[3], "launch": true});
        }
        let label = json!({
            "app": [{"sha": ids.last().unwrap()}],
            "buildpacks": [{"key": "samples/hello", "version": "0.1", "layers": bp_layers}],
            "launcher": {"sha": ids[2]},
            "runImage": {"topLayer": ids[0], "reference": "run"},
        });
        config.set_label("io.buildpacks.lifecycle.metadata", &label.to_string());
        let config = self
            .store
            .write_config(&target, MediaType::OciConfig, &config)
            .unwrap();
        let manifest = Manifest::new(MediaType::OciManifest, config, descriptors);
        self.store
            .write_image(std::slice::from_ref(&target), &manifest)
            .unwrap();
        target
    }

    fn side(&self, reference: ImageRef) -> Side<'_> {
        Side {
            store: &self.store,
            name: reference.to_string(),
            reference,
        }
    }

    fn compare(&self, first: &ImageRef, second: &ImageRef, limits: &Limits) -> Result<Outcome> {
        compare(
            &self.side(first.clone()),
            &self.side(second.clone()),
            &platform(),
            limits,
        )
    }

    fn lines(&self, first: &ImageRef, second: &ImageRef, limits: &Limits) -> Vec<String> {
        match self.compare(first, second, limits).unwrap() {
            Outcome::Different(lines) => lines,
            Outcome::Identical(digest) => panic!("identical: {digest}"),
        }
    }

    fn digest(&self, reference: &ImageRef) -> String {
        let image = self
            .store
            .read_image(reference, &platform())
            .unwrap()
            .unwrap();
        image.digest().short()
    }

    /// The short diffID of layer `index` of `reference`.
    fn diff_id(&self, reference: &ImageRef, index: usize) -> String {
        let image = self
            .store
            .read_image(reference, &platform())
            .unwrap()
            .unwrap();
        image.config.rootfs.diff_ids[index].short()
    }
}

#[test]
fn the_same_image_twice_is_identical() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let again = layouts.write("again", &App::default());
    let Outcome::Identical(digest) = layouts.compare(&one, &again, &LIMITS).unwrap() else {
        panic!("not identical");
    };
    assert_eq!(digest.short(), layouts.digest(&one));
}

#[test]
fn a_changed_file_is_named_with_its_buildpack_layer_and_the_label_field() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let two = layouts.write(
        "two",
        &App {
            deps: vec![("/layers/samples_hello/deps/x.txt", "hello, world!!")],
            created: "2024-05-01T10:00:00Z",
            ..App::default()
        },
    );
    assert_eq!(
        layouts.lines(&one, &two, &LIMITS),
        [
            format!("digest: {} vs {}", layouts.digest(&one), layouts.digest(&two)),
            "config: created: \"1980-01-01T00:00:01Z\" vs \"2024-05-01T10:00:00Z\"".to_owned(),
            format!(
                "label io.buildpacks.lifecycle.metadata: buildpacks[samples/hello].layers.deps.sha: {} vs {}",
                layouts.diff_id(&one, 1),
                layouts.diff_id(&two, 1)
            ),
            "layer 2 (buildpack samples/hello layer deps): /layers/samples_hello/deps/x.txt: content differs (12 B vs 14 B)".to_owned(),
        ]
    );

    let no_files = Limits {
        max_layers: 0,
        ..LIMITS
    };
    let lines = layouts.lines(&one, &two, &no_files);
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "layer 2 (buildpack samples/hello layer deps): differs ({} vs {}), not compared file by file (-max-layers 0)",
            layouts.diff_id(&one, 1),
            layouts.diff_id(&two, 1)
        )
    );
}

#[test]
fn a_new_layer_is_paired_by_owner_not_by_position() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let two = layouts.write(
        "two",
        &App {
            extra_layer: true,
            ..App::default()
        },
    );
    let lines = layouts.lines(&one, &two, &LIMITS);
    let layer_lines: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("layer"))
        .collect();
    assert_eq!(
        layer_lines,
        [&format!(
            "layer 4 (buildpack samples/hello layer extra): only in the second image ({})",
            layouts.diff_id(&two, 3)
        )],
        "the app layer moved from 4 to 5 and is the same: {lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with(
            "label io.buildpacks.lifecycle.metadata: buildpacks[samples/hello].layers.extra: only in the second image ({"
        )),
        "{lines:#?}"
    );
}

#[test]
fn the_same_layers_compressed_otherwise_are_other_blobs() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let two = layouts.write(
        "two",
        &App {
            compress: false,
            ..App::default()
        },
    );
    let lines = layouts.lines(&one, &two, &LIMITS);
    assert!(
        lines.contains(&"layer 1 (run image layer 1): media type application/vnd.oci.image.layer.v1.tar+gzip vs application/vnd.oci.image.layer.v1.tar".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("layer 4 (app): same contents, another blob (sha256:")),
        "{lines:#?}"
    );
}

#[test]
fn an_image_that_is_not_there_is_an_error_naming_it() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let missing = ImageRef::parse("test/app:missing").unwrap();
    let err = layouts.compare(&one, &missing, &LIMITS).unwrap_err();
    assert_eq!(
        err.to_string(),
        "index.docker.io/test/app:missing not found"
    );
}

#[test]
fn a_layer_with_the_wrong_diff_id_fails_the_comparison() {
    let layouts = Layouts::new();
    let one = layouts.write("one", &App::default());
    let two = layouts.write(
        "two",
        &App {
            deps: vec![("/layers/samples_hello/deps/x.txt", "changed")],
            ..App::default()
        },
    );
    // the config of `two` claims another diffID for its deps layer
    let image = layouts
        .store
        .read_image(&two, &platform())
        .unwrap()
        .unwrap();
    let mut config = image.config.clone();
    let wrong = Digest::of(b"something else");
    let label = config
        .label("io.buildpacks.lifecycle.metadata")
        .unwrap()
        .replace(&config.rootfs.diff_ids[1].to_string(), &wrong.to_string());
    config.set_label("io.buildpacks.lifecycle.metadata", &label);
    config.rootfs.diff_ids[1] = wrong;
    let config = layouts
        .store
        .write_config(&two, MediaType::OciConfig, &config)
        .unwrap();
    let layers: Vec<Descriptor> = image.manifest.manifest.layers.clone();
    let manifest = Manifest::new(MediaType::OciManifest, config, layers);
    layouts
        .store
        .write_image(std::slice::from_ref(&two), &manifest)
        .unwrap();
    let err = layouts.compare(&one, &two, &LIMITS).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "layer {wrong} of index.docker.io/test/app:two does not match its diffID (its tar is {})",
            image.config.rootfs.diff_ids[1]
        )
    );
}
