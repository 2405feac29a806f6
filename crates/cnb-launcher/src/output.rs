//! The launcher's only log output: `Warning: …` and `ERROR: …` lines on stderr, in the shape
//! the rest of the lifecycle prints them, coloured only on a terminal without `CNB_NO_COLOR`.
//! A tracing subscriber would cost the launcher size and start-up time for two kinds of line.

use std::io::{IsTerminal, Write};

/// Writes warnings and errors to stderr.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    no_color: bool,
}

impl Output {
    /// Whether stderr is a terminal is asked only when a line is written: a launch that
    /// succeeds makes no system call for it.
    pub(crate) fn new(no_color: bool) -> Self {
        Self { no_color }
    }

    pub(crate) fn warn(self, message: &str) {
        self.line("Warning: ", "33", message);
    }

    pub(crate) fn error(self, message: &str) {
        self.line("ERROR: ", "31", message);
    }

    fn line(self, prefix: &str, ansi: &str, message: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = if !self.no_color && stderr.is_terminal() {
            writeln!(stderr, "\x1b[{ansi};1m{prefix}\x1b[0m{message}")
        } else {
            writeln!(stderr, "{prefix}{message}")
        };
    }
}
