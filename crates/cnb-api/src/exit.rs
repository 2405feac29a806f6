//! The exit-code table (platform.md › each phase's Outputs; Go `platform/exit.go`, `cmd/exit.go`).
//! Errors carry an [`ExitKind`]; only the binaries turn it into a process status.

/// Why a phase ended unsuccessfully, with the spec's exit code for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitKind {
    /// Generic failure (1): unreadable inputs, root refusal, experimental guard, privilege drop.
    Failed,
    /// The command line does not parse (2), as Go's `flag` package exits.
    Usage,
    /// Invalid arguments or inputs (3): positional count, bad or cross-registry references.
    InvalidArgs,
    /// `lifecycle diff` could not read or compare an image (4): not found, unreachable,
    /// refused, or a layer that does not match its diffID. Distinct from 1, which `diff` exits
    /// with when the images differ.
    DiffError,
    /// The Platform API is unset or unsupported (11).
    IncompatiblePlatformApi,
    /// A buildpack or extension declares an unsupported Buildpack API (12).
    IncompatibleBuildpackApi,
    /// No group passed detection and nothing errored (20).
    FailedDetect,
    /// No group passed detection and at least one buildpack errored (21).
    FailedDetectWithErrors,
    /// Any other detect failure (22).
    DetectError,
    /// Analyze failure, including registry access checks (32).
    AnalyzeError,
    /// Restore failure (42).
    RestoreError,
    /// A buildpack's `bin/build` failed (51).
    FailedBuildWithErrors,
    /// Any other build failure (52).
    BuildError,
    /// Export failure, including an unknown process type (62).
    ExportError,
    /// Rebase failure (72).
    RebaseError,
    /// Launch failure before the process was executed (82).
    LaunchError,
    /// An extension's `bin/generate` failed (91).
    FailedGenerateWithErrors,
    /// Any other generate failure (92).
    GenerateError,
    /// Extend failure (102).
    ExtendError,
}

impl ExitKind {
    /// The process exit status for this kind.
    pub const fn code(self) -> u8 {
        match self {
            Self::Failed => 1,
            Self::Usage => 2,
            Self::InvalidArgs => 3,
            Self::DiffError => 4,
            Self::IncompatiblePlatformApi => 11,
            Self::IncompatibleBuildpackApi => 12,
            Self::FailedDetect => 20,
            Self::FailedDetectWithErrors => 21,
            Self::DetectError => 22,
            Self::AnalyzeError => 32,
            Self::RestoreError => 42,
            Self::FailedBuildWithErrors => 51,
            Self::BuildError => 52,
            Self::ExportError => 62,
            Self::RebaseError => 72,
            Self::LaunchError => 82,
            Self::FailedGenerateWithErrors => 91,
            Self::GenerateError => 92,
            Self::ExtendError => 102,
        }
    }
}
