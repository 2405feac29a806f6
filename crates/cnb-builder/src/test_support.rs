//! Helpers for the unit tests: a buildpack installed in a temp store, loaded as a `Module`.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_buildpack::{Module, Store};

/// Installs `id@1` with Buildpack API `api` and `extra` TOML under `[buildpack]` into
/// `<root>/buildpacks`, and loads it.
pub(crate) fn module(root: &Path, id: &str, api: &str, extra: &str) -> Module {
    let buildpacks = root.join("buildpacks");
    let dir = buildpacks.join(id.replace('/', "_")).join("1");
    fs::create_dir_all(&dir).unwrap();
    let toml = format!("api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n{extra}");
    fs::write(dir.join("buildpack.toml"), toml).unwrap();
    Store::new(Some(buildpacks), None)
        .buildpack(id, "1")
        .unwrap()
}

/// `<root>/layers/<escaped id>`, created.
pub(crate) fn bp_layers(root: &Path, id: &str) -> PathBuf {
    let dir = root.join("layers").join(id.replace('/', "_"));
    fs::create_dir_all(&dir).unwrap();
    dir
}
