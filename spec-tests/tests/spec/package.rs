//! `cnb-package` over the installed lifecycle: the release tgz pack's `builder create` reads,
//! the lifecycle image pack and kpack read, and a builder image over the test build base, each
//! read back with the tools platforms use (tar, skopeo, umoci) and written twice to show the
//! digests are reproducible.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_image::{Digest, ImageConfig, Manifest};
use cnb_layout::Layout;
use cnb_package::labels::{
    BUILDER_METADATA, BUILDPACK_LAYERS, BUILDPACK_ORDER, LIFECYCLE_APIS, LIFECYCLE_VERSION,
    STACK_ID,
};
use cnb_package::{BuilderInputs, InstalledLifecycle, builder, lifecycle_image, publish, tgz};
use cnb_testkit::{Lifecycle, RegistryFixture, RunImage};
use serde_json::Value;

use crate::image_support::{inspect, skopeo, umoci_unpack};

const RUN_IMAGE: &str = "127.0.0.1:5000/cnb/run:busybox";

/// The `make install` DESTDIR of the lifecycle under test (`<dir>/cnb/lifecycle` → `<dir>`).
pub(crate) fn install_dir() -> PathBuf {
    let lifecycle = Lifecycle::installed();
    lifecycle
        .dir()
        .parent()
        .and_then(Path::parent)
        .expect("cnb/lifecycle has two parents")
        .to_owned()
}

/// The lifecycle under test, as `cnb-package` reads it.
pub(crate) fn installed() -> InstalledLifecycle {
    InstalledLifecycle::open(&install_dir()).expect("the installed lifecycle opens")
}

/// The installed SBOMs of both binaries: (file name, contents).
fn sbom_files() -> Vec<(String, Vec<u8>)> {
    let dir = install_dir().join("cnb/lifecycle");
    let mut files = Vec::new();
    for binary in cnb_package::SBOM_BINARIES {
        for format in cnb_api::SbomFormat::ALL {
            let name = format.file_name(binary);
            let contents = fs::read(dir.join(&name)).expect("an installed SBOM");
            files.push((name, contents));
        }
    }
    files
}

/// `lifecycle.toml`'s `[apis]` as JSON, for comparing with the labels.
fn descriptor_apis() -> Value {
    let text =
        fs::read_to_string(install_dir().join("cnb/lifecycle.toml")).expect("lifecycle.toml");
    let toml: toml::Table = toml::from_str(&text).expect("lifecycle.toml parses");
    serde_json::to_value(&toml["apis"]).expect("apis as JSON")
}

/// (name, typeflag, mode, uid, gid, link target, contents) of every entry of a gzip tar.
pub(crate) type Entry = (String, u8, u32, u64, u64, String, Vec<u8>);

pub(crate) fn gzip_entries(gzip: impl Read) -> Vec<Entry> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gzip));
    archive
        .entries()
        .expect("a tar")
        .map(|entry| {
            let mut entry = entry.expect("an entry");
            let header = entry.header().clone();
            let link = header
                .link_name_bytes()
                .map(|link| String::from_utf8_lossy(&link).into_owned())
                .unwrap_or_default();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("entry data");
            (
                String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                header.entry_type().as_byte(),
                header.mode().expect("mode"),
                header.uid().expect("uid"),
                header.gid().expect("gid"),
                link,
                data,
            )
        })
        .collect()
}

/// The manifest and config of the image tagged `tag` in `layout`.
fn read_image(layout: &Path, digest: Digest) -> (Manifest, ImageConfig) {
    let layout = Layout::new(layout);
    let manifest = layout.read_blob(&digest).expect("read").expect("manifest");
    let manifest = Manifest::from_json(&manifest).expect("manifest parses");
    let config = layout
        .read_blob(&manifest.config.digest)
        .expect("read")
        .expect("config");
    (
        manifest,
        ImageConfig::from_json(&config).expect("config parses"),
    )
}

fn label_json(config: &ImageConfig, label: &str) -> Value {
    let text = config.label(label).unwrap_or_else(|| panic!("no {label}"));
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{label} is not JSON: {err}"))
}

#[test]
fn the_tgz_holds_lifecycle_toml_and_the_binaries_one_level_down() {
    let out = tempfile::tempdir().expect("temp dir");
    let lifecycle = installed();
    let path = tgz::write(&lifecycle, out.path()).expect("tgz written");
    let version = lifecycle.version();
    let arch = lifecycle.platform().release_name();
    assert_eq!(
        path.file_name().and_then(|name| name.to_str()),
        Some(format!("lifecycle-v{version}+linux.{arch}.tgz").as_str())
    );
    let entries = gzip_entries(File::open(&path).expect("tgz"));
    let by_name: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.0.as_str(), e)).collect();
    assert_eq!(entries[0].0, "lifecycle.toml", "lifecycle.toml comes first");
    assert_eq!(by_name["lifecycle"].1, b'5', "lifecycle is a directory");
    for binary in ["lifecycle", "launcher"] {
        let entry = by_name[format!("lifecycle/{binary}").as_str()];
        assert_eq!((entry.1, entry.2 & 0o777), (b'0', 0o755), "{binary}");
    }
    for phase in [
        "analyzer", "detector", "restorer", "extender", "builder", "exporter", "creator", "rebaser",
    ] {
        let entry = by_name[format!("lifecycle/{phase}").as_str()];
        assert_eq!((entry.1, entry.5.as_str()), (b'2', "lifecycle"), "{phase}");
    }
    for (name, installed) in sbom_files() {
        let entry = by_name[format!("lifecycle/{name}").as_str()];
        assert_eq!((entry.1, &entry.6), (b'0', &installed), "{name}");
    }
    assert!(
        entries.iter().all(|e| e.3 == 0 && e.4 == 0),
        "owned by root"
    );
    assert!(
        entries.iter().all(|e| {
            e.0 == "lifecycle.toml"
                || e.0 == "lifecycle"
                || e.0
                    .strip_prefix("lifecycle/")
                    .is_some_and(|name| !name.contains('/'))
        }),
        "nothing else: {:?}",
        by_name.keys()
    );
    let text = String::from_utf8(by_name["lifecycle.toml"].6.clone()).expect("UTF-8");
    let toml: toml::Table = toml::from_str(&text).expect("lifecycle.toml parses");
    assert_eq!(
        serde_json::to_value(&toml["apis"]).expect("JSON"),
        descriptor_apis()
    );
    assert_eq!(toml["lifecycle"]["version"].as_str(), Some(version));
    let again = tempfile::tempdir().expect("temp dir");
    let second = tgz::write(&lifecycle, again.path()).expect("tgz written again");
    assert_eq!(fs::read(&path).ok(), fs::read(second).ok(), "reproducible");
}

#[test]
fn the_lifecycle_image_has_the_labels_and_a_static_launcher_in_its_last_layer() {
    let out = tempfile::tempdir().expect("temp dir");
    let lifecycle = installed();
    let version = lifecycle.version().to_owned();
    let layout = out.path().join("lifecycle-image");
    let bundle = out.path().join("bundle.pem");
    fs::write(&bundle, "-----BEGIN CERTIFICATE-----\ntest\n").expect("bundle");
    let platform = lifecycle.platform();
    let written =
        lifecycle_image::write(&[lifecycle], Some(&bundle), &layout, &version).expect("written");
    let digest = written.images[0].1;
    let (manifest, config) = read_image(&layout, digest);
    assert_eq!(config.platform(), platform.image_platform());
    assert_eq!(config.config.working_dir.as_deref(), Some("/layers"));
    assert_eq!(config.label(LIFECYCLE_VERSION), Some(version.as_str()));
    let apis = label_json(&config, LIFECYCLE_APIS);
    assert_eq!(apis, descriptor_apis());
    let legacy = label_json(&config, BUILDER_METADATA);
    assert_eq!(legacy["lifecycle"]["version"], version.as_str());
    assert_eq!(
        legacy["api"]["buildpack"],
        apis["buildpack"]["supported"][0]
    );
    assert_eq!(legacy["api"]["platform"], apis["platform"]["supported"][0]);

    // The base layer: what the binaries need when pack runs them in this image.
    assert_eq!(manifest.layers.len(), 2);
    let base = Layout::new(&layout)
        .open_blob(&manifest.layers[0].digest)
        .expect("read")
        .expect("blob");
    let base = gzip_entries(base);
    let tmp = base.iter().find(|e| e.0 == "/tmp").expect("/tmp");
    assert_eq!(tmp.2 & 0o7777, 0o1777, "/tmp is 1777");
    let ca = base
        .iter()
        .find(|e| e.0 == lifecycle_image::CA_BUNDLE_PATH)
        .expect("the CA bundle");
    assert_eq!(ca.6, b"-----BEGIN CERTIFICATE-----\ntest\n");

    let last = manifest.layers.last().expect("a layer");
    let blob = Layout::new(&layout)
        .open_blob(&last.digest)
        .expect("read")
        .expect("blob");
    let entries = gzip_entries(blob);
    assert!(entries.iter().all(|e| e.0.starts_with("/cnb")), "only /cnb");
    let launcher = entries
        .iter()
        .find(|e| e.0 == "/cnb/lifecycle/launcher")
        .expect("the last layer holds /cnb/lifecycle/launcher");
    assert!(entries.iter().any(|e| e.0 == "/cnb/lifecycle/creator"));
    for (name, installed) in sbom_files() {
        let path = format!("/cnb/lifecycle/{name}");
        let entry = entries.iter().find(|e| e.0 == path);
        assert_eq!(entry.map(|e| &e.6), Some(&installed), "{path}");
    }
    let extracted = out.path().join("launcher");
    fs::write(&extracted, &launcher.6).expect("launcher extracted");
    let file = Command::new("file")
        .arg(&extracted)
        .output()
        .expect("file(1) runs");
    let description = String::from_utf8_lossy(&file.stdout);
    assert!(
        description.contains("statically linked") || description.contains("static-pie linked"),
        "{description}"
    );

    let tag = lifecycle_image::platform_tag(&version, platform);
    let skopeo = inspect(&format!("oci:{}:{tag}", layout.display()), &[]);
    assert_eq!(skopeo["Digest"], digest.to_string());
    assert_eq!(skopeo["Labels"][LIFECYCLE_VERSION], version.as_str());
    let again = out.path().join("again");
    let second = lifecycle_image::write(&[installed()], Some(&bundle), &again, &version)
        .expect("written again");
    assert_eq!(second, written, "reproducible");
}

/// The builder inputs of the sample builder: the lifecycle under test over the build base
/// `base`, the sample buildpacks and their order, `run_image` with `mirrors`.
pub(crate) fn sample_builder_inputs(
    base: &Path,
    run_image: &str,
    mirrors: &[&str],
) -> BuilderInputs {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/buildpacks/samples");
    let mut buildpacks: Vec<PathBuf> = fs::read_dir(&samples)
        .expect("samples")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("buildpack.toml").is_file())
        .collect();
    buildpacks.sort();
    BuilderInputs {
        lifecycle: install_dir(),
        base: base.to_owned(),
        buildpacks,
        extensions: Vec::new(),
        order: samples.join("order.toml"),
        run_image: run_image.to_owned(),
        run_image_mirrors: mirrors.iter().map(|&mirror| mirror.to_owned()).collect(),
    }
}

/// The sample builder's inputs these tests use.
fn builder_inputs(base: &Path) -> BuilderInputs {
    sample_builder_inputs(base, RUN_IMAGE, &["127.0.0.1:5001/cnb/run:busybox"])
}

#[test]
fn the_builder_unpacks_with_lifecycle_buildpacks_order_and_the_build_users_dirs() {
    let base = RunImage::default().build_layout().expect("build base");
    let inputs = builder_inputs(&base.path());
    let out = tempfile::tempdir().expect("temp dir");
    let layout = out.path().join("builder");
    let digest = builder::write(&inputs, &layout, "latest").expect("builder written");
    let (manifest, config) = read_image(&layout, digest);
    assert_eq!(config.config.user.as_deref(), Some("1000:1000"));
    assert_eq!(config.config.working_dir.as_deref(), Some("/layers"));
    assert_eq!(config.env("CNB_USER_ID"), Some("1000"));
    assert_eq!(config.label(STACK_ID), Some(cnb_testkit::DEFAULT_BASE_ID));
    assert_eq!(
        config.label(cnb_testkit::LABEL_DISTRO_NAME),
        Some(cnb_testkit::DEFAULT_DISTRO_NAME),
        "the base's io.buildpacks.base.* labels are kept"
    );
    assert_eq!(config.label(LIFECYCLE_VERSION), Some(installed().version()));
    assert_eq!(label_json(&config, LIFECYCLE_APIS), descriptor_apis());
    let metadata = label_json(&config, BUILDER_METADATA);
    assert_eq!(metadata["stack"]["runImage"]["image"], RUN_IMAGE);
    assert_eq!(
        metadata["images"][0]["mirrors"][0],
        "127.0.0.1:5001/cnb/run:busybox"
    );
    assert_eq!(metadata["lifecycle"]["apis"], descriptor_apis());
    let ids: Vec<&str> = metadata["buildpacks"]
        .as_array()
        .expect("buildpacks")
        .iter()
        .filter_map(|bp| bp["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "samples/deps-cache",
            "samples/greeting",
            "samples/hello-web"
        ]
    );
    let order = label_json(&config, BUILDPACK_ORDER);
    assert_eq!(order[0]["group"][2]["id"], "samples/hello-web");
    let layers = label_json(&config, BUILDPACK_LAYERS);
    let hello = &layers["samples/hello-web"]["0.0.1"];
    let diff_id = hello["layerDiffID"].as_str().expect("layerDiffID");
    assert!(
        config
            .rootfs
            .diff_ids
            .iter()
            .any(|d| d.to_string() == diff_id),
        "layerDiffID names a layer of the image"
    );
    assert_eq!(hello["api"], "0.10");
    assert_eq!(manifest.layers.len(), config.rootfs.diff_ids.len());

    let skopeo = inspect(&format!("oci:{}:latest", layout.display()), &[]);
    assert_eq!(skopeo["Digest"], digest.to_string());

    let bundle = out.path().join("bundle");
    let rootfs = umoci_unpack(&layout, "latest", &bundle);
    for path in [
        "cnb/lifecycle/creator",
        "cnb/lifecycle/launcher",
        "cnb/buildpacks/samples_hello-web/0.0.1/bin/build",
        "cnb/buildpacks/samples_deps-cache/0.0.1/buildpack.toml",
        "cnb/order.toml",
        "cnb/run.toml",
        "cnb/stack.toml",
        "platform/env",
        "bin/busybox",
    ] {
        assert!(rootfs.join(path).exists(), "{path} is in the rootfs");
    }
    let run_toml = fs::read_to_string(rootfs.join("cnb/run.toml")).expect("run.toml");
    assert!(run_toml.contains(RUN_IMAGE), "{run_toml}");
    if cnb_testkit::is_root() {
        for dir in ["layers", "workspace"] {
            let meta = fs::metadata(rootfs.join(dir)).expect(dir);
            assert_eq!(
                (meta.uid(), meta.gid(), meta.mode() & 0o7777),
                (1000, 1000, 0o755),
                "{dir}"
            );
        }
    }

    let again = out.path().join("again");
    let second = builder::write(&inputs, &again, "latest").expect("written again");
    assert_eq!(second, digest, "reproducible");
}

#[test]
fn published_images_have_the_layouts_digests() {
    let registry = RegistryFixture::start().expect("registry");
    let lifecycle = installed();
    let out = tempfile::tempdir().expect("temp dir");
    let base = RunImage::default().build_layout().expect("build base");
    let images = [
        (
            out.path().join("lifecycle-image"),
            registry.reference("cnb/lifecycle:test"),
        ),
        (
            out.path().join("builder"),
            registry.reference("cnb/builder:test"),
        ),
    ];
    let lifecycle_digest = lifecycle_image::write(&[lifecycle], None, &images[0].0, "test")
        .expect("lifecycle image")
        .index;
    let builder_digest =
        builder::write(&builder_inputs(&base.path()), &images[1].0, "test").expect("builder");
    for ((layout, target), digest) in images.iter().zip([lifecycle_digest, builder_digest]) {
        let store = publish::registry_store(target).expect("registry store");
        let pushed = publish::publish(layout, "test", &store, target).expect("published");
        assert_eq!(pushed, digest, "{target}");
        let raw = skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{target}"),
        ]);
        assert_eq!(Digest::of(&raw.stdout), digest, "{target}");
        let remote = inspect(&format!("docker://{target}"), &["--tls-verify=false"]);
        let local = inspect(&format!("oci:{}:test", layout.display()), &[]);
        assert_eq!(remote["Labels"], local["Labels"], "{target}");
        assert_eq!(remote["Layers"], local["Layers"], "{target}");
    }
}
