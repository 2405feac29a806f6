use std::fmt::Write as _;
use std::io::Read;

use sha2::{Digest, Sha256};

use super::*;

/// Text-like lines with repeats far apart (so the dictionary matters), then noise.
fn sample(size: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        if word.is_multiple_of(4) {
            out.extend_from_slice(&word.to_le_bytes());
        } else {
            out.extend_from_slice(format!("line {} of the layer\n", word % 977).as_bytes());
        }
    }
    out.truncate(size);
    out
}

/// Raw-deflates `data` in blocks of `block` bytes the way cnb-archive does.
fn blocks(level: u32, data: &[u8], block: usize) -> Vec<u8> {
    let chunks: Vec<&[u8]> = data.chunks(block).collect();
    let mut out = Vec::new();
    let mut start = 0usize;
    for (index, chunk) in chunks.iter().enumerate() {
        let dictionary = &data[start.saturating_sub(32 * 1024)..start];
        out.extend(deflate_block(level, dictionary, chunk, index + 1 == chunks.len()).unwrap());
        start += chunk.len();
    }
    out
}

fn inflate(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(raw)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn blocks_primed_with_their_dictionary_form_one_deflate_stream() {
    let data = sample(300_000);
    for level in 0..=3 {
        assert_eq!(
            inflate(&blocks(level, &data, 100_000)),
            data,
            "level {level}"
        );
    }
}

#[test]
fn the_dictionary_is_used() {
    let data = sample(200_000);
    let (first, second) = data.split_at(100_000);
    let primed = deflate_block(1, first, second, true).unwrap();
    let cold = deflate_block(1, &[], second, true).unwrap();
    assert!(
        primed.len() < cold.len(),
        "{} >= {}",
        primed.len(),
        cold.len()
    );
    assert_eq!(inflate(&cold), second);
}

#[test]
fn a_sync_flushed_block_ends_byte_aligned_with_an_empty_stored_block() {
    let block = deflate_block(1, &[], b"hello hello hello", false).unwrap();
    assert_eq!(block[block.len() - 4..], [0, 0, 0xff, 0xff]);
}

#[test]
fn empty_input_still_makes_a_valid_stream() {
    assert_eq!(inflate(&deflate_block(1, &[], &[], true).unwrap()), b"");
}

#[test]
fn a_reused_deflater_gives_each_block_the_bytes_a_fresh_one_gives() {
    let data = sample(900_000);
    let mut deflater = Deflater::new();
    // levels and sizes vary so that every block starts after a different one
    let calls = [
        (1_u32, 0_usize..200_000, false),
        (3, 200_000..250_000, false),
        (0, 250_000..600_000, false),
        (1, 600_000..601_000, true),
        (2, 601_000..900_000, true),
        (1, 100_000..400_000, false),
    ];
    for (level, range, last) in calls {
        let dictionary = &data[range.start.saturating_sub(32 * 1024)..range.start];
        let block = &data[range.clone()];
        let mut reused = b"before".to_vec();
        deflater
            .deflate_into(level, dictionary, block, last, &mut reused)
            .unwrap();
        let fresh = deflate_block(level, dictionary, block, last).unwrap();
        assert_eq!(&reused[..6], b"before", "appended, not overwritten");
        assert!(reused[6..] == fresh[..], "level {level}, {range:?}");
    }
}

#[test]
fn levels_past_three_are_refused() {
    assert!(matches!(
        deflate_block(4, &[], b"x", true),
        Err(Error::Level(4))
    ));
}

/// The bytes of this build on this architecture: a change of ISA-L's version, of its build
/// flags (SSE4.2 enabled for its C code changes its hash) or of the level buffer size shows
/// up here. x86-64 and aarch64 differ (see the crate docs).
#[test]
fn golden_digest_for_this_architecture() {
    let expected = if cfg!(target_arch = "x86_64") {
        "x86_64"
    } else {
        "aarch64"
    };
    let digest = hex(&Sha256::digest(blocks(1, &sample(3 << 20), 1 << 20)));
    assert_eq!(
        format!("{expected} {digest}"),
        format!("{expected} {}", golden())
    );
}

fn golden() -> &'static str {
    if cfg!(target_arch = "x86_64") {
        "d86962b6aefedb659bfdb18f501b062c369302c4980f8906c123ecebd1c1c8db"
    } else {
        "7cc463f408ad9cf0894183e449928959ca8dbb03fba21500e4c00cbfc7800312"
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        write!(text, "{byte:02x}").unwrap();
        text
    })
}
