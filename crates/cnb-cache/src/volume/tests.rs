use std::fs;
use std::path::Path;

use cnb_files::labels::{BuildpackLayers, CacheMetadata};

use super::*;
use crate::{Error, restore_layer};

/// A tar holding `<root>/layer/file` with `contents`.
fn layer_tar(root: &Path, contents: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    let name = root.join("layer/file");
    let name = name.strip_prefix("/").unwrap();
    builder
        .append_data(&mut header, name, contents.as_bytes())
        .unwrap();
    builder.into_inner().unwrap()
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
fn an_empty_cache_reads_as_empty_and_a_missing_or_non_dir_cache_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = VolumeCache::open(dir.path()).unwrap();
    assert!(!cache.exists());
    assert_eq!(cache.metadata(), &CacheMetadata::default());
    let missing = VolumeCache::open(&dir.path().join("nothing"))
        .err()
        .unwrap();
    assert!(missing.to_string().contains("nothing"), "{missing}");
    fs::write(dir.path().join("file"), "").unwrap();
    let file = VolumeCache::open(&dir.path().join("file")).err().unwrap();
    assert!(file.to_string().contains("is not a directory"), "{file}");
}

#[test]
fn committed_layers_and_metadata_read_back_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut writer = VolumeCacheWriter::new(dir.path()).unwrap();
    let diff_id = writer
        .add_layer(&layer_tar(root.path(), "hello")[..])
        .unwrap();
    writer.commit(&metadata("bp")).unwrap();

    assert!(
        dir.path()
            .join("committed")
            .join(format!("{diff_id}.tar"))
            .is_file()
    );
    assert!(!dir.path().join("staging").exists());
    let cache = VolumeCache::open(dir.path()).unwrap();
    assert!(cache.exists());
    assert_eq!(cache.metadata(), &metadata("bp"));
    restore_layer(&cache, &diff_id, Path::new("/")).unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("layer/file")).unwrap(),
        "hello"
    );
}

#[test]
fn a_new_generation_reuses_by_hard_link_and_drops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut first = VolumeCacheWriter::new(dir.path()).unwrap();
    let kept = first
        .add_layer(&layer_tar(root.path(), "kept")[..])
        .unwrap();
    let dropped = first
        .add_layer(&layer_tar(root.path(), "dropped")[..])
        .unwrap();
    first.commit(&metadata("one")).unwrap();

    let mut second = VolumeCacheWriter::new(dir.path()).unwrap();
    assert!(second.reuse_layer(&kept).unwrap());
    assert!(!second.reuse_layer("sha256:0000").unwrap());
    second.commit(&metadata("two")).unwrap();

    let committed = dir.path().join("committed");
    assert!(committed.join(format!("{kept}.tar")).is_file());
    assert!(!committed.join(format!("{dropped}.tar")).exists());
    assert!(!dir.path().join("committed-backup").exists());
    assert_eq!(
        VolumeCache::open(dir.path()).unwrap().metadata(),
        &metadata("two")
    );
}

#[test]
fn an_uncommitted_generation_leaves_the_previous_cache_readable() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut first = VolumeCacheWriter::new(dir.path()).unwrap();
    first.add_layer(&layer_tar(root.path(), "one")[..]).unwrap();
    first.commit(&metadata("one")).unwrap();

    let mut abandoned = VolumeCacheWriter::new(dir.path()).unwrap();
    abandoned
        .add_layer(&layer_tar(root.path(), "two")[..])
        .unwrap();
    drop(abandoned);
    assert_eq!(
        VolumeCache::open(dir.path()).unwrap().metadata(),
        &metadata("one")
    );

    // A crash between the two renames of a commit: only the backup is left.
    fs::rename(
        dir.path().join("committed"),
        dir.path().join("committed-backup"),
    )
    .unwrap();
    assert_eq!(
        VolumeCache::open(dir.path()).unwrap().metadata(),
        &metadata("one")
    );
}

#[test]
fn a_truncated_or_altered_entry_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut writer = VolumeCacheWriter::new(dir.path()).unwrap();
    let diff_id = writer
        .add_layer(&layer_tar(root.path(), "hello")[..])
        .unwrap();
    writer.commit(&metadata("bp")).unwrap();
    let path = dir.path().join("committed").join(format!("{diff_id}.tar"));
    let cache = VolumeCache::open(dir.path()).unwrap();

    let mut bytes = fs::read(&path).unwrap();
    bytes.truncate(700);
    fs::write(&path, &bytes).unwrap();
    let error = restore_layer(&cache, &diff_id, Path::new("/")).unwrap_err();
    assert!(matches!(error, Error::Extract { .. }), "{error:?}");

    fs::write(&path, layer_tar(root.path(), "other")).unwrap();
    let error = restore_layer(&cache, &diff_id, Path::new("/")).unwrap_err();
    assert!(matches!(error, Error::DiffIdMismatch { .. }), "{error:?}");

    let error = restore_layer(&cache, "sha256:missing", Path::new("/")).unwrap_err();
    assert!(matches!(error, Error::MissingLayer { .. }), "{error:?}");
}

#[test]
fn unreadable_metadata_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("committed")).unwrap();
    fs::write(
        dir.path().join("committed").join(METADATA_FILE),
        "{not json",
    )
    .unwrap();
    let cache = VolumeCache::open(dir.path()).unwrap();
    assert!(cache.exists());
    assert_eq!(cache.metadata(), &CacheMetadata::default());
}
