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
        .add_layer(&layer_tar(root.path(), "hello")[..])
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
