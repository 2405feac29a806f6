//! Plain writes to stdout and stderr for the few lines that are not log events (version,
//! usage). A closed pipe is not worth a panic, so write errors are ignored.

use std::io::Write;

/// Writes `text` to stdout.
pub(crate) fn stdout(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes `text` to stderr.
pub(crate) fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
