//! Shared by the targets: turning raw bytes into what an entry point takes, and the checks
//! every error must pass.

use std::error::Error;

/// `data` as text, as `read_to_string` would give it to a phase; `None` when it is not UTF-8
/// (a phase then fails to read the file, before any parser sees it).
pub(crate) fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `data` cut at each NUL byte into at most `count` parts (the last keeps any further NULs).
/// Text formats cannot contain NUL, so one input can carry several documents.
pub(crate) fn parts(data: &[u8], count: usize) -> Vec<&[u8]> {
    data.splitn(count, |&byte| byte == 0).collect()
}

/// The error as the phases print it (`cnb_api::one_line`), checked to be one line.
pub(crate) fn one_line(error: &dyn Error) -> String {
    let line = cnb_api::one_line(error);
    assert!(
        !line.contains(['\n', '\r']),
        "an error is more than one line: {line:?}"
    );
    line
}
