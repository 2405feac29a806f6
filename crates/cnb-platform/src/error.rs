//! Why inputs could not be resolved. Each error knows the Go lifecycle's action phrase and the
//! spec's exit code.

use cnb_api::ExitKind;

/// An input problem found before the phase starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The number of positional arguments is wrong for the phase.
    #[error("received {got} arguments, but expected 1")]
    ExpectedOneArgument {
        /// How many were given.
        got: usize,
    },
    /// The phase takes an image argument and none was given.
    #[error("at least one image argument is required")]
    ImageArgumentRequired,
    /// The phase takes no positional arguments.
    #[error("received unexpected arguments")]
    UnexpectedArguments,
    /// The output image argument is empty.
    #[error("image argument is required")]
    OutputImageEmpty,
    /// The exporter was given `-run-image`; it reads the run image from analyzed.toml.
    #[error("-run-image is unsupported")]
    RunImageUnsupported,
    /// The exporter was given the deprecated `-image`.
    #[error("-image is unsupported")]
    ImageUnsupported,
    /// Both `-run-image` and the deprecated `-image` were given.
    #[error("supply only one of -run-image or (deprecated) -image")]
    OneRunImageOnly,
    /// `-log-level` names no level.
    #[error("failed to parse log level: not a valid level: {0:?}")]
    LogLevel(String),
    /// `CNB_GZIP_ENGINE` names no engine.
    #[error("CNB_GZIP_ENGINE={0:?} is not a gzip engine (zlib-rs or isal)")]
    GzipEngine(String),
    /// `CNB_REGISTRY_TIMEOUT` is not a positive Go duration.
    #[error("CNB_REGISTRY_TIMEOUT={0:?} is not a positive duration such as 2m or 90s")]
    RegistryTimeout(String),
    /// An experimental feature was requested while `CNB_EXPERIMENTAL_MODE` forbids it.
    #[error("experimental features are disabled by CNB_EXPERIMENTAL_MODE=error (requested: {0})")]
    ExperimentalDisabled(&'static str),
    /// `-uid`/`-gid` or `CNB_USER_ID`/`CNB_GROUP_ID` is not a user or group ID.
    #[error("{name} must be a user or group ID, not {value:?}")]
    InvalidId {
        /// The flag or variable.
        name: String,
        /// What it held.
        value: String,
    },
    /// The current directory, needed to resolve relative paths, cannot be read.
    #[error("cannot read the current directory to resolve relative paths")]
    CurrentDir,
}

impl Error {
    /// The Go lifecycle's action phrase for the failure line (`failed to <action>: <error>`),
    /// if it has one.
    pub fn action(&self) -> Option<&'static str> {
        match self {
            Self::ExpectedOneArgument { .. }
            | Self::ImageArgumentRequired
            | Self::UnexpectedArguments => Some("parse arguments"),
            Self::OutputImageEmpty
            | Self::RunImageUnsupported
            | Self::ImageUnsupported
            | Self::OneRunImageOnly
            | Self::InvalidId { .. }
            | Self::CurrentDir => Some("resolve inputs"),
            Self::LogLevel(_)
            | Self::ExperimentalDisabled(_)
            | Self::GzipEngine(_)
            | Self::RegistryTimeout(_) => None,
        }
    }

    /// The spec's exit code for this failure.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::LogLevel(_)
            | Self::ExperimentalDisabled(_)
            | Self::RegistryTimeout(_)
            | Self::CurrentDir => ExitKind::Failed,
            _ => ExitKind::InvalidArgs,
        }
    }
}
