//! Header blocks, byte for byte as Go's `tar.Writer.WriteHeader` produces them for a
//! normalised header (lifecycle-tests.md §4.4).

use super::path::{pax_header_name, split_ustar};
use super::{Header, NORMALIZED_MTIME, to_ascii};

/// The tar block size.
pub(crate) const BLOCK: usize = 512;
/// Length of the name and link name fields.
pub(crate) const NAME_LEN: usize = 100;
/// Length of the USTAR prefix field.
pub(crate) const PREFIX_LEN: usize = 155;
/// Go refuses PAX extended headers larger than this.
const MAX_PAX_RECORDS: usize = 1 << 20;

// Field offsets and lengths.
const NAME: (usize, usize) = (0, 100);
const MODE: (usize, usize) = (100, 8);
const UID: (usize, usize) = (108, 8);
const GID: (usize, usize) = (116, 8);
const SIZE: (usize, usize) = (124, 12);
const MTIME: (usize, usize) = (136, 12);
const CHECKSUM: (usize, usize) = (148, 8);
const TYPEFLAG: usize = 156;
const LINK_NAME: (usize, usize) = (157, 100);
const MAGIC: (usize, usize) = (257, 8);
const DEV_MAJOR: (usize, usize) = (329, 8);
const DEV_MINOR: (usize, usize) = (337, 8);
const PREFIX: (usize, usize) = (345, 155);

/// Why a header cannot be written.
pub(crate) type Refusal = &'static str;

/// The header blocks for `header`: one USTAR block, or a PAX extended header (block and
/// padded records) followed by the USTAR-shaped main block.
pub(crate) fn encode(header: &Header) -> Result<Vec<u8>, Refusal> {
    if header.name.contains(&0) || header.link_name.contains(&0) {
        return Err("names may not contain NUL bytes");
    }
    if header.kind == super::EntryKind::Regular && header.name.ends_with(b"/") {
        return Err("a regular file's name may not end with a slash");
    }
    let fits = |field: (usize, usize), value: u32| fits_octal(field.1, u64::from(value));
    if !fits(MODE, header.mode) || !fits(DEV_MAJOR, header.dev_major) {
        return Err("mode or device number too large for a tar header");
    }
    if !fits(DEV_MINOR, header.dev_minor) {
        return Err("device number too large for a tar header");
    }
    let (records, fits_ustar) = header.pax_records();
    if fits_ustar {
        let mut block = [0u8; BLOCK];
        let (prefix, name) = split_ustar(&header.name).unwrap_or((b"", &header.name));
        fill(&mut block, header, name, &header.link_name);
        put_string(&mut block, PREFIX, prefix);
        seal(&mut block);
        return Ok(block.to_vec());
    }
    let mut data = Vec::new();
    for (key, value) in &records {
        data.extend_from_slice(&pax_record(key, value));
    }
    if data.len() > MAX_PAX_RECORDS {
        return Err("PAX records too large");
    }
    let mut out = Vec::with_capacity(3 * BLOCK + data.len());
    out.extend_from_slice(&pax_block(&header.name, data.len()));
    out.extend_from_slice(&data);
    out.resize(out.len() + padding(data.len() as u64), 0);
    let mut block = [0u8; BLOCK];
    fill(
        &mut block,
        header,
        &to_ascii(&header.name),
        &to_ascii(&header.link_name),
    );
    seal(&mut block);
    out.extend_from_slice(&block);
    Ok(out)
}

/// Zero bytes that pad `size` content bytes to a whole block.
pub(crate) fn padding(size: u64) -> usize {
    let block = BLOCK as u64;
    usize::try_from((block - size % block) % block).unwrap_or(0)
}

/// Go's `fitsInOctal`: `value` in `len - 1` octal digits plus a NUL.
pub(crate) fn fits_octal(len: usize, value: u64) -> bool {
    len >= 22 || value < 1u64 << ((len - 1) * 3)
}

/// The V7 and USTAR fields shared by plain and PAX main headers.
fn fill(block: &mut [u8; BLOCK], header: &Header, name: &[u8], link_name: &[u8]) {
    put_string(block, NAME, name);
    put_string(block, LINK_NAME, link_name);
    put_octal(block, MODE, u64::from(header.mode));
    put_octal(block, UID, u64::from(header.uid));
    put_octal(block, GID, u64::from(header.gid));
    put_octal(block, SIZE, header.size);
    put_octal(block, MTIME, NORMALIZED_MTIME);
    block[TYPEFLAG] = header.kind.typeflag();
    put_octal(block, DEV_MAJOR, u64::from(header.dev_major));
    put_octal(block, DEV_MINOR, u64::from(header.dev_minor));
}

/// The block announcing PAX records of `size` bytes for the entry `name` (Go `writeRawFile`).
fn pax_block(name: &[u8], size: usize) -> [u8; BLOCK] {
    let mut name = to_ascii(&pax_header_name(name));
    name.truncate(NAME_LEN);
    while name.last() == Some(&b'/') {
        name.pop();
    }
    let mut block = [0u8; BLOCK];
    put_string(&mut block, NAME, &name);
    for field in [MODE, UID, GID, MTIME] {
        put_octal(&mut block, field, 0);
    }
    put_octal(&mut block, SIZE, size as u64);
    block[TYPEFLAG] = b'x';
    seal(&mut block);
    block
}

/// One `"<len> <key>=<value>\n"` record, where `<len>` counts the whole record.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3;
    let mut size = body + body.to_string().len();
    if body + size.to_string().len() != size {
        size = body + size.to_string().len();
    }
    let mut record = format!("{size} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

/// Copies `value` into the field, NUL-terminated when it is shorter. A value cut short whose
/// kept part ends in slashes loses them, as Go does for readers that would take a
/// truncated file name for a directory.
fn put_string(block: &mut [u8; BLOCK], (offset, len): (usize, usize), value: &[u8]) {
    let field = &mut block[offset..offset + len];
    let kept = value.len().min(len);
    field[..kept].copy_from_slice(&value[..kept]);
    if value.len() > len && field[len - 1] == b'/' {
        let end = field.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        field[end] = 0;
    }
}

/// Zero-padded octal and a NUL; zero when the value does not fit (PAX carries it then).
fn put_octal(block: &mut [u8; BLOCK], field: (usize, usize), value: u64) {
    let value = if fits_octal(field.1, value) { value } else { 0 };
    let digits = format!("{value:0width$o}", width = field.1 - 1);
    put_string(block, field, digits.as_bytes());
}

/// Writes the USTAR magic and version and the checksum (six octal digits, NUL, space).
fn seal(block: &mut [u8; BLOCK]) {
    block[MAGIC.0..MAGIC.0 + MAGIC.1].copy_from_slice(b"ustar\x0000");
    block[CHECKSUM.0..CHECKSUM.0 + CHECKSUM.1].fill(b' ');
    let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
    let digits = format!("{sum:06o}\0 ");
    block[CHECKSUM.0..CHECKSUM.0 + CHECKSUM.1].copy_from_slice(digits.as_bytes());
}

#[cfg(test)]
mod tests;
