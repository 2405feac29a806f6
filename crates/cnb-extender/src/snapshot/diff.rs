//! The difference between two walks of the same root.

use std::path::Path;

use super::tree::{Tree, hash_file};
use super::{SnapshotError, relative_path};

/// What an instruction changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Paths added or changed (relative to the root).
    pub changed: Vec<Vec<u8>>,
    /// Paths removed, or replaced by something of another type where a directory is involved:
    /// each gets a whiteout (the topmost of a removed subtree only).
    pub removed: Vec<Vec<u8>>,
}

impl Changes {
    /// Whether nothing changed.
    pub(crate) fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What changed under `root` from `before` to `after`. Racy files of `before` whose records
/// are unchanged are hashed again and compared.
pub(crate) fn diff(root: &Path, before: &Tree, after: &Tree) -> Result<Changes, SnapshotError> {
    let mut changes = Changes::default();
    for (path, now) in &after.records {
        let Some(then) = before.records.get(path) else {
            changes.changed.push(path.clone());
            continue;
        };
        if then.kind != now.kind {
            if then.is_dir() || now.is_dir() {
                changes.removed.push(path.clone());
            }
            changes.changed.push(path.clone());
        } else if !then.same_metadata(now) {
            changes.changed.push(path.clone());
        } else if let Some(old_hash) = then.hash {
            let new_hash = match now.hash {
                Some(hash) => hash,
                None => hash_file(&root.join(relative_path(path)))?,
            };
            if new_hash != old_hash {
                changes.changed.push(path.clone());
            }
        }
    }
    for path in before.records.keys() {
        if after.records.contains_key(path) {
            continue;
        }
        // A whiteout needs its directory: skip paths whose parent went too (the parent's own
        // whiteout hides them) or is no longer a directory.
        let parent_stays = match parent(path) {
            None => true,
            Some(parent) => matches!(
                (before.records.get(parent), after.records.get(parent)),
                (Some(then), Some(now)) if then.is_dir() && now.is_dir()
            ),
        };
        if parent_stays {
            changes.removed.push(path.clone());
        }
    }
    changes.removed.sort();
    Ok(changes)
}

/// The parent of a relative path, `None` at the top.
pub(crate) fn parent(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|&b| b == b'/').map(|at| &path[..at])
}
