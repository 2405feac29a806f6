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

    /// A failure with a message of its own (on one line: any line break an argument or a name
    /// brought into it is flattened).
    pub fn message(kind: ExitKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: cnb_api::one_line_text(&message.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_line_whatever_it_quotes() {
        let failure = Failure::message(ExitKind::Usage, "flag provided but not defined: -a\nb\r\n");
        assert_eq!(failure.message, "flag provided but not defined: -a b");
    }
}
