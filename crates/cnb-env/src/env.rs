//! An environment being assembled for buildpacks (build) or for an app (launch).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::path::Path;

use crate::files::{delimiter, env_files};
use crate::{Action, Error};

/// Whether the environment is for buildpacks at build time or for the app at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Buildpacks' `bin/detect` and `bin/build`.
    Build,
    /// The app's processes.
    Launch,
}

/// The variables of the lifecycle's own environment that buildpacks see (besides the path
/// variables); everything else is dropped (Go `env.BuildEnvIncludelist`).
const BUILD_PASS_THROUGH: &[&str] = &[
    "CNB_STACK_ID",
    "HOSTNAME",
    "HOME",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The variables the launcher removes from the container's environment before the app sees it.
const LAUNCH_REMOVED: &[&str] = &[
    "CNB_LAYERS_DIR",
    "CNB_APP_DIR",
    "CNB_PROCESS_TYPE",
    "CNB_PLATFORM_API",
    "CNB_DEPRECATION_MODE",
];

/// A layer's path directories and the variables each one is prepended to.
const BUILD_ROOT_DIRS: &[(&str, &[&str])] = &[
    ("bin", &["PATH"]),
    ("lib", &["LD_LIBRARY_PATH", "LIBRARY_PATH"]),
    ("include", &["CPATH"]),
    ("pkgconfig", &["PKG_CONFIG_PATH"]),
];
const LAUNCH_ROOT_DIRS: &[(&str, &[&str])] = &[("bin", &["PATH"]), ("lib", &["LD_LIBRARY_PATH"])];

/// An environment: variables by name, and the scope that decides which path directories a
/// layer contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    scope: Scope,
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// The base environment of buildpacks: from `environ` (the lifecycle's own environment)
    /// only the allow-listed variables and the path variables pass.
    pub fn for_build(environ: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let keep = |name: &OsStr| {
            BUILD_PASS_THROUGH.iter().any(|kept| name == *kept) || is_path_var(Scope::Build, name)
        };
        let vars = environ.into_iter().filter(|(name, _)| keep(name)).collect();
        Self {
            scope: Scope::Build,
            vars,
        }
    }

    /// The base environment of an app: the container's `environ` without the lifecycle's own
    /// variables, and without the `strip_from_path` entries (`/cnb/process`, `/cnb/lifecycle`)
    /// in `PATH`.
    pub fn for_launch(
        environ: impl IntoIterator<Item = (OsString, OsString)>,
        strip_from_path: &[&Path],
    ) -> Self {
        let mut vars: BTreeMap<OsString, OsString> = environ
            .into_iter()
            .filter(|(name, _)| !LAUNCH_REMOVED.iter().any(|removed| name == *removed))
            .collect();
        if let Some(path) = vars.get_mut(OsStr::new("PATH")) {
            let kept: Vec<&OsStr> = split_path(path)
                .into_iter()
                .filter(|entry| {
                    !strip_from_path
                        .iter()
                        .any(|strip| strip.as_os_str() == *entry)
                })
                .collect();
            *path = join_path(&kept);
        }
        Self {
            scope: Scope::Launch,
            vars,
        }
    }

    /// The scope this environment was made for.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        self.vars.get(name.as_ref()).map(OsString::as_os_str)
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Every variable, sorted by name.
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_os_str(), value.as_os_str()))
    }

    /// Prepends a layer's path directories that exist (`<dir>/bin` to `PATH`, …; build also
    /// has `include` and `pkgconfig`) to their variables, separated by `:`.
    pub fn add_root_dir(&mut self, dir: &Path) -> Result<(), Error> {
        let table = match self.scope {
            Scope::Build => BUILD_ROOT_DIRS,
            Scope::Launch => LAUNCH_ROOT_DIRS,
        };
        for (child, names) in table {
            let child_dir = dir.join(child);
            match std::fs::metadata(&child_dir) {
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(Error::Inspect {
                        path: child_dir,
                        source,
                    });
                }
            }
            for name in *names {
                let current = self.value(OsStr::new(name));
                self.set(*name, prepend(child_dir.as_os_str(), b":", &current));
            }
        }
        Ok(())
    }

    /// Applies an env directory of a layer (`env/`, `env.build/`, `env.launch/`,
    /// `env.launch/<process>/`): each file `NAME.<suffix>` modifies `NAME` by its suffix; a file
    /// without a suffix does `unsuffixed` (override for buildpack layers). A missing
    /// directory changes nothing.
    pub fn add_env_dir(&mut self, dir: &Path, unsuffixed: Action) -> Result<(), Error> {
        for (file, contents) in env_files(dir)? {
            let (name, action) = split_name(&file);
            let action = match action {
                None => unsuffixed,
                Some(suffix) => match Action::from_suffix(&suffix.to_string_lossy()) {
                    Some(action) => action,
                    None => continue,
                },
            };
            self.apply(dir, name, action, &contents);
        }
        Ok(())
    }

    /// The environment of one buildpack run: this one, then the platform's user env
    /// (`<platform>/env/*`: the file name is the variable, no suffixes; path variables are
    /// prepended with `:`, others replaced), then the operator's `<build-config>/env` (suffix
    /// rules, no suffix = default). Either directory may be left out (clear-env buildpacks
    /// skip the platform's).
    pub fn with_overrides(
        &self,
        platform_dir: Option<&Path>,
        build_config_dir: Option<&Path>,
    ) -> Result<Env, Error> {
        let mut env = self.clone();
        if let Some(platform_dir) = platform_dir {
            for (name, value) in env_files(&platform_dir.join("env"))? {
                if is_path_var(self.scope, &name) {
                    let current = env.value(&name);
                    env.set(name, prepend(&value, b":", &current));
                } else {
                    env.set(name, value);
                }
            }
        }
        if let Some(build_config_dir) = build_config_dir {
            env.add_env_dir(&build_config_dir.join("env"), Action::Default)?;
        }
        Ok(env)
    }

    fn value(&self, name: &OsStr) -> OsString {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    fn apply(&mut self, dir: &Path, name: &OsStr, action: Action, contents: &OsStr) {
        let current = self.value(name);
        let delim = || delimiter(dir, name).unwrap_or_default();
        let value = match action {
            Action::Prepend => prepend(contents, delim().as_encoded_bytes(), &current),
            Action::Append => append(&current, delim().as_encoded_bytes(), contents),
            Action::Default if !current.is_empty() => return,
            Action::Override | Action::Default => contents.to_os_string(),
            Action::PrependPath => {
                let delim = delimiter(dir, name).unwrap_or_else(|| OsString::from(":"));
                prepend(contents, delim.as_encoded_bytes(), &current)
            }
        };
        self.set(name, value);
    }
}

impl IntoIterator for Env {
    type Item = (OsString, OsString);
    type IntoIter = std::collections::btree_map::IntoIter<OsString, OsString>;

    fn into_iter(self) -> Self::IntoIter {
        self.vars.into_iter()
    }
}

/// Whether `name` is one of the path variables a layer's directories feed.
fn is_path_var(scope: Scope, name: &OsStr) -> bool {
    let table = match scope {
        Scope::Build => BUILD_ROOT_DIRS,
        Scope::Launch => LAUNCH_ROOT_DIRS,
    };
    table
        .iter()
        .flat_map(|(_, names)| names.iter())
        .any(|var| name == *var)
}

/// `value + sep + existing`; the separator only when `existing` is not empty.
fn prepend(value: &OsStr, sep: &[u8], existing: &OsStr) -> OsString {
    let mut bytes = value.as_encoded_bytes().to_vec();
    if !existing.is_empty() {
        bytes.extend_from_slice(sep);
        bytes.extend_from_slice(existing.as_encoded_bytes());
    }
    os_from_bytes(bytes)
}

/// `existing + sep + value`; the separator only when `existing` is not empty.
fn append(existing: &OsStr, sep: &[u8], value: &OsStr) -> OsString {
    let mut bytes = existing.as_encoded_bytes().to_vec();
    if !existing.is_empty() {
        bytes.extend_from_slice(sep);
    }
    bytes.extend_from_slice(value.as_encoded_bytes());
    os_from_bytes(bytes)
}

/// `NAME.suffix` → (`NAME`, `Some("suffix")`), split at the first `.`; `NAME` → (`NAME`, `None`).
fn split_name(file: &OsStr) -> (&OsStr, Option<&OsStr>) {
    let bytes = file.as_encoded_bytes();
    match bytes.iter().position(|byte| *byte == b'.') {
        Some(at) => (
            os_from_slice(&bytes[..at]),
            Some(os_from_slice(&bytes[at + 1..])),
        ),
        None => (file, None),
    }
}

fn split_path(path: &OsStr) -> Vec<&OsStr> {
    path.as_encoded_bytes()
        .split(|byte| *byte == b':')
        .map(os_from_slice)
        .collect()
}

fn join_path(parts: &[&OsStr]) -> OsString {
    let bytes: Vec<Vec<u8>> = parts
        .iter()
        .map(|part| part.as_encoded_bytes().to_vec())
        .collect();
    os_from_bytes(bytes.join(&b':'))
}

fn os_from_slice(bytes: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes)
}

fn os_from_bytes(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

#[cfg(test)]
mod tests;
