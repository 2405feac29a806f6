//! The app directory as layers, as the Go lifecycle's `SliceLayers` cuts it (launch.toml
//! `[[slices]]`, lifecycle-tests.md §2.6, §4.3): with n slices, n + 1 layers. Layer k holds
//! what the patterns of slice k match, not taken by an earlier slice (a matched directory
//! brings its whole subtree); the last layer holds the rest. Patterns are Go `filepath.Match`
//! globs against paths relative to the app dir, so `**` is one element, symlinks are never
//! followed and nothing outside the app dir can match.
//!
//! Each layer lists the app dir's parents (real owner), then its files sorted by path,
//! bytewise, owned by the layer owner; a matched file's parent directories inside the app dir
//! come with it. An empty slice is an empty tar.

mod glob;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::dir_layer::{ImagePath, add_parents, sorted_children};
use crate::fs_entry::{append_path, join_name, lstat};
use crate::{EntrySink, Error, Owner, Result};

/// A path relative to the app dir, as the bytes the file system gave (names need not be
/// UTF-8; `""` is the app dir).
type Rel = Vec<u8>;

/// An entry of the app dir, by its path relative to the app dir.
#[derive(Debug)]
struct Entry {
    meta: Metadata,
    children: Vec<Rel>,
    sliced: bool,
}

/// The app dir cut into layers: one per slice, then one with the remaining files.
#[derive(Debug)]
pub struct AppSlices {
    app: ImagePath,
    root: PathBuf,
    entries: BTreeMap<Rel, Entry>,
    layers: Vec<Vec<Rel>>,
}

impl AppSlices {
    /// Walks `app_dir` (absolute, inside the image, found under `root` on the host) and
    /// assigns its files to the layers of `slices` (each a list of patterns) and the rest.
    pub fn partition<S: AsRef<str>>(
        root: &Path,
        app_dir: &Path,
        slices: &[Vec<S>],
    ) -> Result<Self> {
        let app = ImagePath::new(root, app_dir);
        let mut entries = BTreeMap::new();
        walk(app.host(), Rel::new(), &mut entries)?;
        let mut layers = Vec::with_capacity(slices.len() + 1);
        for patterns in slices {
            let mut matched = BTreeSet::new();
            for pattern in patterns {
                let pattern = clean(pattern.as_ref());
                for rel in entries.keys().filter(|rel| !rel.is_empty()) {
                    let hit = glob::matches(&pattern, rel).map_err(|glob::BadPattern| {
                        Error::BadSlicePattern {
                            pattern: pattern.clone(),
                        }
                    })?;
                    if hit {
                        matched.insert(rel.clone());
                    }
                }
            }
            layers.push(take_slice(&mut entries, &matched));
        }
        let rest = entries
            .iter_mut()
            .filter(|(_, entry)| !entry.sliced)
            .map(|(rel, entry)| {
                entry.sliced = true;
                rel.clone()
            })
            .collect();
        layers.push(rest);
        Ok(Self {
            app,
            root: root.to_owned(),
            entries,
            layers,
        })
    }

    /// How many layers: the number of slices plus one.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Always false: there is at least the layer of remaining files.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The history text of layer `index` (from 0): `Application Layer` when there are no
    /// slices, else `Application Slice: <index + 1>`.
    pub fn created_by(&self, index: usize) -> String {
        if self.layers.len() == 1 {
            "Application Layer".to_owned()
        } else {
            format!("Application Slice: {}", index + 1)
        }
    }

    /// Writes layer `index` (from 0) into `sink`, its files owned by `owner`.
    pub fn write(&self, index: usize, sink: &mut dyn EntrySink, owner: Owner) -> Result<()> {
        let Some(files) = self.layers.get(index).filter(|files| !files.is_empty()) else {
            return Ok(());
        };
        add_parents(sink, &self.root, &self.app)?;
        let base = self.app.image().as_os_str().as_encoded_bytes();
        let mut named: Vec<(Vec<u8>, &Rel)> = files
            .iter()
            .map(|rel| (entry_name(base, rel), rel))
            .collect();
        named.sort();
        for (name, rel) in named {
            let host = self.app.host().join(OsStr::from_bytes(rel));
            if let Some(entry) = self.entries.get(rel) {
                append_path(sink, &host, name, &entry.meta, Some(owner))?;
            }
        }
        Ok(())
    }
}

fn entry_name(base: &[u8], rel: &[u8]) -> Vec<u8> {
    if rel.is_empty() {
        base.to_vec()
    } else {
        join_name(base, rel)
    }
}

/// Go's `filepath.Walk` with `lstat`: every entry, symlinks not followed.
fn walk(host: &Path, rel: Rel, entries: &mut BTreeMap<Rel, Entry>) -> Result<()> {
    let meta = lstat(host)?;
    let mut children = Vec::new();
    if meta.is_dir() {
        for name in sorted_children(host)? {
            let child = if rel.is_empty() {
                name.as_bytes().to_vec()
            } else {
                join_name(&rel, name.as_bytes())
            };
            walk(&host.join(&name), child.clone(), entries)?;
            children.push(child);
        }
    }
    entries.insert(
        rel,
        Entry {
            meta,
            children,
            sliced: false,
        },
    );
    Ok(())
}

/// Marks what `matched` takes (matched dirs with their subtrees) and returns it with the
/// parents the files need; a parent all of whose children are now taken is taken too.
fn take_slice(entries: &mut BTreeMap<Rel, Entry>, matched: &BTreeSet<Rel>) -> Vec<Rel> {
    let mut taken = BTreeSet::new();
    for rel in matched {
        take(entries, rel, &mut taken);
    }
    let mut parents = BTreeSet::new();
    for rel in &taken {
        for parent in parents_of(rel) {
            if !taken.contains(&parent) {
                parents.insert(parent);
            }
        }
    }
    let mut deepest_first: Vec<&Rel> = parents.iter().collect();
    deepest_first.sort_by_key(|rel| std::cmp::Reverse(depth(rel)));
    for dir in deepest_first {
        let all_taken = entries.get(dir).is_some_and(|entry| {
            entry
                .children
                .iter()
                .all(|child| entries.get(child).is_none_or(|child| child.sliced))
        });
        if let Some(entry) = entries.get_mut(dir) {
            entry.sliced = all_taken;
        }
    }
    taken.into_iter().chain(parents).collect()
}

fn take(entries: &mut BTreeMap<Rel, Entry>, rel: &[u8], taken: &mut BTreeSet<Rel>) {
    let Some(entry) = entries.get_mut(rel).filter(|entry| !entry.sliced) else {
        return;
    };
    entry.sliced = true;
    let children = entry.children.clone();
    for child in &children {
        take(entries, child, taken);
    }
    taken.insert(rel.to_owned());
}

/// The directories between the app dir (`""`, included) and `rel` (excluded).
fn parents_of(rel: &[u8]) -> Vec<Rel> {
    let mut parents = vec![Rel::new()];
    for (end, _) in rel.iter().enumerate().filter(|(_, byte)| **byte == b'/') {
        parents.push(rel[..end].to_vec());
    }
    parents
}

fn depth(rel: &[u8]) -> usize {
    if rel.is_empty() {
        0
    } else {
        rel.split(|byte| *byte == b'/').count()
    }
}

/// Go's `filepath.Clean`, lexically.
fn clean(pattern: &str) -> String {
    let absolute = pattern.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests;
