//! What a buildpack's layers mean once its `bin/build` is done (buildpack.md › Layer Types,
//! Environment › Provided by the Buildpacks): each `<layer>.toml`'s `[types]`; a layer that is
//! neither launch, build nor cache moves aside to `<layer>.ignore`; and every build layer's
//! path directories, `env/` and `env.build/` modify the environment of later buildpacks.
//!
//! As in Go, a layer is a `<layer>.toml` (a directory without one is left alone), and layers
//! are taken in the order of their toml file names (`node-modules.toml` sorts before
//! `node.toml`).

use std::collections::BTreeMap;
use std::path::Path;

use cnb_env::{Action, Env};
use cnb_files::layer::LayerContentMetadata;
use cnb_layers::{BuildpackLayers, Layer};

use crate::Error;

/// A buildpack's layers with their metadata, in Go's order.
#[derive(Debug)]
pub(crate) struct SettledLayers {
    layers: Vec<(Layer, LayerContentMetadata)>,
}

impl SettledLayers {
    /// Reads the types of every layer of `buildpack_id` under `layers_dir`, and moves the
    /// directory of each layer with no type set to `<layer>.ignore`. `buildpack` (`id@version`)
    /// names the buildpack in errors.
    pub(crate) fn settle(
        layers_dir: &Path,
        buildpack_id: &str,
        buildpack: &str,
    ) -> Result<Self, Error> {
        let error = |source| Error::Layers {
            buildpack: buildpack.to_owned(),
            source: Box::new(source),
        };
        let read = BuildpackLayers::read(layers_dir, buildpack_id).map_err(error)?;
        let mut by_toml_name = BTreeMap::new();
        for layer in read.layers() {
            if layer.toml_path().is_file() {
                by_toml_name.insert(format!("{}.toml", layer.name()), layer.clone());
            }
        }
        let mut layers = Vec::new();
        for layer in by_toml_name.into_values() {
            let metadata = layer.metadata().map_err(error)?;
            if !(metadata.launch() || metadata.build() || metadata.cache()) {
                tracing::debug!("Ignoring layer {}", layer.identifier());
                layer.ignore().map_err(error)?;
            }
            layers.push((layer, metadata));
        }
        Ok(Self { layers })
    }

    /// The metadata of layer `name`, if it has a `<name>.toml`.
    pub(crate) fn metadata(&self, name: &str) -> Option<&LayerContentMetadata> {
        self.layers
            .iter()
            .find(|(layer, _)| layer.name() == name)
            .map(|(_, metadata)| metadata)
    }

    /// Adds every build layer to `env`, layer by layer: its `bin`, `lib`, `include` and
    /// `pkgconfig` directories (prepended), then `env/`, then `env.build/` (a file without a
    /// suffix overrides).
    pub(crate) fn add_to_build_env(&self, env: &mut Env, buildpack: &str) -> Result<(), Error> {
        let error = |source| Error::Env {
            buildpack: buildpack.to_owned(),
            source,
        };
        for (layer, metadata) in &self.layers {
            if !metadata.build() {
                continue;
            }
            env.add_root_dir(layer.path()).map_err(error)?;
            env.add_env_dir(&layer.path().join("env"), Action::Override)
                .map_err(error)?;
            env.add_env_dir(&layer.path().join("env.build"), Action::Override)
                .map_err(error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::fs;

    use pretty_assertions::assert_eq;

    use super::*;

    fn layer(dir: &Path, name: &str, toml: Option<&str>) {
        fs::create_dir_all(dir.join(name).join("bin")).unwrap();
        fs::create_dir_all(dir.join(name).join("env")).unwrap();
        if let Some(toml) = toml {
            fs::write(dir.join(format!("{name}.toml")), toml).unwrap();
        }
    }

    #[test]
    fn all_false_layers_move_aside_and_toml_less_directories_stay() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("some_bp");
        layer(&dir, "ignored", Some("[types]\nlaunch = false\n"));
        layer(&dir, "empty-toml", Some(""));
        layer(&dir, "no-toml", None);
        layer(&dir, "kept", Some("[types]\ncache = true\n"));
        let settled = SettledLayers::settle(root.path(), "some/bp", "some/bp@1").unwrap();
        for name in ["ignored.ignore", "empty-toml.ignore", "no-toml", "kept"] {
            assert!(dir.join(name).is_dir(), "{name}");
        }
        assert!(!dir.join("ignored").exists());
        assert!(dir.join("ignored.toml").is_file(), "the toml stays");
        assert!(settled.metadata("kept").unwrap().cache());
        assert!(settled.metadata("no-toml").is_none());
    }

    #[test]
    fn malformed_and_top_level_flags_are_errors() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("bp");
        layer(&dir, "flat", Some("build = true\n"));
        let err = SettledLayers::settle(root.path(), "bp", "bp@1").unwrap_err();
        assert!(matches!(err, Error::Layers { .. }), "{err}");
    }

    #[test]
    fn build_layers_feed_the_env_in_toml_file_name_order() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("bp");
        layer(&dir, "node", Some("[types]\nbuild = true\n"));
        layer(&dir, "node-modules", Some("[types]\nbuild = true\n"));
        layer(&dir, "launch-only", Some("[types]\nlaunch = true\n"));
        fs::write(dir.join("node/env/WHO"), "node").unwrap();
        fs::write(dir.join("node-modules/env/WHO"), "node-modules").unwrap();
        fs::write(dir.join("launch-only/env/WHO"), "launch-only").unwrap();
        fs::create_dir_all(dir.join("node/env.build")).unwrap();
        fs::write(dir.join("node/env.build/ONLY_BUILD.default"), "yes").unwrap();
        let settled = SettledLayers::settle(root.path(), "bp", "bp@1").unwrap();
        let mut env = Env::for_build([(OsString::from("PATH"), OsString::from("/bin"))]);
        settled.add_to_build_env(&mut env, "bp@1").unwrap();
        assert_eq!(
            env.get("WHO").unwrap(),
            "node",
            "node.toml sorts after node-modules.toml"
        );
        assert_eq!(env.get("ONLY_BUILD").unwrap(), "yes");
        let path = format!(
            "{}:{}:/bin",
            dir.join("node/bin").display(),
            dir.join("node-modules/bin").display()
        );
        assert_eq!(env.get("PATH").unwrap().to_str().unwrap(), path);
    }
}
