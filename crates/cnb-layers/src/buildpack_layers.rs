//! One buildpack's directory in `<layers>`.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cnb_files::TomlFile;
use cnb_files::store::Store;

use crate::{Error, Layer};

/// Files in a buildpack's layers directory that are not layers.
const NOT_LAYERS: &[&str] = &["store", "launch", "build"];

/// A buildpack ID as a directory name: `/` becomes `_` (`heroku/procfile` → `heroku_procfile`).
pub fn escape_id(id: &str) -> String {
    id.replace('/', "_")
}

/// A buildpack's directory in `<layers>`: its layers sorted by name, and its `store.toml`.
#[derive(Debug, Clone)]
pub struct BuildpackLayers {
    path: PathBuf,
    buildpack_id: String,
    layers: Vec<Layer>,
}

impl BuildpackLayers {
    /// Reads `<layers>/<escaped id>`. A layer is any subdirectory, and any `<name>.toml`
    /// other than `store.toml`, `launch.toml` and `build.toml` (a toml without a directory is
    /// a layer kept from the previous image). A missing directory has no layers.
    pub fn read(layers_dir: &Path, buildpack_id: &str) -> Result<Self, Error> {
        let path = layers_dir.join(escape_id(buildpack_id));
        let mut names = BTreeSet::new();
        match fs::read_dir(&path) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|source| Error::ReadDir {
                        path: path.clone(),
                        source,
                    })?;
                    let file_name = entry.file_name();
                    let Some(file_name) = file_name.to_str() else {
                        continue;
                    };
                    let is_dir = entry
                        .file_type()
                        .map_err(|source| Error::ReadDir {
                            path: path.clone(),
                            source,
                        })?
                        .is_dir();
                    if is_dir {
                        names.insert(file_name.to_owned());
                    } else if let Some(name) = file_name.strip_suffix(".toml")
                        && !NOT_LAYERS.contains(&name)
                    {
                        names.insert(name.to_owned());
                    }
                }
            }
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(source) => return Err(Error::ReadDir { path, source }),
        }
        let layers = names
            .into_iter()
            .map(|name| Layer::new(&path, buildpack_id, &name))
            .collect();
        Ok(Self {
            path,
            buildpack_id: buildpack_id.to_owned(),
            layers,
        })
    }

    /// `<layers>/<escaped id>`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The buildpack's ID.
    pub fn buildpack_id(&self) -> &str {
        &self.buildpack_id
    }

    /// The layers, sorted by name.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layer called `name`, if there is one.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|layer| layer.name() == name)
    }

    /// `store.toml`, if the buildpack wrote one.
    pub fn store(&self) -> Result<Option<Store>, Error> {
        Ok(Store::read_optional(&self.path.join("store.toml"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_are_directories_and_tomls_except_the_buildpacks_own_files() {
        let layers_dir = tempfile::tempdir().unwrap();
        let dir = layers_dir.path().join("some_buildpack");
        fs::create_dir_all(dir.join("dir-only")).unwrap();
        fs::create_dir_all(dir.join("both")).unwrap();
        for file in [
            "both.toml",
            "toml-only.toml",
            "store.toml",
            "launch.toml",
            "build.toml",
            "notes.txt",
        ] {
            fs::write(dir.join(file), "").unwrap();
        }
        let read = BuildpackLayers::read(layers_dir.path(), "some/buildpack").unwrap();
        let names: Vec<&str> = read.layers().iter().map(Layer::name).collect();
        assert_eq!(names, ["both", "dir-only", "toml-only"]);
        assert_eq!(
            read.layer("both").unwrap().identifier(),
            "some/buildpack:both"
        );
        assert!(read.store().unwrap().is_some());
    }

    #[test]
    fn a_missing_directory_has_no_layers_and_no_store() {
        let layers_dir = tempfile::tempdir().unwrap();
        let read = BuildpackLayers::read(layers_dir.path(), "absent").unwrap();
        assert!(read.layers().is_empty());
        assert!(read.store().unwrap().is_none());
    }
}
