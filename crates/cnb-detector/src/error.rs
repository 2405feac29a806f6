//! The detector's errors (detect and generate), each with the exit code the spec gives it.

use std::path::PathBuf;

use cnb_api::ExitKind;

/// Why detection ended without writing a group.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `order.toml` is missing or malformed.
    #[error("reading order")]
    ReadOrder {
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// `system.toml` is malformed.
    #[error("reading system")]
    ReadSystem {
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// `analyzed.toml` is malformed.
    #[error("reading analyzed metadata")]
    ReadAnalyzed {
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// A buildpack in the order is missing, malformed or declares an unsupported API.
    #[error("verifying the order")]
    Verify {
        /// What loading the buildpack said.
        source: cnb_buildpack::Error,
    },
    /// A composite buildpack's order leads back to itself.
    #[error("composite buildpack {module} includes itself")]
    Cycle {
        /// `id@version`.
        module: String,
    },
    /// No group passed detection.
    #[error("{}", if *errored { "buildpack(s) failed with err" } else { "no buildpacks participating" })]
    NoGroupPassed {
        /// Whether any buildpack errored (exit 21) rather than only failing (exit 20).
        errored: bool,
    },
    /// `group.toml` could not be written.
    #[error("writing group")]
    WriteGroup {
        /// What writing said.
        source: Box<cnb_files::Error>,
    },
    /// `plan.toml` could not be written.
    #[error("writing plan")]
    WritePlan {
        /// What writing said.
        source: Box<cnb_files::Error>,
    },
    /// `run.toml` is malformed (generate step).
    #[error("reading run metadata")]
    ReadRun {
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// A directory for extension outputs could not be made.
    #[error("creating {}", path.display())]
    CreateOutput {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An extension of the group is not in the store any more.
    #[error("looking up extension")]
    LookupExtension {
        /// What loading it said.
        source: cnb_buildpack::Error,
    },
    /// An extension's `bin/generate` could not be started.
    #[error("running extension {extension}")]
    RunGenerate {
        /// `id@version`.
        extension: String,
        /// What starting it said.
        source: Box<cnb_buildpack::Error>,
    },
    /// An extension's generate step could not be prepared (plan, output directory, env).
    #[error("preparing extension {extension}")]
    PrepareGenerate {
        /// `id@version`.
        extension: String,
        /// What failed.
        source: Box<cnb_buildpack::Error>,
    },
    /// An extension's `bin/generate` exited non-zero or was killed.
    #[error("extension {extension} failed: {status}")]
    GenerateFailed {
        /// `id@version`.
        extension: String,
        /// `exit status <code>` or `signal <number>`.
        status: String,
    },
    /// A generated Dockerfile could not be read or does not parse.
    #[error("reading {file} of extension {extension}")]
    ReadDockerfile {
        /// `id@version`.
        extension: String,
        /// `build.Dockerfile` or `run.Dockerfile`.
        file: &'static str,
        /// What reading or parsing said.
        source: Box<cnb_dockerfile::Error>,
    },
    /// A generated Dockerfile breaks the extension rules.
    #[error("invalid {file} of extension {extension}")]
    InvalidDockerfile {
        /// `id@version`.
        extension: String,
        /// `build.Dockerfile` or `run.Dockerfile`.
        file: &'static str,
        /// The rule it breaks.
        source: cnb_dockerfile::Problem,
    },
    /// A generated `extend-config.toml` is malformed.
    #[error("reading extend-config.toml of extension {extension}")]
    ReadExtendConfig {
        /// `id@version`.
        extension: String,
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// A generated `extend-config.toml` sets an argument the lifecycle provides.
    #[error(
        "invalid extend-config.toml of extension {extension}: arg with name {name:?} is not allowed"
    )]
    ReservedExtendArg {
        /// `id@version`.
        extension: String,
        /// `build_id`, `user_id` or `group_id`.
        name: String,
    },
    /// An extension wrote a shared `context` and an image-specific one.
    #[error(
        "extension {extension} provides an image-specific context dir together with a shared context"
    )]
    MixedContexts {
        /// `id@version`.
        extension: String,
    },
    /// A Dockerfile could not be copied to `<generated>` or renamed `….ignore`.
    #[error("placing {}", path.display())]
    Place {
        /// The file or directory being written.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `analyzed.toml` could not be written after generate.
    #[error("writing analyzed metadata")]
    WriteAnalyzed {
        /// What writing said.
        source: Box<cnb_files::Error>,
    },
}

impl Error {
    /// The exit code the spec gives this failure.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::Verify { source } if source.is_unsupported_api() => {
                ExitKind::IncompatibleBuildpackApi
            }
            Self::ReadOrder { .. }
            | Self::ReadSystem { .. }
            | Self::ReadAnalyzed { .. }
            | Self::Verify { .. }
            | Self::Cycle { .. }
            | Self::WriteGroup { .. }
            | Self::WritePlan { .. }
            | Self::ReadRun { .. }
            | Self::WriteAnalyzed { .. } => ExitKind::Failed,
            Self::NoGroupPassed { errored: true } => ExitKind::FailedDetectWithErrors,
            Self::NoGroupPassed { errored: false } => ExitKind::FailedDetect,
            Self::RunGenerate { .. } | Self::GenerateFailed { .. } => {
                ExitKind::FailedGenerateWithErrors
            }
            Self::CreateOutput { .. }
            | Self::LookupExtension { .. }
            | Self::PrepareGenerate { .. }
            | Self::ReadDockerfile { .. }
            | Self::InvalidDockerfile { .. }
            | Self::ReadExtendConfig { .. }
            | Self::ReservedExtendArg { .. }
            | Self::MixedContexts { .. }
            | Self::Place { .. } => ExitKind::GenerateError,
        }
    }

    /// What the lifecycle was doing, for the `failed to <action>: …` line.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ReadOrder { .. }
            | Self::ReadSystem { .. }
            | Self::ReadAnalyzed { .. }
            | Self::Verify { .. }
            | Self::Cycle { .. } => "initialize detector",
            Self::NoGroupPassed { .. } | Self::WriteGroup { .. } | Self::WritePlan { .. } => {
                "detect"
            }
            Self::ReadRun { .. } => "initialize generator",
            // The Go lifecycle reports generate failures as "failed to build".
            Self::CreateOutput { .. }
            | Self::LookupExtension { .. }
            | Self::RunGenerate { .. }
            | Self::PrepareGenerate { .. }
            | Self::GenerateFailed { .. }
            | Self::ReadDockerfile { .. }
            | Self::InvalidDockerfile { .. }
            | Self::ReadExtendConfig { .. }
            | Self::ReservedExtendArg { .. }
            | Self::MixedContexts { .. }
            | Self::Place { .. }
            | Self::WriteAnalyzed { .. } => "build",
        }
    }
}
