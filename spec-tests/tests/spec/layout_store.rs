//! `cnb-layout` checked with independent readers: a layout we write is read by skopeo
//! (`oci:` transport) and unpacked by umoci; layouts made by umoci, and sparse ones, read back.

use std::fs;

use cnb_image::{ImageStore, Platform};
use cnb_layout::LayoutStore;
use cnb_testkit::{RunImage, TarLayer};

use crate::image_support::{inspect, push_image, reference, skopeo, umoci_unpack};

fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

#[test]
fn an_oci_layout_we_write_is_read_by_skopeo_and_umoci() {
    let root = tempfile::tempdir().expect("temp dir");
    let store = LayoutStore::new(root.path());
    let image = reference("registry.test/app/web:v1");
    let layers = [TarLayer::of(&[("workspace/index.html", "hello\n")])];
    let written = push_image(
        &store,
        std::slice::from_ref(&image),
        &layers,
        &[("io.test", "layout")],
    );

    let dir = root.path().join("registry.test/app/web/v1");
    let seen = inspect(&format!("oci:{}:v1", dir.display()), &[]);
    assert_eq!(seen["Digest"], written.digest.to_string());
    assert_eq!(seen["Labels"]["io.test"], "layout");
    let raw = skopeo(&["inspect", "--raw", &format!("oci:{}", dir.display())]).stdout;
    assert_eq!(raw, written.manifest.to_json());

    let work = tempfile::tempdir().expect("temp dir");
    let rootfs = umoci_unpack(&dir, "v1", &work.path().join("bundle"));
    assert_eq!(
        fs::read_to_string(rootfs.join("workspace/index.html")).unwrap(),
        "hello\n"
    );

    // The same inputs in another root give the same digest.
    let again = tempfile::tempdir().expect("temp dir");
    let second = push_image(
        &LayoutStore::new(again.path()),
        std::slice::from_ref(&image),
        &layers,
        &[("io.test", "layout")],
    );
    assert_eq!(second.digest, written.digest);
}

#[test]
fn reads_a_layout_made_by_umoci_and_a_sparse_copy_of_it() {
    let built = RunImage::default()
        .build_layout()
        .expect("run image layout");
    let root = tempfile::tempdir().expect("temp dir");
    let image = reference("index.docker.io/library/run:latest");
    let dir = root.path().join("index.docker.io/library/run/latest");
    fs::create_dir_all(dir.parent().unwrap()).unwrap();
    // umoci's own layout, as is.
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(built.path())
        .arg(&dir)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    let store = LayoutStore::new(root.path());
    let read = store
        .read_image(&image, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(read.digest().to_string(), built.digest().expect("digest"));
    assert_eq!(
        read.label(cnb_testkit::LABEL_BASE_ID),
        Some(cnb_testkit::DEFAULT_BASE_ID)
    );
    let layer = read.manifest.manifest.layers[0].digest;
    assert!(store.open_blob(&image, &layer).expect("open").is_some());

    // Sparse: drop the layer blobs; manifest and config still read, layers are absent.
    for blob in &read.manifest.manifest.layers {
        fs::remove_file(dir.join("blobs/sha256").join(blob.digest.hex())).unwrap();
    }
    let sparse = store
        .read_image(&image, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(sparse.config, read.config);
    assert!(store.open_blob(&image, &layer).expect("open").is_none());
    assert!(!store.has_blob(&image, &layer).expect("stat"));
}
