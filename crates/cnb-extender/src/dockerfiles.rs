//! The Dockerfiles to apply: for each extension of group.toml, in order, its Dockerfile of
//! the kind being extended in `<generated>`, with the build arguments of its
//! extend-config.toml and its build context (platform.md › extender). Platform API 0.13 and
//! later keep `<generated>/<id>/{build,run}.Dockerfile`, `extend-config.toml` and the
//! contexts `context.<kind>` or `context`; earlier ones `<generated>/<kind>/<id>/Dockerfile`
//! and `extend-config.toml`, built in the app directory.

use std::path::{Path, PathBuf};

use cnb_api::PlatformApi;
use cnb_buildpack::escape_id;
use cnb_dockerfile::{Dockerfile, Kind};
use cnb_files::TomlFile;
use cnb_files::extend_config::ExtendConfig;
use cnb_files::group::GroupElement;

use crate::Error;

/// One extension's Dockerfile, ready to apply.
#[derive(Debug, Clone)]
pub(crate) struct ExtensionDockerfile {
    /// The extension's id.
    pub extension: String,
    /// Where the Dockerfile is.
    pub path: PathBuf,
    /// The parsed Dockerfile.
    pub dockerfile: Dockerfile,
    /// Build arguments from extend-config.toml, in order.
    pub args: Vec<(String, String)>,
    /// The build context.
    pub context: PathBuf,
}

/// Where to look, by Platform API.
pub(crate) struct Generated<'a> {
    pub platform_api: PlatformApi,
    pub dir: &'a Path,
    pub app_dir: &'a Path,
}

impl Generated<'_> {
    /// The Dockerfiles of `kind` of `extensions`, in order; an extension without one is
    /// skipped.
    pub(crate) fn dockerfiles(
        &self,
        kind: Kind,
        extensions: &[GroupElement],
    ) -> Result<Vec<ExtensionDockerfile>, Error> {
        let mut found = Vec::new();
        for extension in extensions {
            if let Some(dockerfile) = self.dockerfile(kind, &extension.id)? {
                found.push(dockerfile);
            }
        }
        Ok(found)
    }

    fn dockerfile(&self, kind: Kind, id: &str) -> Result<Option<ExtensionDockerfile>, Error> {
        let escaped = escape_id(id);
        let (dir, path) = if self.platform_api.keeps_generated_per_extension() {
            let dir = self.dir.join(&escaped);
            let path = dir.join(kind.file_name());
            (dir, path)
        } else {
            let dir = self.dir.join(kind.as_str()).join(&escaped);
            let path = dir.join("Dockerfile");
            (dir, path)
        };
        if !path.is_file() {
            return Ok(None);
        }
        let invalid = |source| Error::Dockerfile {
            extension: id.to_owned(),
            source: Box::new(source),
        };
        let dockerfile = Dockerfile::read(&path).map_err(invalid)?;
        let checked = match kind {
            Kind::Build => cnb_dockerfile::validate_build(&dockerfile).map(drop),
            Kind::Run => cnb_dockerfile::validate_run(&dockerfile).map(drop),
        };
        checked.map_err(|source| {
            invalid(cnb_dockerfile::Error::Parse {
                path: path.clone(),
                source,
            })
        })?;
        let config_path = dir.join(ExtendConfig::FILE);
        let config = ExtendConfig::read_optional(&config_path)
            .map_err(|source| Error::ReadExtendConfig {
                path: config_path,
                source: Box::new(source),
            })?
            .unwrap_or_default();
        let args = match kind {
            Kind::Build => config.build,
            Kind::Run => config.run,
        }
        .map(|args| args.args.into_iter().map(|a| (a.name, a.value)).collect())
        .unwrap_or_default();
        let context = if self.platform_api.keeps_generated_per_extension() {
            [format!("context.{kind}"), "context".to_owned()]
                .iter()
                .map(|name| dir.join(name))
                .find(|candidate| candidate.is_dir())
                .unwrap_or_else(|| self.app_dir.to_owned())
        } else {
            self.app_dir.to_owned()
        };
        Ok(Some(ExtensionDockerfile {
            extension: id.to_owned(),
            path,
            dockerfile,
            args,
            context,
        }))
    }
}
