//! Two layers compared file by file, streaming: the first layer's entries are read into a map
//! (path → metadata and the SHA-256 of the contents, never the contents), then the second's
//! are streamed against it. Each tar is hashed on the way and checked against its diffID, so a
//! corrupt blob fails instead of showing differences that are not there.
//!
//! Per path, the kind (regular file, directory, symlink, …), contents (digest and size), mode,
//! owner, mtime, link target and device numbers are compared. Only the first `cap` differing
//! paths (in path order) are kept; the rest are counted.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};

use cnb_archive::{EntryKind, LayerEntry};
use cnb_image::{Descriptor, Digest, ImageRef, ImageStore, Sha256Writer};

use crate::{Error, Result, render};

/// A layer blob of one image.
pub(crate) struct LayerBlob<'a> {
    /// Where the image is.
    pub(crate) store: &'a dyn ImageStore,
    /// The image's reference in that store.
    pub(crate) reference: &'a ImageRef,
    /// The image as given, for errors.
    pub(crate) image: &'a str,
    /// The layer's blob.
    pub(crate) descriptor: &'a Descriptor,
    /// Its diffID.
    pub(crate) diff_id: Digest,
}

/// What the comparison of two layers found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FileComparison {
    /// Both tars were read.
    Compared {
        /// The first differing paths, in path order: `<path>: <what differs>`.
        lines: Vec<String>,
        /// How many more paths differ.
        more: usize,
        /// A path whose entry comes earlier in the second tar than in the first, relative to
        /// the others (the first one found).
        reordered: Option<String>,
    },
    /// The blob of this side (`first` or `second`) is not in its store (a sparse layout).
    Unavailable(&'static str),
}

/// One entry's metadata and the digest of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileMeta {
    kind: EntryKind,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
    size: u64,
    link: Vec<u8>,
    device: (u32, u32),
    content: Option<Digest>,
}

/// Compares the files of two layers, keeping at most `cap` difference lines.
pub(crate) fn compare(
    first: &LayerBlob<'_>,
    second: &LayerBlob<'_>,
    cap: usize,
) -> Result<FileComparison> {
    let mut entries: HashMap<String, (usize, FileMeta)> = HashMap::new();
    let mut position = 0;
    let read = read_layer(first, |path, meta| {
        entries.insert(path, (position, meta));
        position += 1;
    })?;
    if read.is_none() {
        return Ok(FileComparison::Unavailable("first"));
    }
    let mut found = Found::new(cap);
    let mut last_matched = None;
    let mut reordered = None;
    let read = read_layer(second, |path, meta| match entries.remove(&path) {
        Some((position, old)) => {
            if last_matched.is_some_and(|last| position < last) && reordered.is_none() {
                reordered = Some(path.clone());
            }
            last_matched = Some(position);
            if let Some(text) = differences(&old, &meta) {
                found.add(path, text);
            }
        }
        None => found.add(
            path,
            format!("only in the second image ({})", summary(&meta)),
        ),
    })?;
    if read.is_none() {
        return Ok(FileComparison::Unavailable("second"));
    }
    for (path, (_, meta)) in entries {
        found.add(
            path,
            format!("only in the first image ({})", summary(&meta)),
        );
    }
    let more = found.total - found.kept.len();
    Ok(FileComparison::Compared {
        lines: found
            .kept
            .into_iter()
            .map(|(path, text)| format!("{path}: {text}"))
            .collect(),
        more,
        reordered,
    })
}

/// The first `cap` differing paths in path order, and how many differ in all.
struct Found {
    kept: BTreeMap<String, String>,
    total: usize,
    cap: usize,
}

impl Found {
    fn new(cap: usize) -> Self {
        Self {
            kept: BTreeMap::new(),
            total: 0,
            cap,
        }
    }

    fn add(&mut self, path: String, text: String) {
        self.total += 1;
        self.kept.insert(path, text);
        if self.kept.len() > self.cap {
            self.kept.pop_last();
        }
    }
}

/// Reads the layer, calling `visit` with each entry's path and metadata; `None` when the store
/// does not have the blob.
fn read_layer(side: &LayerBlob<'_>, mut visit: impl FnMut(String, FileMeta)) -> Result<Option<()>> {
    let open_error = |source| Error::OpenLayer {
        image: side.image.to_owned(),
        diff_id: side.diff_id,
        source: Box::new(source),
    };
    let read_error = |source| Error::ReadLayer {
        image: side.image.to_owned(),
        diff_id: side.diff_id,
        source,
    };
    let Some(blob) = side
        .store
        .open_blob(side.reference, &side.descriptor.digest)
        .map_err(open_error)?
    else {
        return Ok(None);
    };
    let mut tar = Hashing::new(cnb_archive::decompress(blob).map_err(read_error)?);
    cnb_archive::for_each_tar_entry(&mut tar, |entry, data| {
        let meta = file_meta(entry, data)?;
        visit(path(&entry.header.name), meta);
        Ok(())
    })
    .map_err(read_error)?;
    // what follows the end-of-archive blocks is part of the diffID too
    io::copy(&mut tar, &mut io::sink())
        .map_err(|source| read_error(cnb_archive::Error::ReadArchive { source }))?;
    let actual = tar.digest();
    if actual != side.diff_id {
        return Err(Error::DiffIdMismatch {
            image: side.image.to_owned(),
            diff_id: side.diff_id,
            actual,
        });
    }
    Ok(Some(()))
}

fn file_meta(entry: &LayerEntry, data: &mut dyn Read) -> cnb_archive::Result<FileMeta> {
    let header = &entry.header;
    let content = if header.kind == EntryKind::Regular {
        let mut hasher = Sha256Writer::new(io::sink());
        io::copy(data, &mut hasher).map_err(|source| cnb_archive::Error::ReadArchive { source })?;
        Some(hasher.finish().1)
    } else {
        None
    };
    Ok(FileMeta {
        kind: header.kind,
        mode: header.mode,
        uid: header.uid,
        gid: header.gid,
        mtime: entry.mtime,
        size: header.size,
        link: header.link_name.clone(),
        device: (header.dev_major, header.dev_minor),
        content,
    })
}

/// An entry name as an absolute path: `./a/b`, `a/b` and `/a/b` are all `/a/b`.
fn path(name: &[u8]) -> String {
    let text = render::bytes(name);
    let mut rest = text.as_str();
    loop {
        if let Some(stripped) = rest.strip_prefix("./") {
            rest = stripped;
        } else if let Some(stripped) = rest.strip_prefix('/') {
            rest = stripped;
        } else {
            break;
        }
    }
    if rest == "." {
        rest = "";
    }
    format!("/{rest}")
}

/// What differs between two entries at one path, or `None`.
fn differences(first: &FileMeta, second: &FileMeta) -> Option<String> {
    if first.kind != second.kind {
        return Some(format!(
            "type {} vs {}",
            kind_name(first.kind),
            kind_name(second.kind)
        ));
    }
    let mut found = Vec::new();
    if first.content != second.content {
        found.push(if first.size == second.size {
            format!("content differs (same size, {})", render::size(first.size))
        } else {
            format!(
                "content differs ({} vs {})",
                render::size(first.size),
                render::size(second.size)
            )
        });
    }
    if first.link != second.link {
        let what = match first.kind {
            EntryKind::HardLink => "hard link to",
            _ => "link target",
        };
        found.push(format!(
            "{what} {:?} vs {:?}",
            render::bytes(&first.link),
            render::bytes(&second.link)
        ));
    }
    if first.mode != second.mode {
        found.push(format!("mode {:04o} vs {:04o}", first.mode, second.mode));
    }
    if (first.uid, first.gid) != (second.uid, second.gid) {
        found.push(format!(
            "owner {}:{} vs {}:{}",
            first.uid, first.gid, second.uid, second.gid
        ));
    }
    if first.mtime != second.mtime {
        found.push(format!(
            "mtime {} vs {}",
            render::time(first.mtime),
            render::time(second.mtime)
        ));
    }
    if first.device != second.device {
        found.push(format!(
            "device {}:{} vs {}:{}",
            first.device.0, first.device.1, second.device.0, second.device.1
        ));
    }
    (!found.is_empty()).then(|| found.join(", "))
}

/// `regular file, 14 B`, `directory`, `symlink to "/x"`.
fn summary(meta: &FileMeta) -> String {
    match meta.kind {
        EntryKind::Regular => format!("regular file, {}", render::size(meta.size)),
        EntryKind::Symlink => format!("symlink to {:?}", render::bytes(&meta.link)),
        EntryKind::HardLink => format!("hard link to {:?}", render::bytes(&meta.link)),
        other => kind_name(other).to_owned(),
    }
}

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Regular => "regular file",
        EntryKind::HardLink => "hard link",
        EntryKind::Symlink => "symlink",
        EntryKind::CharDevice => "character device",
        EntryKind::BlockDevice => "block device",
        EntryKind::Directory => "directory",
        EntryKind::Fifo => "named pipe",
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256Writer<io::Sink>,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256Writer::new(io::sink()),
        }
    }

    fn digest(self) -> Digest {
        self.hasher.finish().1
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.write_all(&buf[..read])?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests;
