//! A layer from [`Changes`]: the changed paths, their parent directories and whiteouts, in
//! walk order (a directory, then the whiteouts in it, then its other entries by name), with
//! the tar headers of every layer we write.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;

use cnb_archive::{Compression, EntrySink, Header, LayerDigests, LayerWriter, add_entry};

use super::diff::parent;
use super::{Changes, SnapshotError, relative_path};

/// The name prefix of a whiteout entry.
const WHITEOUT: &[u8] = b".wh.";

/// One element of a path in layer order: whiteouts (rank 0) before other names (rank 1).
type Key = Vec<(u8, Vec<u8>)>;

/// Writes the layer of `changes` under `root` to the file `blob`, compressed with
/// `compression`. Returns `None` (and writes nothing) when nothing changed.
pub(crate) fn write_layer(
    root: &Path,
    changes: &Changes,
    blob: &Path,
    compression: Compression,
) -> Result<Option<LayerDigests>, SnapshotError> {
    if changes.is_empty() {
        return Ok(None);
    }
    let mut entries: BTreeSet<Key> = BTreeSet::new();
    for path in &changes.changed {
        add_with_parents(&mut entries, path);
    }
    for path in &changes.removed {
        if let Some(dir) = parent(path) {
            add_with_parents(&mut entries, dir);
        }
        let mut key = key(parent(path).unwrap_or_default());
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        key.push((0, [WHITEOUT, name].concat()));
        entries.insert(key);
    }
    let layer_error = |source| SnapshotError::Layer {
        path: blob.to_owned(),
        source,
    };
    let file = File::create(blob).map_err(|source| SnapshotError::Create {
        path: blob.to_owned(),
        source,
    })?;
    let mut writer = LayerWriter::new(file, compression).map_err(layer_error)?;
    for entry in &entries {
        let name = name(entry);
        if entry.last().is_some_and(|(rank, _)| *rank == 0) {
            let header = Header::regular(name, 0o644, 0);
            writer
                .append(&header, &mut std::io::empty())
                .map_err(layer_error)?;
        } else {
            add_entry(&mut writer, &root.join(relative_path(&name)), &name).map_err(layer_error)?;
        }
    }
    let (_, digests) = writer.finish().map_err(layer_error)?;
    Ok(Some(digests))
}

fn key(path: &[u8]) -> Key {
    path.split(|&b| b == b'/')
        .filter(|element| !element.is_empty())
        .map(|element| (1, element.to_vec()))
        .collect()
}

/// Adds `path` and every directory above it.
fn add_with_parents(entries: &mut BTreeSet<Key>, path: &[u8]) {
    let full = key(path);
    for len in 1..=full.len() {
        entries.insert(full[..len].to_vec());
    }
}

/// The entry name of a key: `opt/ext/tool`, relative as Docker's and kaniko's layers name them.
fn name(key: &Key) -> Vec<u8> {
    key.iter()
        .map(|(_, element)| element.as_slice())
        .collect::<Vec<_>>()
        .join(&b'/')
}
