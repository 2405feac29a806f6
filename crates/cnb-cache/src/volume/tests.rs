use std::fs;
use std::path::Path;

use cnb_files::labels::{BuildpackLayers, CacheMetadata};
use cnb_testkit::TarLayer;

use super::*;
use crate::{Error, restore_layer};

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

/// Every `.tar` in `committed/` is listed in `listed` and hashes to its name.
fn assert_whole(dir: &Path, listed: &[&str]) {
    let committed = dir.join("committed");
    let mut names: Vec<String> = fs::read_dir(&committed)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != METADATA_FILE)
        .collect();
    names.sort();
    let mut expected: Vec<String> = listed.iter().map(|id| format!("{id}.tar")).collect();
    expected.sort();
    assert_eq!(names, expected);
    for id in listed {
        let bytes = fs::read(committed.join(format!("{id}.tar"))).unwrap();
        assert_eq!(cnb_image::Digest::of(&bytes).to_string(), *id);
    }
}

#[test]
fn the_writer_after_a_kill_between_the_renames_puts_the_backup_back_and_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut first = VolumeCacheWriter::new(dir.path()).unwrap();
    let kept = first
        .add_layer(&layer_tar(root.path(), "kept")[..])
        .unwrap();
    first.commit(&metadata("one")).unwrap();
    // Killed mid-commit: `committed` is the backup now and the next generation is staged.
    fs::rename(
        dir.path().join("committed"),
        dir.path().join("committed-backup"),
    )
    .unwrap();
    fs::create_dir(dir.path().join("staging")).unwrap();
    fs::write(dir.path().join("staging/sha256:0.tar"), "half").unwrap();

    let mut next = VolumeCacheWriter::new(dir.path()).unwrap();
    assert!(next.reuse_layer(&kept).unwrap(), "the backup is reused");
    next.commit(&metadata("two")).unwrap();
    assert_whole(dir.path(), &[&kept]);
    assert!(!dir.path().join("committed-backup").exists());
    assert!(!dir.path().join("staging").exists());
}

#[test]
fn staging_left_by_a_killed_writer_is_ignored_then_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut first = VolumeCacheWriter::new(dir.path()).unwrap();
    let one = first.add_layer(&layer_tar(root.path(), "one")[..]).unwrap();
    first.commit(&metadata("one")).unwrap();
    let staging = dir.path().join("staging");
    fs::create_dir(&staging).unwrap();
    fs::write(staging.join(".tmp-layer.tar.1-1"), "half a layer").unwrap();
    fs::write(staging.join(METADATA_FILE), "{\"buildpacks\":[]}").unwrap();

    let cache = VolumeCache::open(dir.path()).unwrap();
    assert_eq!(cache.metadata(), &metadata("one"));
    let mut next = VolumeCacheWriter::new(dir.path()).unwrap();
    assert_eq!(fs::read_dir(&staging).unwrap().count(), 0, "a new staging");
    assert!(next.reuse_layer(&one).unwrap());
    next.commit(&metadata("two")).unwrap();
    assert_whole(dir.path(), &[&one]);
}

#[test]
fn two_writers_of_one_cache_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut first = VolumeCacheWriter::new(dir.path()).unwrap();
    let one = first.add_layer(&layer_tar(root.path(), "one")[..]).unwrap();
    let committed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let second = {
        let (path, root, committed) = (
            dir.path().to_owned(),
            root.path().to_owned(),
            std::sync::Arc::clone(&committed),
        );
        std::thread::spawn(move || {
            let mut second = VolumeCacheWriter::new(&path).unwrap();
            let first_was_done = committed.load(std::sync::atomic::Ordering::SeqCst);
            let two = second.add_layer(&layer_tar(&root, "two")[..]).unwrap();
            second.commit(&metadata("two")).unwrap();
            (first_was_done, two)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    first.commit(&metadata("one")).unwrap();
    committed.store(true, std::sync::atomic::Ordering::SeqCst);
    let (first_was_done, two) = second.join().unwrap();
    assert!(
        first_was_done,
        "the second writer started before the first committed"
    );
    assert_whole(dir.path(), &[&two]);
    assert_ne!(one, two);
    assert_eq!(
        VolumeCache::open(dir.path()).unwrap().metadata(),
        &metadata("two")
    );
}
