//! A directory as a layer, as the Go lifecycle's `DirLayer` writes buildpack, config, SBOM and
//! cache layers (lifecycle-tests.md §2.6, §4.3): the dir's parents first, from the top down,
//! with their real owner and mode; then the dir itself and everything in it, in pre-order with
//! the children of each directory sorted by name, owned by the layer owner. Symlinks are
//! stored, never followed.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use crate::fs_entry::{append_path, join_name, lstat, stat};
use crate::{EntrySink, Error, Owner, Result};

/// An absolute path inside the image and the host path it is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePath {
    /// Absolute and clean, e.g. `/layers/bp/layer`.
    image: PathBuf,
    /// Where the file system holds it: the image path under the root that stands for `/`.
    host: PathBuf,
}

impl ImagePath {
    /// `image` (made absolute and clean: `.` and empty elements dropped, `..` resolved
    /// lexically) as it appears under `root`, the host directory that stands for `/`. With
    /// root `/`, as the lifecycle runs, both are the same path.
    pub fn new(root: &Path, image: &Path) -> Self {
        let mut clean = PathBuf::from("/");
        for component in image.components() {
            match component {
                Component::Normal(name) => clean.push(name),
                Component::ParentDir => {
                    clean.pop();
                }
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            }
        }
        let host = root.join(clean.strip_prefix("/").unwrap_or(&clean));
        Self { image: clean, host }
    }

    /// The path inside the image.
    pub fn image(&self) -> &Path {
        &self.image
    }

    /// The path on the host.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// The parents inside the image, from the top down, without `/`.
    pub(crate) fn parents(&self, root: &Path) -> Vec<ImagePath> {
        let mut parents: Vec<ImagePath> = self
            .image
            .ancestors()
            .skip(1)
            .filter(|parent| *parent != Path::new("/"))
            .map(|parent| ImagePath::new(root, parent))
            .collect();
        parents.reverse();
        parents
    }

    fn name(&self) -> Vec<u8> {
        self.image.as_os_str().as_bytes().to_vec()
    }
}

/// Appends the parents of `dir`, with their real owner (read with `stat`), to `sink`.
pub fn add_parents(sink: &mut dyn EntrySink, root: &Path, dir: &ImagePath) -> Result<()> {
    for parent in dir.parents(root) {
        let meta = stat(parent.host())?;
        append_path(sink, parent.host(), parent.name(), &meta, None)?;
    }
    Ok(())
}

/// Appends the layer of the directory `dir` (absolute, inside the image) found under `root`:
/// its parents with their real owner, then the tree itself owned by `owner` (Go `DirLayer`).
pub fn add_dir(sink: &mut dyn EntrySink, root: &Path, dir: &Path, owner: Owner) -> Result<()> {
    let dir = ImagePath::new(root, dir);
    add_parents(sink, root, &dir)?;
    add_tree(sink, dir.host(), &dir.name(), owner)
}

/// Appends the one file at `host` as `name` with its own owner and mode (a directory's
/// children are not added; symlinks are stored, never followed; sockets are skipped).
pub fn add_entry(sink: &mut dyn EntrySink, host: &Path, name: &[u8]) -> Result<()> {
    let meta = lstat(host)?;
    append_path(sink, host, name.to_vec(), &meta, None)
}

/// Appends `host` as `name` and, if it is a directory, everything under it in walk order.
pub fn add_tree(sink: &mut dyn EntrySink, host: &Path, name: &[u8], owner: Owner) -> Result<()> {
    let meta = lstat(host)?;
    append_path(sink, host, name.to_vec(), &meta, Some(owner))?;
    if !meta.is_dir() {
        return Ok(());
    }
    for child in sorted_children(host)? {
        let child_name = join_name(name, child.as_bytes());
        add_tree(sink, &host.join(&child), &child_name, owner)?;
    }
    Ok(())
}

/// The names in directory `path`, sorted bytewise (Go `filepath.Walk`'s order).
pub(crate) fn sorted_children(path: &Path) -> Result<Vec<OsString>> {
    let inspect = |source| Error::Inspect {
        path: path.to_owned(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(path).map_err(inspect)? {
        names.push(entry.map_err(inspect)?.file_name().into_vec());
    }
    names.sort_unstable();
    Ok(names.into_iter().map(OsString::from_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_paths_are_absolute_clean_and_mapped_under_the_root() {
        let path = ImagePath::new(Path::new("/tmp/root"), Path::new("layers/./bp//x/../layer"));
        assert_eq!(path.image(), Path::new("/layers/bp/layer"));
        assert_eq!(path.host(), Path::new("/tmp/root/layers/bp/layer"));
        let parents: Vec<_> = path.parents(Path::new("/tmp/root"));
        let parents: Vec<_> = parents.iter().map(ImagePath::image).collect();
        assert_eq!(parents, [Path::new("/layers"), Path::new("/layers/bp")]);
        assert!(
            ImagePath::new(Path::new("/"), Path::new("/workspace"))
                .parents(Path::new("/"))
                .is_empty()
        );
    }
}
