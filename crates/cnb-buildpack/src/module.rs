//! One installed buildpack or image extension: its descriptor, checked API, inferred targets,
//! and the environment its executables run with.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cnb_api::{BuildpackApi, check_buildpack_api, env as names};
use cnb_files::TomlFile;
use cnb_files::buildpack::{BuildpackDescriptor, ModuleInfo, Target, TargetDistro};
use cnb_files::extension::ExtensionDescriptor;
use cnb_files::order::OrderGroup;

use crate::{Error, RunTarget};

/// Whether a module is a buildpack or an image extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModuleKind {
    /// A component or composite buildpack (`buildpack.toml`).
    Buildpack,
    /// An image extension (`extension.toml`).
    Extension,
}

impl ModuleKind {
    /// The descriptor's file name.
    pub fn descriptor_file(self) -> &'static str {
        match self {
            Self::Buildpack => "buildpack.toml",
            Self::Extension => "extension.toml",
        }
    }

    /// The variable naming the module's own directory (`CNB_BUILDPACK_DIR`, `CNB_EXTENSION_DIR`).
    pub fn dir_var(self) -> &'static str {
        match self {
            Self::Buildpack => names::BUILDPACK_DIR,
            Self::Extension => names::EXTENSION_DIR,
        }
    }

    pub(crate) fn store_name(self) -> &'static str {
        match self {
            Self::Buildpack => "buildpacks",
            Self::Extension => "extensions",
        }
    }
}

/// A buildpack or extension loaded from its directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    kind: ModuleKind,
    dir: PathBuf,
    api: BuildpackApi,
    info: ModuleInfo,
    order: Vec<OrderGroup>,
    targets: Vec<Target>,
}

/// The parts of either descriptor that a module keeps.
struct Parts {
    api: String,
    info: ModuleInfo,
    order: Vec<OrderGroup>,
    targets: Vec<Target>,
    stacks: Vec<String>,
}

impl Module {
    /// Reads the descriptor in `dir` (absolute), checks its API and infers its targets.
    pub fn load(kind: ModuleKind, dir: &Path) -> Result<Self, Error> {
        let path = dir.join(kind.descriptor_file());
        let read_error = |source| Error::ReadDescriptor {
            module: name_from_dir(dir),
            source: Box::new(source),
        };
        let parts = match kind {
            ModuleKind::Buildpack => {
                let descriptor = BuildpackDescriptor::read(&path).map_err(read_error)?;
                Parts {
                    api: descriptor.api,
                    info: descriptor.buildpack,
                    order: descriptor.order,
                    targets: descriptor.targets,
                    stacks: descriptor
                        .stacks
                        .into_iter()
                        .map(|stack| stack.id)
                        .collect(),
                }
            }
            ModuleKind::Extension => {
                let descriptor = ExtensionDescriptor::read(&path).map_err(read_error)?;
                Parts {
                    api: descriptor.api,
                    info: descriptor.extension,
                    order: Vec::new(),
                    targets: descriptor.targets,
                    stacks: Vec::new(),
                }
            }
        };
        let display = format!("{}@{}", parts.info.id, parts.info.version);
        let api = check_buildpack_api(&display, &parts.api)?;
        let mut module = Self {
            kind,
            dir: dir.to_path_buf(),
            api,
            info: parts.info,
            order: parts.order,
            targets: parts.targets,
        };
        if module.targets.is_empty() {
            module.targets = module.inferred_targets(&parts.stacks)?;
        }
        Ok(module)
    }

    /// Buildpack or extension.
    pub fn kind(&self) -> ModuleKind {
        self.kind
    }

    /// The module's root directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Buildpack API it implements.
    pub fn api(&self) -> BuildpackApi {
        self.api
    }

    /// `[buildpack]` or `[extension]`.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// `id`.
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// `version`.
    pub fn version(&self) -> &str {
        &self.info.version
    }

    /// `id@version`, the form logs and errors use.
    pub fn display_name(&self) -> String {
        format!("{}@{}", self.info.id, self.info.version)
    }

    /// A composite buildpack's `[[order]]` (empty for component buildpacks and extensions).
    pub fn order(&self) -> &[OrderGroup] {
        &self.order
    }

    /// Whether this is a composite buildpack.
    pub fn is_composite(&self) -> bool {
        !self.order.is_empty()
    }

    /// The declared targets, or the inferred ones when none are declared (never empty for a
    /// module that can run anywhere: an empty target matches anything).
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Whether any of its targets is satisfied by the run image's `target`. A buildpack with
    /// no declared or inferred target runs anywhere.
    pub fn supports(&self, target: &RunTarget) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| target.satisfies(t))
    }

    /// The error a run gets when [`Module::supports`] says no: names the run image's target
    /// and the module's.
    pub fn unsupported_target(&self, target: &RunTarget) -> Error {
        let targets: Vec<String> = self.targets.iter().map(describe_target).collect();
        Error::UnsupportedTarget {
            module: self.display_name(),
            run_image: target.to_string(),
            targets: format!("[{}]", targets.join(", ")),
        }
    }

    /// The execution environments it declares, when its API honours them (Buildpack API 0.12);
    /// `None` means every environment.
    pub fn exec_envs(&self) -> Option<Vec<&str>> {
        if !self.api.gets_exec_env() {
            return None;
        }
        self.info
            .exec_env
            .as_ref()
            .map(cnb_files::buildpack::ExecEnvList::names)
            .filter(|names| !names.is_empty())
    }

    /// The path of executable `bin/<name>`, not resolved: libcnb buildpacks link `detect` to
    /// `build` and pick their phase from the name they were run as.
    pub fn executable(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    /// Targets for a descriptor that declares none (buildpack.md › Targets; Go
    /// `ReadBpDescriptor`): the bionic stack maps to `linux/amd64` Ubuntu 18.04 (alone, or
    /// from Buildpack API 0.10), the `*` stack matches anything, and otherwise `bin/build`
    /// (extensions: `bin/detect` or `bin/generate`) means `os = "linux"`. A buildpack with
    /// none of these has no target and runs anywhere; an extension gets the empty target.
    fn inferred_targets(&self, stacks: &[String]) -> Result<Vec<Target>, Error> {
        let mut targets = Vec::new();
        for stack in stacks {
            if stack == "io.buildpacks.stacks.bionic"
                && (self.api.gets_target_env() || stacks.len() == 1)
            {
                targets.push(Target {
                    os: Some("linux".into()),
                    arch: Some("amd64".into()),
                    arch_variant: None,
                    distros: vec![TargetDistro {
                        name: Some("ubuntu".into()),
                        version: Some("18.04".into()),
                    }],
                });
            } else if stack == "*" {
                targets.push(Target::default());
            }
        }
        if !targets.is_empty() {
            return Ok(targets);
        }
        let markers: &[&str] = match self.kind {
            ModuleKind::Buildpack => &["build"],
            ModuleKind::Extension => &["detect", "generate"],
        };
        if bin_has_any(&self.dir.join("bin"), markers)? {
            targets.push(Target {
                os: Some("linux".into()),
                ..Target::default()
            });
        } else if self.kind == ModuleKind::Extension {
            targets.push(Target::default());
        }
        Ok(targets)
    }
}

/// `os/arch/variant (distro version | …)`, with `*` for fields left open.
fn describe_target(target: &Target) -> String {
    let field = |value: &Option<String>| value.clone().unwrap_or_else(|| "*".into());
    let mut text = format!("{}/{}", field(&target.os), field(&target.arch));
    if let Some(variant) = &target.arch_variant {
        text.push('/');
        text.push_str(variant);
    }
    if !target.distros.is_empty() {
        let distros: Vec<String> = target
            .distros
            .iter()
            .map(|distro| format!("{} {}", field(&distro.name), field(&distro.version)))
            .collect();
        text.push_str(" (");
        text.push_str(&distros.join(" | "));
        text.push(')');
    }
    text
}

fn bin_has_any(bin: &Path, names: &[&str]) -> Result<bool, Error> {
    let entries = match std::fs::read_dir(bin) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(Error::ListBin {
                path: bin.to_path_buf(),
                source,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(|source| Error::ListBin {
            path: bin.to_path_buf(),
            source,
        })?;
        if names.iter().any(|name| entry.file_name() == **name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `<escaped id>@<version>` from a store directory, for errors before the descriptor is read.
fn name_from_dir(dir: &Path) -> String {
    let version = dir.file_name().unwrap_or_default().to_string_lossy();
    let id = dir
        .parent()
        .and_then(Path::file_name)
        .unwrap_or_default()
        .to_string_lossy();
    format!("{id}@{version}")
}

#[cfg(test)]
mod tests;
