//! The one-pass pipeline: the blob in the sink, its digest and size, the diffID of the tar
//! inside it, and the same bytes for the same tree whatever the thread count.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use cnb_archive::{Compression, GzipEngine, LayerDigests, LayerWriter, Owner, TarSize, add_dir};
use cnb_image::{Digest, MediaType};

/// A tree with `files` files of `size` bytes, half text-like and half noise.
fn tree(root: &Path, files: usize, size: usize) {
    let dir = root.join("layers/bp/layer");
    fs::create_dir_all(dir.join("sub")).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for index in 0..files {
        let data: Vec<u8> = (0..size)
            .map(|i| {
                if index % 2 == 0 {
                    b"export PATH=/layers/bp/layer/bin:$PATH\n"[i % 39]
                } else {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                }
            })
            .collect();
        let parent = if index % 3 == 0 {
            dir.join("sub")
        } else {
            dir.clone()
        };
        fs::write(parent.join(format!("file-{index:03}")), data).unwrap();
    }
    std::os::unix::fs::symlink("sub/file-000", dir.join("link")).unwrap();
}

fn layer(root: &Path, compression: Compression, threads: usize) -> (Vec<u8>, LayerDigests) {
    let mut writer = LayerWriter::with_threads(Vec::new(), compression, threads).unwrap();
    add_dir(
        &mut writer,
        root,
        Path::new("/layers/bp/layer"),
        Owner::new(1000, 1000),
    )
    .unwrap();
    writer.finish().unwrap()
}

fn decompress(tool: &str, blob: Vec<u8>) -> Vec<u8> {
    let mut child = Command::new(tool)
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&blob));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(output.status.success(), "{tool} -dc failed");
    output.stdout
}

fn check(compression: Compression, tool: &str, files: usize, size: usize) {
    let root = tempfile::tempdir().unwrap();
    tree(root.path(), files, size);
    let (plain, plain_digests) = layer(root.path(), Compression::None, 1);
    let (blob, digests) = layer(root.path(), compression, 1);
    assert_eq!(digests.diff_id, plain_digests.diff_id);
    assert_eq!(digests.digest, Digest::of(&blob));
    assert_eq!(digests.size, blob.len() as u64);
    assert_eq!(digests.media_type, compression.media_type());
    for threads in [2, 4] {
        let (again, again_digests) = layer(root.path(), compression, threads);
        assert_eq!(again_digests, digests, "{threads} threads");
        assert!(again == blob);
    }
    let tar = decompress(tool, blob);
    assert_eq!(Digest::of(&tar), digests.diff_id);
    assert!(tar == plain);
}

#[test]
fn an_uncompressed_layer_s_digest_is_its_diff_id() {
    let root = tempfile::tempdir().unwrap();
    tree(root.path(), 3, 1000);
    let (tar, digests) = layer(root.path(), Compression::None, 1);
    assert_eq!(digests.digest, digests.diff_id);
    assert_eq!(digests.diff_id, Digest::of(&tar));
    assert_eq!(digests.media_type, MediaType::OciLayer);
    let descriptor = digests.descriptor();
    assert_eq!(
        (descriptor.digest, descriptor.size),
        (digests.digest, tar.len() as u64)
    );
}

#[test]
fn a_layer_s_size_is_known_before_its_bytes() {
    let root = tempfile::tempdir().unwrap();
    tree(root.path(), 7, 1500);
    let mut size = TarSize::new();
    add_dir(
        &mut size,
        root.path(),
        Path::new("/layers/bp/layer"),
        Owner::new(1000, 1000),
    )
    .unwrap();
    let (tar, _) = layer(root.path(), Compression::None, 1);
    assert_eq!(size.total(), tar.len() as u64);
}

#[test]
fn gzip_layers_are_deterministic_and_valid() {
    // 5 MiB of contents: several 1 MiB gzip blocks
    check(Compression::gzip(), "gzip", 40, 128 * 1024);
    check(
        Compression::Gzip {
            level: 6,
            engine: GzipEngine::ZlibRs,
        },
        "gzip",
        5,
        300 * 1024,
    );
    check(
        Compression::gzip_by(GzipEngine::Isal),
        "gzip",
        40,
        128 * 1024,
    );
}

#[test]
fn zstd_layers_are_deterministic_and_valid() {
    // 24 MiB of contents: several zstd jobs at level 3
    check(Compression::zstd(), "zstd", 48, 512 * 1024);
    check(Compression::Zstd { level: 1 }, "zstd", 3, 1000);
}

#[test]
fn the_sink_receives_the_blob() {
    let root = tempfile::tempdir().unwrap();
    tree(root.path(), 4, 5000);
    let path = root.path().join("blob");
    let file = fs::File::create(&path).unwrap();
    let mut writer = LayerWriter::new(file, Compression::gzip()).unwrap();
    add_dir(
        &mut writer,
        root.path(),
        Path::new("/layers/bp/layer"),
        Owner::new(0, 0),
    )
    .unwrap();
    let (_, digests) = writer.finish().unwrap();
    let mut blob = Vec::new();
    fs::File::open(&path)
        .unwrap()
        .read_to_end(&mut blob)
        .unwrap();
    assert_eq!(Digest::of(&blob), digests.digest);
}

#[test]
fn contents_of_the_wrong_size_are_refused_when_read_straight_into_the_gzip_block() {
    use cnb_archive::{EntrySink, Error, Header};

    for (size, data) in [(4, &b"abc"[..]), (2, &b"abc"[..])] {
        let mut writer = LayerWriter::with_threads(Vec::new(), Compression::gzip(), 2).unwrap();
        let refused = writer.append(&Header::regular("/f", 0o644, size), &mut &data[..]);
        assert!(
            matches!(refused, Err(Error::SizeMismatch { expected, .. }) if expected == size),
            "{refused:?}"
        );
    }
}
