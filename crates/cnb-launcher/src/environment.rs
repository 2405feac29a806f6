//! The buildpacks' layers and the launch environment they make (platform.md › Launch
//! Environment; buildpack.md › Environment). Order is the Go launcher's: buildpacks as
//! `metadata.toml` lists them; within one buildpack first the path directories (`bin`, `lib`)
//! of all its layers, then each layer's `env/`, `env.launch/` and `env.launch/<type>/`;
//! layers in ascending name order.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cnb_env::{Action, Env};

use crate::launcher::CNB_PATH_DIRS;
use crate::{Error, Launcher};

/// The layer directories of every buildpack in `metadata.toml` that has a directory under
/// `<layers>`, in buildpack order, each buildpack's layers sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layers {
    by_buildpack: Vec<Vec<PathBuf>>,
}

impl Layers {
    /// Lists the layers (real directories only, as Go's `os.ReadDir` + `IsDir`); a buildpack
    /// without a directory has none.
    pub(crate) fn list(launcher: &Launcher) -> Result<Self, Error> {
        let by_buildpack = launcher
            .buildpacks
            .iter()
            .map(|(id, _)| entries(&launcher.layers_dir().join(id.replace('/', "_")), true))
            .collect::<Result<_, _>>()?;
        Ok(Self { by_buildpack })
    }

    /// Every layer, buildpack by buildpack.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Path> {
        self.by_buildpack.iter().flatten().map(PathBuf::as_path)
    }

    /// The container's `environ` without the lifecycle's variables and `/cnb/*` `PATH` entries,
    /// modified by every layer for a process of `process_type` (empty: a user command).
    pub(crate) fn launch_env(
        &self,
        environ: Vec<(OsString, OsString)>,
        process_type: &str,
    ) -> Result<Env, Error> {
        let strip: Vec<&Path> = CNB_PATH_DIRS.iter().map(Path::new).collect();
        let mut env = Env::for_launch(environ, &strip);
        for layers in &self.by_buildpack {
            for layer in layers {
                env.add_root_dir(layer).map_err(Error::ModifyEnv)?;
            }
            for layer in layers {
                for dir in env_dirs(layer, process_type) {
                    env.add_env_dir(&dir, Action::Override)
                        .map_err(Error::ModifyEnv)?;
                }
            }
        }
        Ok(env)
    }

    /// The scripts a shell process sources: each layer's `profile.d/*` then
    /// `profile.d/<type>/*`, then `<app>/.profile` if it is not a directory.
    pub(crate) fn profiles(
        &self,
        process_type: &str,
        app_dir: &Path,
    ) -> Result<Vec<PathBuf>, Error> {
        let mut profiles = Vec::new();
        for layer in self.all() {
            profiles.extend(files(&layer.join("profile.d"))?);
            if !process_type.is_empty() {
                profiles.extend(files(&layer.join("profile.d").join(process_type))?);
            }
        }
        let app_profile = app_dir.join(".profile");
        match fs::metadata(&app_profile) {
            Ok(meta) if !meta.is_dir() => profiles.push(app_profile),
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::ListDir {
                    path: app_profile,
                    source,
                });
            }
        }
        Ok(profiles)
    }
}

fn env_dirs(layer: &Path, process_type: &str) -> Vec<PathBuf> {
    let mut dirs = vec![layer.join("env"), layer.join("env.launch")];
    if !process_type.is_empty() {
        dirs.push(layer.join("env.launch").join(process_type));
    }
    dirs
}

/// The files (anything but a real directory) in `dir`, sorted by name; none if it is missing.
pub(crate) fn files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    entries(dir, false)
}

fn entries(dir: &Path, dirs: bool) -> Result<Vec<PathBuf>, Error> {
    let list_error = |source| Error::ListDir {
        path: dir.to_owned(),
        source,
    };
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(list_error(source)),
    };
    let mut found = Vec::new();
    for entry in read {
        let entry = entry.map_err(list_error)?;
        let is_dir = entry.file_type().map_err(list_error)?.is_dir();
        if is_dir == dirs {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests;
