//! The detector's errors, each with the exit code the spec gives it.

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
            | Self::WritePlan { .. } => ExitKind::Failed,
            Self::NoGroupPassed { errored: true } => ExitKind::FailedDetectWithErrors,
            Self::NoGroupPassed { errored: false } => ExitKind::FailedDetect,
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
        }
    }
}
