use std::fs;
use std::io::Write;

use cnb_image::{ImageConfig, Platform};
use pretty_assertions::assert_eq;
use serde_json::Value;

use super::*;
use crate::{OciPath, REF_NAME_ANNOTATION};

fn reference(text: &str) -> ImageRef {
    ImageRef::parse(text).unwrap()
}

fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

/// Writes a one-layer image and returns its manifest.
fn write_image(store: &LayoutStore, targets: &[ImageRef], layer: &[u8]) -> Manifest {
    let target = &targets[0];
    let mut writer = store.blob_writer(target, MediaType::OciLayerGzip).unwrap();
    writer.write_all(layer).unwrap();
    let layer = writer.finish().unwrap();
    let mut config = ImageConfig {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..ImageConfig::default()
    };
    config.rootfs.diff_ids.push(layer.digest);
    config.set_label("io.test", "yes");
    let config = store
        .write_config(target, MediaType::OciConfig, &config)
        .unwrap();
    let manifest = Manifest::new(MediaType::OciManifest, config, vec![layer]);
    store.write_image(targets, &manifest).unwrap();
    manifest
}

fn index_json(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap()
}

#[test]
fn writes_a_layout_per_reference_and_reads_it_back() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let target = reference("127.0.0.1:5000/test/app:v1");
    let manifest = write_image(&store, std::slice::from_ref(&target), b"layer bytes");

    let dir = root.path().join("127.0.0.1:5000/test/app/v1");
    assert_eq!(
        fs::read_to_string(dir.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = index_json(&dir);
    assert_eq!(
        index["manifests"][0]["annotations"][REF_NAME_ANNOTATION],
        "v1"
    );
    assert_eq!(
        index["manifests"][0]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );

    let image = store.read_image(&target, &amd64()).unwrap().unwrap();
    assert_eq!(image.manifest.manifest, manifest);
    assert_eq!(image.label("io.test"), Some("yes"));
    assert_eq!(
        store
            .read_blob(&target, &manifest.layers[0].digest)
            .unwrap(),
        b"layer bytes"
    );
    let leftovers: Vec<_> = fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let missing = reference("127.0.0.1:5000/test/app:v2");
    assert!(store.read_image(&missing, &amd64()).unwrap().is_none());
}

#[test]
fn the_same_inputs_give_the_same_digest() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let target = reference("reg.io/app");
    let digest = |root: &Path| {
        let store = LayoutStore::new(root);
        let manifest = write_image(&store, std::slice::from_ref(&target), b"same");
        Digest::of(&manifest.to_json())
    };
    assert_eq!(digest(first.path()), digest(second.path()));
    assert_eq!(
        fs::read(first.path().join("reg.io/app/latest/index.json")).unwrap(),
        fs::read(second.path().join("reg.io/app/latest/index.json")).unwrap()
    );
}

#[test]
fn additional_tags_get_their_own_layout_with_every_blob() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let targets = [
        reference("reg.io/app:v1"),
        reference("reg.io/other/app:extra"),
    ];
    let manifest = write_image(&store, &targets, b"shared");
    for (target, tag) in targets.iter().zip(["v1", "extra"]) {
        let layout = store.layout(target).unwrap();
        assert!(manifest.blobs().all(|blob| layout.has_blob(&blob.digest)));
        assert_eq!(
            index_json(layout.dir())["manifests"][0]["annotations"][REF_NAME_ANNOTATION],
            tag
        );
        assert!(store.read_image(target, &amd64()).unwrap().is_some());
    }
}

#[test]
fn a_manifest_with_a_missing_blob_is_not_written() {
    let root = tempfile::tempdir().unwrap();
    let target = reference("reg.io/app:v1");
    let strict = LayoutStore::new(root.path());
    let config = strict
        .write_blob(&target, MediaType::OciConfig, b"{}")
        .unwrap();
    let absent = Descriptor::new(MediaType::OciLayerGzip, Digest::of(b"absent"), 6);
    let manifest = Manifest::new(MediaType::OciManifest, config.clone(), vec![absent.clone()]);

    let err = strict
        .write_image(std::slice::from_ref(&target), &manifest)
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingBlob { digest, .. } if digest == absent.digest));
    assert!(
        !store_dir(&root, "reg.io/app/v1")
            .join("index.json")
            .exists()
    );

    let sparse = LayoutStore::new(root.path()).allow_sparse(true);
    sparse
        .write_image(std::slice::from_ref(&target), &manifest)
        .unwrap();
    assert!(sparse.open_blob(&target, &absent.digest).unwrap().is_none());
    assert!(!sparse.has_blob(&target, &absent.digest).unwrap());

    let no_config = Manifest::new(
        MediaType::OciManifest,
        Descriptor::new(MediaType::OciConfig, Digest::of(b"none"), 4),
        vec![],
    );
    assert!(
        sparse
            .write_image(std::slice::from_ref(&target), &no_config)
            .is_err()
    );
}

fn store_dir(root: &tempfile::TempDir, relative: &str) -> PathBuf {
    root.path().join(relative)
}

#[test]
fn reuses_blobs_from_other_layouts_by_link() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let base = reference("reg.io/base:1");
    let manifest = write_image(&store, std::slice::from_ref(&base), b"base layer");
    let app = reference("reg.io/app:1");
    let layer = manifest.layers[0].digest;
    assert!(!store.reuse_blob(&app, &layer, &[]).unwrap());
    assert!(
        store
            .reuse_blob(&app, &layer, std::slice::from_ref(&base))
            .unwrap()
    );
    assert!(store.has_blob(&app, &layer).unwrap());
    assert!(store.reuse_blob(&app, &layer, &[]).unwrap());
}

/// The exporter hashes what it writes and gives the digest at the end (`digest_follows`): the
/// blob is named by it. Without `digest_follows` the writer hashes, and a digest of other
/// bytes is refused with nothing left behind.
#[test]
fn a_blob_whose_digest_follows_is_named_by_the_digest_given() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let target = reference("reg.io/app:v1");
    let bytes = b"layer bytes".repeat(1000);
    let mut writer = store.blob_writer(&target, MediaType::OciLayer).unwrap();
    writer.digest_follows();
    writer.write_all(&bytes).unwrap();
    let blob = writer.finish_with_digest(Digest::of(&bytes)).unwrap();
    assert_eq!(blob.digest, Digest::of(&bytes));
    assert_eq!(blob.size, bytes.len() as u64);
    assert_eq!(store.read_blob(&target, &blob.digest).unwrap(), bytes);

    let mut writer = store.blob_writer(&target, MediaType::OciLayer).unwrap();
    writer.write_all(b"other bytes").unwrap();
    let refused = writer
        .finish_with_digest(Digest::of(b"not these"))
        .unwrap_err();
    assert!(refused.to_string().contains("blob"), "{refused}");
    let blobs = store_dir(&root, "reg.io/app/v1/blobs/sha256");
    let names: Vec<_> = fs::read_dir(blobs)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, [Digest::of(&bytes).hex()]);
}

#[test]
fn an_unfinished_writer_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let target = reference("reg.io/app:v1");
    let mut writer = store.blob_writer(&target, MediaType::OciLayer).unwrap();
    writer.write_all(b"half").unwrap();
    drop(writer);
    let blobs = store_dir(&root, "reg.io/app/v1/blobs/sha256");
    assert_eq!(fs::read_dir(blobs).unwrap().count(), 0);
}

#[test]
fn resolves_a_multi_platform_layout_and_refuses_corrupt_blobs() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let amd = reference("reg.io/multi:amd");
    let manifest = write_image(&store, std::slice::from_ref(&amd), b"amd layer");
    let bytes = manifest.to_json();
    let multi = store.layout(&reference("reg.io/multi:all")).unwrap();
    multi.put_blob(&bytes).unwrap();
    for blob in manifest.blobs() {
        multi
            .link_blob_from(&store.layout(&amd).unwrap(), &blob.digest)
            .unwrap();
    }
    let entry = |arch: &str, digest: Digest| {
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": 1, "platform": {"os": "linux", "architecture": arch}})
    };
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        entry("arm64", Digest::of(b"elsewhere")), entry("amd64", Digest::of(&bytes))]});
    fs::write(multi.dir().join("index.json"), index.to_string()).unwrap();
    let all = reference("reg.io/multi:all");
    let image = store.read_image(&all, &amd64()).unwrap().unwrap();
    assert_eq!(image.manifest.manifest, manifest);
    assert!(image.manifest.index.is_some());

    fs::write(multi.blob_path(&Digest::of(&bytes)), b"tampered").unwrap();
    let err = store.read_image(&all, &amd64()).unwrap_err();
    assert!(format!("{err:?}").contains("Corrupt"), "{err:?}");
}

#[test]
fn an_index_without_manifests_or_a_broken_index_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let target = reference("reg.io/broken:1");
    let layout = store.layout(&target).unwrap();
    layout.init().unwrap();
    fs::write(
        layout.dir().join("index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    assert!(store.read_manifest(&target, &amd64()).is_err());
    fs::write(layout.dir().join("index.json"), "not json").unwrap();
    let err = store.read_manifest(&target, &amd64()).unwrap_err();
    assert_eq!(err.to_string(), "reading manifest of reg.io/broken:1");
}

#[test]
fn a_docker_manifest_list_in_a_layout_resolves_in_any_order_or_names_what_it_offers() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(root.path());
    let target = reference("reg.io/list:all");
    let manifest = write_image(&store, std::slice::from_ref(&target), b"amd layer");
    let bytes = manifest.to_json();
    let entry = |platform: Value, digest: Digest| {
        serde_json::json!({"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": digest, "size": bytes.len(), "platform": platform})
    };
    let amd = entry(
        serde_json::json!({"os": "linux", "architecture": "amd64"}),
        Digest::of(&bytes),
    );
    let arm = entry(
        serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"}),
        Digest::of(b"elsewhere"),
    );
    let layout = store.layout(&target).unwrap();
    for (manifests, offered) in [
        ([&arm, &amd], "linux/arm64/v8, linux/amd64"),
        ([&amd, &arm], "linux/amd64, linux/arm64/v8"),
    ] {
        let list = serde_json::json!({"schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests": manifests});
        let list = serde_json::to_vec(&list).unwrap();
        let digest = layout.put_blob(&list).unwrap();
        let descriptor = Descriptor::new(MediaType::DockerManifestList, digest, list.len() as u64);
        layout.write_index(&descriptor, "all").unwrap();
        let image = store.read_image(&target, &amd64()).unwrap().unwrap();
        assert_eq!(image.manifest.manifest, manifest);
        assert_eq!(image.manifest.index, Some(digest));
        let err = store
            .read_image(&target, &Platform::new("linux", "s390x"))
            .unwrap_err();
        assert!(
            err.to_string().ends_with(&format!("(it offers {offered})")),
            "{err}"
        );
    }
}

#[test]
fn base_images_are_named_by_manifest_digest_alone() {
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::base_images(root.path());
    let layer_bytes = b"layer".as_slice();
    let config = ImageConfig {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..ImageConfig::default()
    };
    let config_bytes = config.to_json();
    let config_desc = Descriptor::new(
        MediaType::OciConfig,
        Digest::of(&config_bytes),
        config_bytes.len() as u64,
    );
    let layer_desc = Descriptor::new(
        MediaType::OciLayerGzip,
        Digest::of(layer_bytes),
        layer_bytes.len() as u64,
    );
    let manifest = Manifest::new(MediaType::OciManifest, config_desc, vec![layer_desc]);
    let bytes = manifest.to_json();
    let digest = Digest::of(&bytes);
    let target = reference("127.0.0.1:5000/build").with_digest(digest);
    store
        .write_blob(&target, MediaType::OciConfig, &config_bytes)
        .unwrap();
    store
        .write_blob(&target, MediaType::OciLayerGzip, layer_bytes)
        .unwrap();
    let written = store
        .write_manifest(
            std::slice::from_ref(&target),
            &MediaType::OciManifest,
            &bytes,
        )
        .unwrap();
    assert_eq!(*written.digest(), digest);
    let dir = root.path().join("cache/base").join(digest.hex());
    assert_eq!(base_image_dir(root.path(), &digest), dir);
    assert!(dir.join("oci-layout").is_file());
    assert_eq!(index_json(&dir)["manifests"].as_array().unwrap().len(), 1);
    let elsewhere = reference("other.registry/x").with_digest(digest);
    let image = store.read_image(&elsewhere, &amd64()).unwrap().unwrap();
    assert_eq!(image.digest(), digest);
    let err = store
        .layout(&reference("127.0.0.1:5000/build:latest"))
        .unwrap_err();
    assert!(err.to_string().contains("not a digest reference"), "{err}");
}

#[test]
fn a_store_at_one_layout_finds_its_image_by_any_name() {
    let root = tempfile::tempdir().unwrap();
    let named = LayoutStore::new(root.path());
    let written = reference("127.0.0.1:5000/extended:run");
    let manifest = write_image(&named, std::slice::from_ref(&written), b"layer");
    let dir = named.layout(&written).unwrap().dir().to_path_buf();
    let at = LayoutStore::at(&dir);
    let image = at
        .read_image(&reference("anything/else"), &amd64())
        .unwrap()
        .unwrap();
    assert_eq!(image.manifest.manifest, manifest);
    assert!(
        at.has_blob(&reference("x"), &manifest.layers[0].digest)
            .unwrap()
    );
}

#[test]
fn an_oci_path_picks_an_image_by_tag_or_digest_in_a_layout_of_several() {
    let root = tempfile::tempdir().unwrap();
    let named = LayoutStore::new(root.path());
    let one = write_image(&named, &[reference("x/app:one")], b"first");
    let dir = named
        .layout(&reference("x/app:one"))
        .unwrap()
        .dir()
        .to_path_buf();
    // a second image in the same directory, listed beside the first (as umoci tags)
    let other = tempfile::tempdir().unwrap();
    let two = write_image(
        &LayoutStore::at(other.path()),
        &[reference("x/app:two")],
        b"second",
    );
    for digest in two.blobs().map(|blob| blob.digest) {
        Layout::new(&dir)
            .link_blob_from(&Layout::new(other.path()), &digest)
            .unwrap();
    }
    let two_bytes = two.to_json();
    let two_digest = Layout::new(&dir).put_blob(&two_bytes).unwrap();
    let mut index = index_json(&dir);
    let mut entry = index["manifests"][0].clone();
    entry["digest"] = Value::String(two_digest.to_string());
    entry["size"] = Value::from(two_bytes.len());
    entry["annotations"][REF_NAME_ANNOTATION] = Value::String("two".to_owned());
    index["manifests"].as_array_mut().unwrap().push(entry);
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

    let read = |text: &str| {
        let (store, reference) = OciPath::parse(text).unwrap().open().unwrap();
        store.read_image(&reference, &amd64()).unwrap().unwrap()
    };
    let base = format!("oci:{}", dir.display());
    assert_eq!(read(&format!("{base}:one")).manifest.manifest, one);
    assert_eq!(read(&format!("{base}:two")).manifest.manifest, two);
    assert_eq!(read(&format!("{base}@{two_digest}")).manifest.manifest, two);

    let missing = OciPath::parse(&format!("{base}:three"))
        .unwrap()
        .open()
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("no image tagged 'three' (tags: one, two)"),
        "{missing}"
    );
    let (store, reference) = OciPath::parse(&format!("{base}:two"))
        .unwrap()
        .open()
        .unwrap();
    let absent = Digest::of(b"absent");
    let err = store
        .read_blob(&reference, &absent)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!("blob {absent} of {}@{two_digest} is missing", dir.display()),
        "errors name the directory, not a reference"
    );
    let not_a_layout = OciPath::parse(&format!("oci:{}", other.path().join("nope").display()))
        .unwrap()
        .open()
        .unwrap_err()
        .to_string();
    assert!(
        not_a_layout.contains("is not an OCI layout"),
        "{not_a_layout}"
    );
}
