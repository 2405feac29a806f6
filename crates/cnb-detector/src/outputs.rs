//! What one extension's generate step left in its `<output>` directory (Go
//! `readOutputFilesExt`): `extend-config.toml` (valid TOML, no argument the lifecycle provides),
//! `run.Dockerfile` and `build.Dockerfile` checked against the extension rules of
//! `cnb-dockerfile` (instructions outside the recommended set are warnings), and at most one
//! kind of build context (`context`, or `context.build` / `context.run`).

use std::path::{Path, PathBuf};

use cnb_dockerfile::{Dockerfile, Kind, validate_build, validate_run};
use cnb_files::TomlFile;
use cnb_files::extend_config::ExtendConfig;

use crate::Error;

/// A Dockerfile an extension generated, as the run-image switch and the copy to `<generated>`
/// see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Generated {
    /// The extension's ID.
    pub(crate) extension: String,
    /// `build` or `run`.
    pub(crate) kind: Kind,
    /// Where the extension wrote it.
    pub(crate) path: PathBuf,
    /// For a run.Dockerfile, the image its FROM names when that is not `${base_image}`.
    pub(crate) new_base: Option<String>,
    /// For a run.Dockerfile, whether it has instructions after FROM.
    pub(crate) extend: bool,
    /// For a run.Dockerfile, whether a later one switches the run image, which makes this one
    /// pointless: it is kept as `….ignore`.
    pub(crate) ignore: bool,
}

/// Reads and checks the outputs of extension `module` (`id@version`, ID `id`) in `dir`; returns
/// its Dockerfiles, run.Dockerfile first, as the Go lifecycle orders them.
pub(crate) fn read_outputs(id: &str, module: &str, dir: &Path) -> Result<Vec<Generated>, Error> {
    check_extend_config(module, &dir.join(ExtendConfig::FILE))?;
    let mut found = Vec::new();
    for kind in [Kind::Run, Kind::Build] {
        let path = dir.join(kind.file_name());
        if !path.exists() {
            continue;
        }
        let invalid = |source| Error::InvalidDockerfile {
            extension: module.to_owned(),
            file: kind.file_name(),
            source,
        };
        let dockerfile = Dockerfile::read(&path).map_err(|source| Error::ReadDockerfile {
            extension: module.to_owned(),
            file: kind.file_name(),
            source: Box::new(source),
        })?;
        let (warnings, new_base, extend) = match kind {
            Kind::Build => (validate_build(&dockerfile).map_err(invalid)?, None, false),
            Kind::Run => {
                let verdict = validate_run(&dockerfile).map_err(invalid)?;
                (verdict.warnings, verdict.new_base, verdict.extend)
            }
        };
        for warning in warnings {
            tracing::warn!(
                "{} command {} on line {} is not recommended",
                kind.file_name(),
                warning.instruction,
                warning.line
            );
        }
        tracing::debug!("Found {} for processing", kind.file_name());
        found.push(Generated {
            extension: id.to_owned(),
            kind,
            path,
            new_base,
            extend,
            ignore: false,
        });
    }
    check_contexts(module, dir)?;
    Ok(found)
}

/// `extend-config.toml`, when present, must parse and may not set `build_id`, `user_id` or
/// `group_id` (the Go lifecycle's rule; the spec allows any name).
fn check_extend_config(module: &str, path: &Path) -> Result<(), Error> {
    let config = ExtendConfig::read_optional(path).map_err(|source| Error::ReadExtendConfig {
        extension: module.to_owned(),
        source: Box::new(source),
    })?;
    if let Some(name) = config.as_ref().and_then(ExtendConfig::lifecycle_arg) {
        return Err(Error::ReservedExtendArg {
            extension: module.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// `context` may not come with `context.build` or `context.run`.
fn check_contexts(module: &str, dir: &Path) -> Result<(), Error> {
    let shared = dir.join("context").is_dir();
    let specific = ["context.build", "context.run"]
        .iter()
        .any(|name| dir.join(name).is_dir());
    if shared && specific {
        return Err(Error::MixedContexts {
            extension: module.to_owned(),
        });
    }
    Ok(())
}
