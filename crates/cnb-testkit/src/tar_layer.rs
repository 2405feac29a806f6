//! [`TarLayer`]: the one tar builder of the tests. Layers made from the same files are
//! byte-identical (ustar headers, owner 0:0, by default mode 0644 and mtime 0; gzip without a
//! timestamp), so a test can name their diffIDs and digests in advance.

use std::io::Write;
use std::path::{Path, PathBuf};

use cnb_image::Digest;

/// A layer of regular files, as a plain tar or gzip-compressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarLayer {
    files: Vec<(PathBuf, Vec<u8>, EntryMeta)>,
}

/// How a file's header records it, where a test needs more than the defaults (another
/// builder's layer, say: kaniko writes real mtimes and owner names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    /// Permission bits; 0644 by default.
    pub mode: u32,
    /// Seconds since the epoch; 0 by default.
    pub mtime: u64,
    /// The owner's name; none by default.
    pub user_name: String,
}

impl Default for EntryMeta {
    fn default() -> Self {
        Self {
            mode: 0o644,
            mtime: 0,
            user_name: String::new(),
        }
    }
}

impl TarLayer {
    /// A layer without files (a tar of two zero blocks).
    pub fn new() -> Self {
        Self::default()
    }

    /// A layer of `files`: `(path, contents)`.
    pub fn of(files: &[(&str, &str)]) -> Self {
        files.iter().fold(Self::new(), |layer, (path, contents)| {
            layer.file(path, contents)
        })
    }

    /// Adds a file. A leading `/` is dropped from the entry name, as the lifecycle writes the
    /// absolute paths of cached layers.
    #[must_use]
    pub fn file(self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Self {
        self.file_with(path, contents, EntryMeta::default())
    }

    /// Adds a file whose header says `meta`.
    #[must_use]
    pub fn file_with(
        mut self,
        path: impl AsRef<Path>,
        contents: impl AsRef<[u8]>,
        meta: EntryMeta,
    ) -> Self {
        let path = path.as_ref();
        let name = path.strip_prefix("/").unwrap_or(path);
        self.files
            .push((name.to_path_buf(), contents.as_ref().to_vec(), meta));
        self
    }

    /// The uncompressed tar.
    ///
    /// # Panics
    /// When a path cannot be a tar entry name (empty, or too long for ustar), or an owner
    /// name is longer than 32 bytes.
    pub fn tar(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, contents, meta) in &self.files {
            let mut header = tar::Header::new_ustar();
            header.set_size(contents.len() as u64);
            header.set_mode(meta.mode);
            header.set_mtime(meta.mtime);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            header
                .set_username(&meta.user_name)
                .unwrap_or_else(|err| panic!("owner name {}: {err}", meta.user_name));
            builder
                .append_data(&mut header, path, contents.as_slice())
                .unwrap_or_else(|err| panic!("tar entry {}: {err}", path.display()));
        }
        builder
            .into_inner()
            .unwrap_or_else(|err| panic!("tar end: {err}"))
    }

    /// The gzip-compressed tar.
    ///
    /// # Panics
    /// As [`TarLayer::tar`].
    pub fn gzip(&self) -> Vec<u8> {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&self.tar())
            .and_then(|()| gzip.finish())
            .unwrap_or_else(|err| panic!("gzip in memory: {err}"))
    }

    /// The diffID: the digest of the uncompressed tar.
    pub fn diff_id(&self) -> Digest {
        Digest::of(&self.tar())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_files_same_bytes_and_absolute_paths_become_relative_names() {
        let one = TarLayer::new().file("/layers/bp/layer/file", "hello");
        let two = TarLayer::of(&[("layers/bp/layer/file", "hello")]);
        assert_eq!(one.tar(), two.tar());
        assert_eq!(one.gzip(), two.gzip());
        assert_eq!(one.diff_id(), Digest::of(&two.tar()));
        let bytes = one.tar();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .expect("entries")
            .map(|entry| {
                entry
                    .expect("entry")
                    .path()
                    .expect("path")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["layers/bp/layer/file"]);
        assert_eq!(TarLayer::new().tar(), vec![0; 1024]);
    }
}
