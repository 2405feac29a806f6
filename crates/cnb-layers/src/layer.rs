//! One layer: `<layers>/<buildpack>/<name>/` and `<name>.toml`.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_files::TomlFile;
use cnb_files::layer::LayerContentMetadata;

use crate::Error;

/// A layer of a buildpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    name: String,
    path: PathBuf,
    identifier: String,
}

impl Layer {
    pub(crate) fn new(buildpack_dir: &Path, buildpack_id: &str, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            path: buildpack_dir.join(name),
            identifier: format!("{buildpack_id}:{name}"),
        }
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layer's directory (which may not exist).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<buildpack id>:<name>`, as logs and cache keys name a layer.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// `<name>.toml`.
    pub fn toml_path(&self) -> PathBuf {
        self.path.with_file_name(format!("{}.toml", self.name))
    }

    /// Whether the layer's directory exists (a toml alone means "keep the previous image's
    /// layer").
    pub fn has_contents(&self) -> bool {
        self.path.is_dir()
    }

    /// The layer's metadata; a missing toml reads as empty (all types false). Malformed
    /// tomls and top-level type flags are errors.
    pub fn metadata(&self) -> Result<LayerContentMetadata, Error> {
        Ok(LayerContentMetadata::read_optional(&self.toml_path())?.unwrap_or_default())
    }

    /// Moves the layer's directory out of the way to `<name>.ignore` (its toml stays, with
    /// every type false): what happens to such a layer once its buildpack is done, as in Go.
    /// A layer without a directory is left as it is.
    pub fn ignore(&self) -> Result<(), Error> {
        let ignored = self.path.with_file_name(format!("{}.ignore", self.name));
        match fs::rename(&self.path, &ignored) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => Err(Error::Rename {
                from: self.path.clone(),
                to: ignored,
                source,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_types_and_treats_a_missing_toml_as_all_false() {
        let dir = tempfile::tempdir().unwrap();
        let layer = Layer::new(dir.path(), "bp", "l");
        assert!(!layer.metadata().unwrap().launch());
        fs::write(layer.toml_path(), "[types]\nlaunch = true\n").unwrap();
        assert!(layer.metadata().unwrap().launch());
        fs::write(layer.toml_path(), "launch = true\n").unwrap();
        assert!(layer.metadata().is_err(), "top-level flags are refused");
    }

    #[test]
    fn ignore_renames_the_directory_and_keeps_the_toml() {
        let dir = tempfile::tempdir().unwrap();
        let layer = Layer::new(dir.path(), "bp", "l");
        fs::create_dir(layer.path()).unwrap();
        fs::write(layer.toml_path(), "").unwrap();
        layer.ignore().unwrap();
        assert!(!layer.path().exists());
        assert!(layer.toml_path().is_file());
        assert!(dir.path().join("l.ignore").is_dir());
        let toml_only = Layer::new(dir.path(), "bp", "toml-only");
        toml_only.ignore().unwrap();
    }
}
