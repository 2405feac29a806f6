use std::fs;
use std::path::Path;

use cnb_files::labels::{BuildpackLayers, CacheMetadata};
use cnb_layout::LayoutStore;
use cnb_testkit::TarLayer;

use super::*;
use crate::restore_layer;

/// A tar holding `<root>/layer/file` with `contents`.
fn layer_tar(root: &Path, contents: &str) -> Vec<u8> {
    TarLayer::new()
        .file(root.join("layer/file"), contents)
        .tar()
}

fn metadata(key: &str) -> CacheMetadata {
    CacheMetadata {
        buildpacks: vec![BuildpackLayers {
            key: key.to_owned(),
            ..BuildpackLayers::default()
        }],
        ..CacheMetadata::default()
    }
}

#[test]
fn a_missing_cache_image_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let cache = ImageCache::open(&store, ImageRef::parse("example.com/cache").unwrap()).unwrap();
    assert!(!cache.exists());
    assert_eq!(cache.metadata(), &CacheMetadata::default());
}

#[test]
fn written_layers_read_back_and_survive_a_second_generation() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let reference = ImageRef::parse("example.com/cache:one").unwrap();
    let mut writer = ImageCacheWriter::new(&store, reference.clone(), None);
    let diff_id = writer
        .add_layer("bp:hello", &layer_tar(root.path(), "hello")[..])
        .unwrap();
    writer.commit(&metadata("bp")).unwrap();

    let cache = ImageCache::open(&store, reference.clone()).unwrap();
    assert!(cache.exists());
    assert_eq!(cache.metadata(), &metadata("bp"));
    restore_layer(&cache, &diff_id, Path::new("/")).unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("layer/file")).unwrap(),
        "hello"
    );

    let target = ImageRef::parse("example.com/cache:one").unwrap();
    let mut second = ImageCacheWriter::new(&store, target.clone(), Some(cache));
    assert!(second.reuse_layer(&diff_id).unwrap());
    assert!(!second.reuse_layer("sha256:0000").unwrap());
    second.commit(&metadata("two")).unwrap();
    let reread = ImageCache::open(&store, target).unwrap();
    assert_eq!(reread.metadata(), &metadata("two"));
    assert!(reread.open_layer(&diff_id).is_ok());
}

#[test]
fn an_empty_cache_image_still_has_one_layer() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let reference = ImageRef::parse("example.com/cache").unwrap();
    ImageCacheWriter::new(&store, reference.clone(), None)
        .commit(&CacheMetadata::default())
        .unwrap();
    let cache = ImageCache::open(&store, reference).unwrap();
    assert_eq!(
        cache.image.as_ref().unwrap().manifest.manifest.layers.len(),
        1
    );
}

#[test]
fn an_invalid_label_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let reference = ImageRef::parse("example.com/cache").unwrap();
    let mut config = ImageConfig::default();
    config.set_label(CacheMetadata::LABEL, "{broken");
    let config = store
        .write_config(&reference, MediaType::OciConfig, &config)
        .unwrap();
    let layer = store
        .write_blob(&reference, MediaType::OciLayer, &EMPTY_TAR)
        .unwrap();
    store
        .write_image(
            std::slice::from_ref(&reference),
            &Manifest::new(MediaType::OciManifest, config, vec![layer]),
        )
        .unwrap();
    let cache = ImageCache::open(&store, reference).unwrap();
    assert!(cache.exists());
    assert_eq!(cache.metadata(), &CacheMetadata::default());
}

/// A layout store that records manifest deletions, and refuses them when asked to.
struct Deletions {
    store: LayoutStore,
    refuse: bool,
    deleted: std::sync::Mutex<Vec<String>>,
}

impl ImageStore for Deletions {
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        self.store.read_manifest_raw(reference, child)
    }
    fn open_blob(
        &self,
        reference: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn io::Read + Send>>, StoreError> {
        self.store.open_blob(reference, digest)
    }
    fn has_blob(&self, reference: &ImageRef, digest: &Digest) -> Result<bool, StoreError> {
        self.store.has_blob(reference, digest)
    }
    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        sources: &[ImageRef],
    ) -> Result<bool, StoreError> {
        self.store.reuse_blob(target, digest, sources)
    }
    fn blob_writer(
        &self,
        target: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn cnb_image::BlobWriter>, StoreError> {
        self.store.blob_writer(target, media_type)
    }
    fn write_manifest(
        &self,
        targets: &[ImageRef],
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<cnb_image::ImageIdentity, StoreError> {
        self.store.write_manifest(targets, media_type, bytes)
    }
    fn delete_manifest(&self, reference: &ImageRef, digest: &Digest) -> Result<(), StoreError> {
        self.deleted
            .lock()
            .unwrap()
            .push(format!("{}@{digest}", reference.context()));
        if self.refuse {
            return Err(StoreError::DeleteManifest {
                reference: reference.to_string(),
                source: "405 Method Not Allowed".into(),
            });
        }
        self.store.delete_manifest(reference, digest)
    }
}

#[test]
fn a_replaced_cache_image_is_deleted_only_when_asked_and_different() {
    let reference = ImageRef::parse("example.com/cache").unwrap();
    for refuse in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = Deletions {
            store: LayoutStore::new(dir.path()),
            refuse,
            deleted: std::sync::Mutex::new(Vec::new()),
        };
        let commit = |key: &str, delete: bool| {
            let previous = ImageCache::open(&store, reference.clone())
                .unwrap()
                .delete_when_replaced(delete);
            let old = previous.image.as_ref().map(Image::digest);
            let writer = ImageCacheWriter::new(&store, reference.clone(), Some(previous));
            (old, writer.commit(&metadata(key)).unwrap())
        };
        let (_, first) = commit(&format!("one-{refuse}"), true);
        let (old, second) = commit(&format!("two-{refuse}"), true);
        assert_eq!(old, Some(first));
        // Same contents again: the same digest, nothing to delete.
        let (_, again) = commit(&format!("two-{refuse}"), true);
        assert_eq!(again, second);
        // Not asked to (Platform API 0.13 and later).
        commit(&format!("three-{refuse}"), false);
        assert_eq!(
            *store.deleted.lock().unwrap(),
            [format!("example.com/cache@{first}")],
            "refuse = {refuse}"
        );
    }
}

#[test]
fn an_unreadable_cache_image_is_an_error_and_a_missing_one_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::new(dir.path());
    let reference = ImageRef::parse("example.com/cache").unwrap();
    let missing = ImageCache::open(&store, reference.clone()).unwrap();
    assert!(!missing.exists());
    let path = cnb_layout::layout_path(dir.path(), &reference).unwrap();
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(path.join("index.json"), "{not json").unwrap();
    let error = ImageCache::open(&store, reference).err().unwrap();
    assert!(error.to_string().contains("example.com/cache"), "{error}");
}
