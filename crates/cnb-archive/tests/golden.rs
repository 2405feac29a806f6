//! Byte identity with the Go lifecycle's tars: the golden files in testdata/golden were
//! written by Go's own archive/tar (testdata/golden/gen), set up as the lifecycle sets it up.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "test helpers panic on broken fixtures; skipped tests say why"
)]

mod common;

use std::fs;

use cnb_archive::{
    Compression, EntryKind, EntrySink, Header, LayerWriter, Owner, TarWriter, add_dir,
};
use cnb_image::Digest;
use common::{build_tree, content, first_difference, golden, is_root, rows, unescape};

const EMPTY_DIFF_ID: &str =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
const CORRUPTED_DIFF_ID: &str =
    "sha256:258dfa0cc987efebc17559694866ebc91139e7c0e574f60d1d4092f53d7dff59";

fn assert_same_bytes(ours: &[u8], golden_file: &str) {
    let want = fs::read(golden(golden_file)).unwrap();
    if let Some(offset) = first_difference(ours, &want) {
        panic!(
            "{golden_file}: first difference at byte {offset} (block {}, offset {} in it); ours {} bytes, Go's {}",
            offset / 512,
            offset % 512,
            ours.len(),
            want.len()
        );
    }
}

fn plain_layer(
    build: impl FnOnce(&mut LayerWriter<Vec<u8>>),
) -> (Vec<u8>, cnb_archive::LayerDigests) {
    let mut writer = LayerWriter::new(Vec::new(), Compression::None).unwrap();
    build(&mut writer);
    writer.finish().unwrap()
}

#[test]
fn the_empty_layer_is_two_zero_blocks_with_the_known_diff_id() {
    let (tar, digests) = plain_layer(|_| {});
    assert_same_bytes(&tar, "empty.tar");
    assert_eq!(digests.diff_id.to_string(), EMPTY_DIFF_ID);
    assert_eq!(digests.digest, digests.diff_id);
    assert_eq!(digests.size, 1024);
}

#[test]
fn headers_match_go_for_long_non_ascii_and_large_fields() {
    let mut writer = TarWriter::new(Vec::new());
    for row in rows("headers.list") {
        let kind = match row[0].as_str() {
            "0" => EntryKind::Regular,
            "1" => EntryKind::HardLink,
            "2" => EntryKind::Symlink,
            "3" => EntryKind::CharDevice,
            "4" => EntryKind::BlockDevice,
            "5" => EntryKind::Directory,
            "6" => EntryKind::Fifo,
            other => panic!("unknown typeflag {other}"),
        };
        let mut header = Header::new(
            kind,
            unescape(&row[7]),
            u32::from_str_radix(&row[1], 8).unwrap(),
        );
        header.uid = row[2].parse().unwrap();
        header.gid = row[3].parse().unwrap();
        header.size = row[4].parse().unwrap();
        header.dev_major = row[5].parse().unwrap();
        header.dev_minor = row[6].parse().unwrap();
        if row[8] != "-" {
            header.link_name = unescape(&row[8]);
        }
        let data = content(usize::try_from(header.data_size()).unwrap());
        writer.append(&header, &mut data.as_slice()).unwrap();
    }
    assert_same_bytes(&writer.finish().unwrap(), "headers.tar");
}

#[test]
fn the_corrupted_layer_vector_from_headers() {
    let (tar, digests) = plain_layer(|writer| {
        for dir in [
            "/layers",
            "/layers/corrupted_buildpack",
            "/layers/corrupted_buildpack/corrupted-layer",
        ] {
            let header = Header::directory(dir, 0o755).owned_by(1234, 1000);
            writer.append(&header, &mut std::io::empty()).unwrap();
        }
        let data = b"digest-not-match-data\n";
        let header = Header::regular(
            "/layers/corrupted_buildpack/corrupted-layer/data",
            0o644,
            22,
        )
        .owned_by(1234, 1000);
        writer.append(&header, &mut data.as_slice()).unwrap();
    });
    assert_eq!(tar.len(), 3584);
    assert_same_bytes(&tar, "corrupted-layer.tar");
    assert_eq!(digests.diff_id.to_string(), CORRUPTED_DIFF_ID);
    assert_eq!(digests.diff_id, Digest::of(&tar));
}

fn dir_layer_matches(tree: &str, golden_tar: &str) -> Digest {
    let root = tempfile::tempdir().unwrap();
    let (layer, uid, gid) = build_tree(root.path(), tree);
    let (tar, digests) = plain_layer(|writer| {
        add_dir(writer, root.path(), &layer, Owner::new(uid, gid)).unwrap();
    });
    assert_same_bytes(&tar, golden_tar);
    digests.diff_id
}

#[test]
fn a_dir_layer_of_the_corrupted_layer_tree_gives_the_vector() {
    if !is_root() {
        eprintln!("skipped: building the tree needs root (chown)");
        return;
    }
    let diff_id = dir_layer_matches("corrupted-layer.tree", "corrupted-layer.tar");
    assert_eq!(diff_id.to_string(), CORRUPTED_DIFF_ID);
}

#[test]
fn a_dir_layer_matches_go_entry_for_entry() {
    if !is_root() {
        eprintln!("skipped: building the tree needs root (chown)");
        return;
    }
    dir_layer_matches("dir-layer.tree", "dir-layer.tar");
}
