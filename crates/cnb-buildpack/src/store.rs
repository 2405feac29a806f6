//! The buildpack and extension store: `<buildpacks>/<escaped id>/<version>/buildpack.toml` and
//! `<extensions>/<escaped id>/<version>/extension.toml`.

use std::path::{Path, PathBuf};

use crate::{Error, Module, ModuleKind};

/// Where buildpacks and image extensions are installed (`-buildpacks`, `-extensions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    buildpacks_dir: Option<PathBuf>,
    extensions_dir: Option<PathBuf>,
}

impl Store {
    /// A store over these directories; either may be absent (phases without extensions).
    pub fn new(buildpacks_dir: Option<PathBuf>, extensions_dir: Option<PathBuf>) -> Self {
        Self {
            buildpacks_dir,
            extensions_dir,
        }
    }

    /// The directory a module would be installed in.
    pub fn module_dir(&self, kind: ModuleKind, id: &str, version: &str) -> Option<PathBuf> {
        let root = match kind {
            ModuleKind::Buildpack => self.buildpacks_dir.as_deref(),
            ModuleKind::Extension => self.extensions_dir.as_deref(),
        }?;
        Some(root.join(escape_id(id)).join(version))
    }

    /// Loads buildpack or extension `id@version`: its descriptor, with the API checked.
    pub fn lookup(&self, kind: ModuleKind, id: &str, version: &str) -> Result<Module, Error> {
        let Some(dir) = self.module_dir(kind, id, version) else {
            return Err(Error::NoStore {
                module: format!("{id}@{version}"),
                kind: kind.store_name(),
            });
        };
        Module::load(kind, &absolute(&dir))
    }

    /// Loads buildpack `id@version`.
    pub fn buildpack(&self, id: &str, version: &str) -> Result<Module, Error> {
        self.lookup(ModuleKind::Buildpack, id, version)
    }

    /// Loads image extension `id@version`.
    pub fn extension(&self, id: &str, version: &str) -> Result<Module, Error> {
        self.lookup(ModuleKind::Extension, id, version)
    }
}

/// A buildpack ID as a path component: every `/` becomes `_`.
pub fn escape_id(id: &str) -> String {
    id.replace('/', "_")
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_slashes_in_ids() {
        assert_eq!(escape_id("heroku/procfile"), "heroku_procfile");
        let store = Store::new(Some(PathBuf::from("/cnb/buildpacks")), None);
        assert_eq!(
            store.module_dir(ModuleKind::Buildpack, "a/b", "1.0"),
            Some(PathBuf::from("/cnb/buildpacks/a_b/1.0"))
        );
        assert_eq!(store.module_dir(ModuleKind::Extension, "a", "1"), None);
        let err = store.extension("a", "1").unwrap_err();
        assert!(err.to_string().contains("no extensions directory"), "{err}");
    }
}
