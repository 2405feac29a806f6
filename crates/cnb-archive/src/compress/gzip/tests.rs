#![allow(
    clippy::cast_possible_truncation,
    reason = "test data picks words with modulo arithmetic"
)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::*;

/// Like a layer of mixed files: "files" of 512 B to 2 MiB, two in three text-like (lines of
/// words picked at random: compressible), the rest xorshift* noise (not).
fn sample(size: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let words = [
        "fn",
        "let",
        "mut",
        "return",
        "import",
        "class",
        "def",
        "true",
        "null",
        "version",
        "layer",
        "buildpack",
        "launch",
        "cache",
        "metadata",
        "{",
        "}",
        "(",
        ")",
        "=",
        ":",
        ";",
        "\"name\"",
        "0.1.0",
        "42",
        "INFO",
        "2024-01-01T00:00:00Z",
        "/usr/lib",
        "node_modules",
    ];
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        let file = 512 + (next() % (2 << 20)) as usize;
        let text = next() % 3 != 0;
        let end = (out.len() + file).min(size);
        while out.len() < end {
            if text {
                for _ in 0..3 + next() % 12 {
                    out.extend_from_slice(words[(next() % words.len() as u64) as usize].as_bytes());
                    out.push(b' ');
                }
                out.push(b'\n');
            } else {
                for _ in 0..32 {
                    out.extend_from_slice(&next().to_le_bytes());
                }
            }
        }
        out.truncate(end);
        // a tar header's worth of fields, then zero padding
        out.extend_from_slice(b"/layers/bp/layer/file\0");
        out.resize(out.len() + 490 + (next() % 512) as usize, 0);
    }
    out.truncate(size);
    out
}

const ENGINES: [GzipEngine; 2] = [GzipEngine::ZlibRs, GzipEngine::Isal];

fn gzip(data: &[u8], level: u32, threads: usize, chunk: usize) -> Vec<u8> {
    gzip_by(GzipEngine::ZlibRs, data, level, threads, chunk)
}

fn gzip_by(engine: GzipEngine, data: &[u8], level: u32, threads: usize, chunk: usize) -> Vec<u8> {
    let mut encoder = GzipEncoder::new(Vec::new(), level, engine, threads);
    for piece in data.chunks(chunk.max(1)) {
        encoder.write_all(piece).unwrap();
    }
    encoder.finish().unwrap()
}

fn gunzip(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(blob)
        .read_to_end(&mut out)
        .unwrap();
    out
}

const SIZES: [usize; 7] = [
    0,
    1,
    1000,
    BLOCK_SIZE - 1,
    BLOCK_SIZE,
    BLOCK_SIZE + 1,
    3 * BLOCK_SIZE + 12_345,
];

#[test]
fn reading_into_the_block_gives_the_bytes_writing_gives() {
    let data = sample(5 * BLOCK_SIZE + 12_345);
    for engine in ENGINES {
        let written = gzip_by(engine, &data, 1, 2, 64 * 1024);
        let mut encoder = GzipEncoder::new(Vec::new(), 1, engine, 2);
        let mut reader = &data[..];
        // reads that end inside blocks, at their ends, and that ask for more than a block
        for max in [100, 64 * 1024, 3 * BLOCK_SIZE as u64].into_iter().cycle() {
            let added = encoder.read_into(&mut reader, max).unwrap().len();
            assert!(added as u64 <= max);
            encoder.submit_if_full().unwrap();
            if added == 0 {
                break;
            }
        }
        assert!(encoder.finish().unwrap() == written, "{engine:?}");
    }
}

#[test]
fn round_trips_at_block_boundaries() {
    for size in SIZES {
        let data = sample(size);
        for engine in ENGINES {
            for level in [1, 6] {
                assert_eq!(
                    gunzip(&gzip_by(engine, &data, level, 2, 65_536)),
                    data,
                    "size {size} level {level} {engine:?}"
                );
            }
        }
    }
}

#[test]
fn output_is_the_same_for_any_thread_count_and_write_pattern() {
    let data = sample(3 * BLOCK_SIZE + 777);
    for engine in ENGINES {
        let reference = gzip_by(engine, &data, 1, 1, data.len());
        for (threads, chunk) in [(1, 1 << 16), (2, 7919), (3, 1 << 20), (8, 512)] {
            assert_eq!(
                gzip_by(engine, &data, 1, threads, chunk),
                reference,
                "{engine:?}, {threads} threads, {chunk} B writes"
            );
        }
    }
}

#[test]
fn the_system_gzip_accepts_the_stream() {
    let data = sample(2 * BLOCK_SIZE + 99);
    for engine in ENGINES {
        system_gunzip_accepts(&gzip_by(engine, &data, 1, 2, 1 << 16), &data);
    }
}

fn system_gunzip_accepts(blob: &[u8], data: &[u8]) {
    let blob = blob.to_vec();
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&blob));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, data);
}

#[test]
fn the_header_is_go_s_and_the_trailer_holds_crc_and_size() {
    let blob = gzip(b"hello", 1, 1, 5);
    assert_eq!(blob[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
    let tail = &blob[blob.len() - 8..];
    assert_eq!(tail[..4], crc32fast::hash(b"hello").to_le_bytes());
    assert_eq!(tail[4..], 5u32.to_le_bytes());
    assert_eq!(gzip(b"x", 6, 1, 1)[8], 0);
    assert_eq!(gzip(b"x", 9, 1, 1)[8], 2);
}
