//! The builder's errors, each with the exit code the spec gives it.

use std::path::PathBuf;

use cnb_api::{ExitKind, UnsupportedApi};

/// Why the build stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `group.toml` is missing or malformed.
    #[error(transparent)]
    ReadGroup(Box<cnb_files::Error>),
    /// `plan.toml` is missing or malformed.
    #[error(transparent)]
    ReadPlan(Box<cnb_files::Error>),
    /// `analyzed.toml` is malformed.
    #[error(transparent)]
    ReadAnalyzed(Box<cnb_files::Error>),
    /// A buildpack in the group declares an unsupported Buildpack API.
    #[error(transparent)]
    Api(#[from] UnsupportedApi),
    /// The previous `<layers>/sbom` could not be removed.
    #[error("removing {}", path.display())]
    CleanSbom {
        /// `<layers>/sbom`.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A group buildpack is missing from the store or has a malformed descriptor.
    #[error("looking up buildpack {buildpack}")]
    Lookup {
        /// `id@version`.
        buildpack: String,
        /// What loading it said.
        source: Box<cnb_buildpack::Error>,
    },
    /// `bin/build` could not be prepared or started.
    #[error("running buildpack {buildpack}")]
    Run {
        /// `id@version`.
        buildpack: String,
        /// What preparing or starting it said.
        source: Box<cnb_buildpack::Error>,
    },
    /// `bin/build` exited non-zero or was killed.
    #[error("buildpack {buildpack} failed: {status}")]
    BuildpackFailed {
        /// `id@version`.
        buildpack: String,
        /// `exit status <code>` or `signal <number>`.
        status: String,
    },
    /// The buildpack's layers could not be read or an ignored one moved aside.
    #[error("processing the layers of {buildpack}")]
    Layers {
        /// `id@version`.
        buildpack: String,
        /// What reading the layers said.
        source: Box<cnb_layers::Error>,
    },
    /// A build layer's env files could not be read.
    #[error("adding the build layers of {buildpack} to the environment")]
    Env {
        /// `id@version`.
        buildpack: String,
        /// What reading the env directories said.
        source: cnb_env::Error,
    },
    /// `launch.toml` or `build.toml` is malformed or does not fit the buildpack's API.
    #[error("reading the output of {buildpack}")]
    ReadOutput {
        /// `id@version`.
        buildpack: String,
        /// What reading or checking the file said.
        source: Box<cnb_files::Error>,
    },
    /// An `[[unmet]]` entry of `build.toml` has no name.
    #[error("reading the output of {buildpack}: unmet.name is required")]
    UnmetWithoutName {
        /// `id@version`.
        buildpack: String,
    },
    /// An `[[unmet]]` entry names something the buildpack was not asked for.
    #[error(
        "reading the output of {buildpack}: unmet.name '{name}' must match a requested dependency"
    )]
    UnmetNotInPlan {
        /// `id@version`.
        buildpack: String,
        /// The unmet name.
        name: String,
    },
    /// `launch.toml` marks more than one process as the default.
    #[error("reading the output of {buildpack}: multiple default process types aren't allowed")]
    MultipleDefaults {
        /// `id@version`.
        buildpack: String,
    },
    /// A legacy `[[bom]]` entry has a top-level `version`.
    #[error(
        "reading the output of {buildpack}: bom entry '{name}' has a top level version which is not allowed; use metadata.version"
    )]
    BomVersion {
        /// `id@version`.
        buildpack: String,
        /// The entry's name.
        name: String,
    },
    /// The buildpack's layers directory could not be listed for SBOM files.
    #[error("listing SBOM files in {}", path.display())]
    ListSbom {
        /// `<layers>/<escaped id>`.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An SBOM file's extension names no supported format.
    #[error("unsupported SBOM file format: '{}'", path.display())]
    UnsupportedSbom {
        /// The file.
        path: PathBuf,
    },
    /// An SBOM file's format is not in the buildpack's `sbom-formats`.
    #[error(
        "validating SBOM file '{}' for buildpack '{buildpack}': undeclared SBOM media type '{media_type}'",
        path.display()
    )]
    UndeclaredSbom {
        /// `id@version`.
        buildpack: String,
        /// The file.
        path: PathBuf,
        /// The media type its extension names.
        media_type: &'static str,
    },
    /// An SBOM file could not be copied under `<layers>/sbom`.
    #[error("copying SBOM file {} to {}", from.display(), to.display())]
    CopySbom {
        /// The buildpack's file.
        from: PathBuf,
        /// The destination.
        to: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A legacy BOM file (`sbom.legacy.json`) could not be written.
    #[error("writing legacy BOM {}", path.display())]
    WriteLegacyBom {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `<layers>/config/metadata.toml` could not be written.
    #[error(transparent)]
    WriteMetadata(Box<cnb_files::Error>),
}

impl Error {
    /// The exit code the spec gives this failure: 51 when a buildpack failed, 12 for an
    /// unsupported Buildpack API, 1 for unreadable inputs and the unwritable result (as in Go),
    /// 52 for everything else.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::ReadGroup(_)
            | Self::ReadPlan(_)
            | Self::ReadAnalyzed(_)
            | Self::WriteMetadata(_) => ExitKind::Failed,
            Self::Api(_) => ExitKind::IncompatibleBuildpackApi,
            Self::Lookup { source, .. } if source.is_unsupported_api() => {
                ExitKind::IncompatibleBuildpackApi
            }
            // Go counts a `bin/build` that cannot be started as the buildpack's failure.
            Self::Run { source, .. }
                if matches!(
                    **source,
                    cnb_buildpack::Error::Spawn { .. } | cnb_buildpack::Error::Wait { .. }
                ) =>
            {
                ExitKind::FailedBuildWithErrors
            }
            Self::BuildpackFailed { .. } => ExitKind::FailedBuildWithErrors,
            _ => ExitKind::BuildError,
        }
    }

    /// What the lifecycle was doing, for the `failed to <action>: …` line.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ReadGroup(_) => "read group file",
            Self::ReadPlan(_) => "read plan file",
            Self::ReadAnalyzed(_) => "read analyzed metadata",
            Self::Api(_) => "verify buildpack API",
            Self::WriteMetadata(_) => "write build metadata",
            _ => "build",
        }
    }
}
