//! A failed run, as the platform sees it: one line and an exit code.

use std::error::Error as StdError;

use cnb_api::ExitKind;

/// Why the lifecycle is about to exit unsuccessfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Determines the exit code.
    pub kind: ExitKind,
    /// The one-line message, without the `ERROR: ` prefix.
    pub message: String,
}

impl Failure {
    /// `failed to <action>: <error>: <cause>: …`, the Go lifecycle's shape, on one line.
    pub fn new(kind: ExitKind, action: Option<&str>, error: &dyn StdError) -> Self {
        let mut message = action
            .map(|action| format!("failed to {action}: "))
            .unwrap_or_default();
        message.push_str(&cnb_api::one_line(error));
        Self { kind, message }
    }

    /// A failure with a message of its own.
    pub fn message(kind: ExitKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}
