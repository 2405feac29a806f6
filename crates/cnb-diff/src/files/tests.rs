use cnb_archive::{EntrySink, Header, TarWriter};
use cnb_image::MediaType;
use cnb_layout::LayoutStore;
use cnb_testkit::{EntryMeta, TarLayer};
use pretty_assertions::assert_eq;

use super::*;

/// A Go-style tar of `entries` (mtimes normalised).
fn tar(entries: &[(Header, &[u8])]) -> Vec<u8> {
    let mut writer = TarWriter::new(Vec::new());
    for (header, data) in entries {
        writer.append(header, &mut &data[..]).unwrap();
    }
    writer.finish().unwrap()
}

fn file(name: &str, data: &'static [u8]) -> (Header, &'static [u8]) {
    (Header::regular(name, 0o644, data.len() as u64), data)
}

/// A store at one layout directory holding layer blobs.
struct Blobs {
    _dir: tempfile::TempDir,
    store: LayoutStore,
    reference: ImageRef,
}

impl Blobs {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            store: LayoutStore::at(dir.path()),
            _dir: dir,
            reference: ImageRef::parse("layers").unwrap(),
        }
    }

    /// Stores `blob` (whose tar is `tar`) and describes it.
    fn put(&self, blob: &[u8], tar: &[u8]) -> (Descriptor, Digest) {
        let descriptor = self
            .store
            .write_blob(&self.reference, MediaType::OciLayer, blob)
            .unwrap();
        (descriptor, Digest::of(tar))
    }

    fn compare(&self, first: &[u8], second: &[u8], cap: usize) -> Result<FileComparison> {
        let (a, a_id) = self.put(first, first);
        let (b, b_id) = self.put(second, second);
        compare(
            &self.side(&a, a_id, "one"),
            &self.side(&b, b_id, "two"),
            cap,
        )
    }

    fn side<'a>(
        &'a self,
        descriptor: &'a Descriptor,
        diff_id: Digest,
        image: &'a str,
    ) -> LayerBlob<'a> {
        LayerBlob {
            store: &self.store,
            reference: &self.reference,
            image,
            descriptor,
            diff_id,
        }
    }
}

fn lines(found: FileComparison) -> Vec<String> {
    match found {
        FileComparison::Compared { lines, more, .. } => {
            let mut lines = lines;
            if more > 0 {
                lines.push(format!("+{more}"));
            }
            lines
        }
        FileComparison::Unavailable(side) => vec![format!("unavailable: {side}")],
    }
}

#[test]
fn every_kind_of_difference_is_named_per_path() {
    let first = tar(&[
        (Header::directory("layers/bp/deps", 0o755), b""),
        file("layers/bp/deps/x.txt", b"hello world!"),
        file("layers/bp/deps/same", b"same"),
        (Header::regular("layers/bp/deps/mode", 0o644, 1), b"m"),
        (
            Header::regular("layers/bp/deps/owned", 0o644, 1).owned_by(1000, 1000),
            b"o",
        ),
        (Header::symlink("layers/bp/deps/link", "/a", 0o777), b""),
        file("layers/bp/deps/gone", b"bye"),
        file("layers/bp/deps/kind", b"file"),
    ]);
    let second = tar(&[
        (Header::directory("layers/bp/deps", 0o755), b""),
        file("layers/bp/deps/x.txt", b"hello, world!!"),
        file("layers/bp/deps/same", b"same"),
        (Header::regular("layers/bp/deps/mode", 0o755, 1), b"m"),
        (
            Header::regular("layers/bp/deps/owned", 0o644, 1).owned_by(0, 0),
            b"o",
        ),
        (Header::symlink("layers/bp/deps/link", "/b", 0o777), b""),
        (Header::directory("layers/bp/deps/kind", 0o755), b""),
        file("layers/bp/deps/new", b"new file"),
    ]);
    let found = Blobs::new().compare(&first, &second, 20).unwrap();
    assert_eq!(
        lines(found),
        [
            "/layers/bp/deps/gone: only in the first image (regular file, 3 B)",
            "/layers/bp/deps/kind: type regular file vs directory",
            "/layers/bp/deps/link: link target \"/a\" vs \"/b\"",
            "/layers/bp/deps/mode: mode 0644 vs 0755",
            "/layers/bp/deps/new: only in the second image (regular file, 8 B)",
            "/layers/bp/deps/owned: owner 1000:1000 vs 0:0",
            "/layers/bp/deps/x.txt: content differs (12 B vs 14 B)",
        ]
    );
}

#[test]
fn mtimes_and_same_size_contents_are_told_apart() {
    let layer = |mtime, contents: &str| {
        TarLayer::new()
            .file_with(
                "app/a",
                contents,
                EntryMeta {
                    mtime,
                    ..EntryMeta::default()
                },
            )
            .tar()
    };
    let found = Blobs::new()
        .compare(&layer(0, "abc"), &layer(1_700_000_000, "abd"), 20)
        .unwrap();
    assert_eq!(
        lines(found),
        [
            "/app/a: content differs (same size, 3 B), mtime 1970-01-01T00:00:00Z vs 2023-11-14T22:13:20Z"
        ]
    );
}

#[test]
fn only_the_first_paths_are_kept_and_the_rest_counted() {
    let many = |contents: &'static [u8]| {
        let names: Vec<String> = (0..30).map(|n| format!("f/{n:02}")).collect();
        let entries: Vec<(Header, &[u8])> = names
            .iter()
            .map(|name| (Header::regular(name.as_str(), 0o644, 1), contents))
            .collect();
        tar(&entries)
    };
    let found = Blobs::new().compare(&many(b"a"), &many(b"b"), 3).unwrap();
    assert_eq!(
        lines(found),
        [
            "/f/00: content differs (same size, 1 B)",
            "/f/01: content differs (same size, 1 B)",
            "/f/02: content differs (same size, 1 B)",
            "+27",
        ]
    );
}

#[test]
fn the_same_files_in_another_order_are_found_as_such() {
    let first = tar(&[file("a", b"1"), file("b", b"2")]);
    let second = tar(&[file("b", b"2"), file("a", b"1")]);
    let found = Blobs::new().compare(&first, &second, 5).unwrap();
    assert_eq!(
        found,
        FileComparison::Compared {
            lines: Vec::new(),
            more: 0,
            reordered: Some("/a".to_owned())
        }
    );
}

#[test]
fn gzip_and_zstd_blobs_are_read_and_checked_against_their_diff_ids() {
    let first = tar(&[file("a", b"one")]);
    let second = tar(&[file("a", b"two")]);
    let gzip = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&first).unwrap();
        encoder.finish().unwrap()
    };
    let zstd = zstd::encode_all(second.as_slice(), 3).unwrap();
    let blobs = Blobs::new();
    let (a, a_id) = blobs.put(&gzip, &first);
    let (b, b_id) = blobs.put(&zstd, &second);
    let found = compare(
        &blobs.side(&a, a_id, "one"),
        &blobs.side(&b, b_id, "two"),
        5,
    )
    .unwrap();
    assert_eq!(lines(found), ["/a: content differs (same size, 3 B)"]);

    let wrong = Digest::of(b"not this tar");
    let err = compare(
        &blobs.side(&a, a_id, "one"),
        &blobs.side(&b, wrong, "two"),
        5,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("layer {wrong} of two does not match its diffID (its tar is {b_id})")
    );
}

#[test]
fn a_blob_the_store_does_not_have_is_not_compared() {
    let blobs = Blobs::new();
    let tar = tar(&[file("a", b"x")]);
    let (present, id) = blobs.put(&tar, &tar);
    let absent = Descriptor::new(MediaType::OciLayer, Digest::of(b"absent"), 6);
    let found = compare(
        &blobs.side(&present, id, "one"),
        &blobs.side(&absent, Digest::of(b"absent"), "two"),
        5,
    )
    .unwrap();
    assert_eq!(found, FileComparison::Unavailable("second"));
}

#[test]
fn entry_names_become_absolute_paths() {
    assert_eq!(path(b"./a/b"), "/a/b");
    assert_eq!(path(b"a/b"), "/a/b");
    assert_eq!(path(b"/a"), "/a");
    assert_eq!(path(b"./"), "/");
    assert_eq!(path(b"."), "/");
}
