//! Why the launcher could not launch, and the exit code that says so (platform.md › launcher
//! › Outputs): 11 for the Platform API, 12 for a buildpack's API, 82 for everything else.
//! Messages follow the Go launcher's wording where people and tests read it
//! (`determine start command: when there is no default process a command is required`).

use std::path::PathBuf;

use cnb_api::{ExitKind, UnsupportedApi};

/// A failure before the process was executed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `CNB_PLATFORM_API` or a buildpack's `api` is not supported.
    #[error(transparent)]
    UnsupportedApi(#[from] UnsupportedApi),
    /// `<layers>/config/metadata.toml` could not be read or parsed.
    #[error(transparent)]
    ReadMetadata(cnb_files::Error),
    /// No process could be chosen.
    #[error("determine start command")]
    DetermineStartCommand(#[source] SelectError),
    /// `<app>` is missing or unreadable.
    #[error("change to app directory {}", path.display())]
    AppDir {
        /// `<app>`.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A buildpack's directory or one of its layers could not be listed.
    #[error("list {}", path.display())]
    ListDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Applying a layer's path or env directories failed.
    #[error("modify env")]
    ModifyEnv(#[source] cnb_env::Error),
    /// An exec.d executable failed or could not be run.
    #[error("exec.d")]
    ExecD(#[source] cnb_sys::process::Error),
    /// An exec.d executable wrote something that is not a TOML table of strings.
    #[error("exec.d")]
    ExecDOutput(#[source] cnb_files::Error),
    /// An exec.d executable wrote bytes that are not UTF-8.
    #[error("exec.d: the output of {} is not UTF-8", path.display())]
    ExecDEncoding {
        /// The exec.d executable.
        path: PathBuf,
    },
    /// The selected process has an empty command.
    #[error("no command provided for process type \"{process_type}\"")]
    NoCommand {
        /// The process type.
        process_type: String,
    },
    /// The command of a direct process was not found.
    #[error("path lookup: exec: \"{command}\": {reason}")]
    PathLookup {
        /// The command as given.
        command: String,
        /// Why it was not found.
        reason: String,
    },
    /// A process with arguments names a buildpack that `metadata.toml` does not list.
    #[error("process type '{process_type}' provided by unknown buildpack '{buildpack}'")]
    UnknownBuildpack {
        /// The process type.
        process_type: String,
        /// The buildpack id it names.
        buildpack: String,
    },
    /// Replacing the launcher with the process failed.
    #[error("{mode} exec")]
    Exec {
        /// `direct` or `bash`.
        mode: &'static str,
        /// The cause.
        #[source]
        source: cnb_sys::process::Error,
    },
    /// Supervising the process in init mode failed.
    #[error("init")]
    Init(#[source] cnb_sys::process::Error),
}

impl Error {
    /// The spec's exit code for this failure.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::UnsupportedApi(unsupported) => unsupported.kind(),
            // Go fails to read metadata.toml before launching: a plain failure (1).
            Self::ReadMetadata(_) => ExitKind::Failed,
            _ => ExitKind::LaunchError,
        }
    }

    /// What the launcher failed to do, for `failed to <action>: …` (Go's words).
    pub fn action(&self) -> &'static str {
        match self {
            Self::UnsupportedApi(_) => "verify buildpack API",
            Self::ReadMetadata(_) => "read metadata",
            _ => "launch",
        }
    }
}

/// Why no process could be chosen from `argv` and `metadata.toml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Neither `argv[0]` names a process type nor is a command given.
    #[error("when there is no default process a command is required")]
    NoCommand,
    /// Processes of the type exist, but none is eligible for the execution environment.
    #[error("process type {process_type} is not eligible for execution environment '{exec_env}'")]
    NotEligible {
        /// The process type.
        process_type: String,
        /// `<exec-env>`.
        exec_env: String,
    },
    /// User args need the API of the process's buildpack, which `metadata.toml` does not list.
    #[error("failed to find buildpack for process {process_type} with buildpack ID {buildpack}")]
    UnknownBuildpack {
        /// The process type.
        process_type: String,
        /// The buildpack id the process names.
        buildpack: String,
    },
}
