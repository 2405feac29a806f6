//! A buildpack or image extension given to a builder: its directory and descriptor, checked
//! for path-safe ids and versions, and its layer at `/cnb/buildpacks/<id, / → _>/<version>/`
//! or `/cnb/extensions/<id, / → _>/<version>/`.

use std::path::{Path, PathBuf};

use cnb_archive::{EntrySink, Header, Owner, add_tree};
use cnb_files::TomlFile;
use cnb_files::buildpack::{BuildpackDescriptor, ModuleInfo};
use cnb_files::extension::ExtensionDescriptor;

use crate::labels::BuildpackLayer;
use crate::{Error, Result};

/// What a module's descriptor says.
pub(crate) enum Descriptor {
    Buildpack(BuildpackDescriptor),
    Extension(ExtensionDescriptor),
}

/// A buildpack or extension directory and its parsed descriptor.
pub(crate) struct Module {
    pub(crate) dir: PathBuf,
    pub(crate) descriptor: Descriptor,
}

impl Module {
    /// The buildpack at `dir` (its `buildpack.toml`).
    pub(crate) fn buildpack(dir: &Path) -> Result<Self> {
        let descriptor = BuildpackDescriptor::read(&dir.join(BuildpackDescriptor::FILE))?;
        Self::checked(dir, Descriptor::Buildpack(descriptor))
    }

    /// The extension at `dir` (its `extension.toml`).
    pub(crate) fn extension(dir: &Path) -> Result<Self> {
        let descriptor = ExtensionDescriptor::read(&dir.join(ExtensionDescriptor::FILE))?;
        Self::checked(dir, Descriptor::Extension(descriptor))
    }

    fn checked(dir: &Path, descriptor: Descriptor) -> Result<Self> {
        let module = Self {
            dir: dir.to_owned(),
            descriptor,
        };
        let info = module.info();
        let unsafe_id = info.id.is_empty()
            || info
                .id
                .split('/')
                .any(|part| matches!(part, "" | "." | ".."));
        let unsafe_version =
            info.version.is_empty() || info.version.contains('/') || info.version == "..";
        if unsafe_id || unsafe_version {
            return Err(Error::Buildpack {
                path: dir.to_owned(),
                reason: format!(
                    "id {:?} and version {:?} must be non-empty path-safe names",
                    info.id, info.version
                ),
            });
        }
        Ok(module)
    }

    pub(crate) fn info(&self) -> &ModuleInfo {
        match &self.descriptor {
            Descriptor::Buildpack(descriptor) => &descriptor.buildpack,
            Descriptor::Extension(descriptor) => &descriptor.extension,
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.info().id
    }

    pub(crate) fn version(&self) -> &str {
        &self.info().version
    }

    /// `buildpack` or `extension`, for layer names.
    pub(crate) fn noun(&self) -> &'static str {
        match self.descriptor {
            Descriptor::Buildpack(_) => "buildpack",
            Descriptor::Extension(_) => "extension",
        }
    }

    fn store(&self) -> &'static str {
        match self.descriptor {
            Descriptor::Buildpack(_) => "/cnb/buildpacks",
            Descriptor::Extension(_) => "/cnb/extensions",
        }
    }

    /// `<store>/<id with / → _>`.
    fn image_dir(&self) -> String {
        format!("{}/{}", self.store(), self.id().replace('/', "_"))
    }

    /// Its layer: the store's directories, then the module's tree owned by root.
    pub(crate) fn add_layer(&self, sink: &mut dyn EntrySink) -> cnb_archive::Result<()> {
        for dir in ["/cnb", self.store(), &self.image_dir()] {
            sink.append(&Header::directory(dir, 0o755), &mut std::io::empty())?;
        }
        let name = format!("{}/{}", self.image_dir(), self.version());
        add_tree(sink, &self.dir, name.as_bytes(), Owner::new(0, 0))
    }

    /// Its entry in `io.buildpacks.buildpack.layers` or `io.buildpacks.extension.layers`.
    pub(crate) fn layer_label(&self, layer_diff_id: String) -> BuildpackLayer {
        match &self.descriptor {
            Descriptor::Buildpack(descriptor) => BuildpackLayer::new(descriptor, layer_diff_id),
            Descriptor::Extension(descriptor) => {
                BuildpackLayer::for_extension(descriptor, layer_diff_id)
            }
        }
    }
}

/// Reads every directory with `read`, sorted by id and version; the same id and version
/// twice is an error.
pub(crate) fn read_all(dirs: &[PathBuf], read: fn(&Path) -> Result<Module>) -> Result<Vec<Module>> {
    let mut modules = dirs
        .iter()
        .map(|dir| read(dir))
        .collect::<Result<Vec<_>>>()?;
    modules.sort_by(|a, b| (a.id(), a.version()).cmp(&(b.id(), b.version())));
    if let Some(pair) = modules
        .windows(2)
        .find(|pair| (pair[0].id(), pair[0].version()) == (pair[1].id(), pair[1].version()))
    {
        return Err(Error::Buildpack {
            path: pair[1].dir.clone(),
            reason: format!("{}@{} is given twice", pair[1].id(), pair[1].version()),
        });
    }
    Ok(modules)
}
