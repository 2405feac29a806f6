use super::*;
use crate::header::EntryKind;

fn field(block: &[u8], (offset, len): (usize, usize)) -> &[u8] {
    &block[offset..offset + len]
}

#[test]
fn a_plain_entry_is_one_ustar_block_with_go_field_formats() {
    let header = Header::directory("/layers", 0o755).owned_by(1234, 1000);
    let block = encode(&header).unwrap();
    assert_eq!(block.len(), BLOCK);
    assert_eq!(&block[..8], b"/layers\0");
    assert_eq!(field(&block, MODE), b"0000755\0");
    assert_eq!(field(&block, UID), b"0002322\0");
    assert_eq!(field(&block, GID), b"0001750\0");
    assert_eq!(field(&block, SIZE), b"00000000000\0");
    assert_eq!(field(&block, MTIME), b"02263523001\0");
    assert_eq!(block[TYPEFLAG], b'5');
    assert_eq!(field(&block, MAGIC), b"ustar\x0000");
    assert_eq!(field(&block, DEV_MAJOR), b"0000000\0");
    assert_eq!(field(&block, DEV_MINOR), b"0000000\0");
    // uname and gname stay NUL
    assert!(block[265..329].iter().all(|&b| b == 0));
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    assert_eq!(field(&block, CHECKSUM), format!("{sum:06o}\0 ").as_bytes());
}

#[test]
fn a_long_splittable_name_uses_the_prefix_field() {
    let name = format!("/{}/{}", "d".repeat(60), "f".repeat(60));
    let block = encode(&Header::regular(name, 0o644, 0)).unwrap();
    assert_eq!(block.len(), BLOCK);
    assert_eq!(&block[..61], format!("{}\0", "f".repeat(60)).as_bytes());
    assert_eq!(
        &block[PREFIX.0..PREFIX.0 + 62],
        format!("/{}\0", "d".repeat(60)).as_bytes()
    );
}

#[test]
fn a_large_uid_goes_to_a_pax_record_and_zero_in_the_header() {
    let header = Header::regular("/f", 0o644, 0).owned_by(2_097_152, 1);
    let blocks = encode(&header).unwrap();
    assert_eq!(blocks.len(), 3 * BLOCK);
    assert_eq!(&blocks[..17], b"/PaxHeaders.0/f\0\0");
    assert_eq!(blocks[TYPEFLAG], b'x');
    assert_eq!(field(&blocks, SIZE), b"00000000017\0");
    assert_eq!(&blocks[BLOCK..BLOCK + 16], b"15 uid=2097152\n\0");
    let main = &blocks[2 * BLOCK..];
    assert_eq!(field(main, UID), b"0000000\0");
    assert_eq!(field(main, GID), b"0000001\0");
}

#[test]
fn pax_record_lengths_count_their_own_digits() {
    for value_len in 1..2000 {
        let record = pax_record("path", &vec![b'v'; value_len]);
        let text = String::from_utf8(record.clone()).unwrap();
        let (len, _) = text.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), record.len(), "{value_len}");
    }
}

#[test]
fn octal_limits_match_go() {
    assert!(fits_octal(8, 0o7_777_777));
    assert!(!fits_octal(8, 0o10_000_000));
    assert!(fits_octal(12, (8 << 30) - 1));
    assert!(!fits_octal(12, 8 << 30));
}

#[test]
fn refuses_modes_beyond_octal() {
    let mut header = Header::new(EntryKind::Fifo, "/p", 0);
    header.mode = 0o10_000_000;
    assert!(encode(&header).is_err());
}

#[test]
fn a_size_of_8_gib_or_more_goes_to_a_pax_record_like_go() {
    // testdata/golden/huge-size.header: Go's header blocks for a 9 GiB file (no data)
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/golden/huge-size.header");
    let want = std::fs::read(golden).unwrap();
    let blocks = encode(&Header::regular("/huge", 0o644, 9 << 30)).unwrap();
    assert_eq!(blocks, want);
    assert_eq!(&blocks[BLOCK..BLOCK + 20], b"19 size=9663676416\n\0");
}
