//! The errors of this crate: each variant names the action that failed and carries the path
//! or entry name it failed on.

use std::io;
use std::path::PathBuf;

/// A result with this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed archive action.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `lstat`, `stat`, `readlink` or listing a directory failed.
    #[error("reading {path}")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Reading a file's contents into the archive failed.
    #[error("reading {path}")]
    ReadFile {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The contents of an entry were shorter or longer than its header's size.
    #[error("{name} changed size while being archived (header says {expected} bytes)")]
    SizeMismatch {
        /// The entry name.
        name: String,
        /// The size in the header.
        expected: u64,
    },
    /// The entry cannot be described by a tar header as Go writes them.
    #[error("cannot write a tar header for {name}: {reason}")]
    EncodeHeader {
        /// The entry name.
        name: String,
        /// Why not.
        reason: &'static str,
    },
    /// The gzip engine asked for would not give the same bytes on this CPU as elsewhere.
    #[error("the gzip engine cannot run here")]
    GzipEngine {
        /// Why.
        source: cnb_igzip::Error,
    },
    /// Writing to the layer's sink (or compressing into it) failed.
    #[error("writing the layer")]
    WriteLayer {
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A slice path is not a valid `filepath.Match` pattern.
    #[error("failed to check if paths match slice pattern '{pattern}': syntax error in pattern")]
    BadSlicePattern {
        /// The pattern, cleaned.
        pattern: String,
    },
    /// A process type is empty.
    #[error("type is required for all processes")]
    MissingProcessType,
    /// A process type holds a character not allowed in a file name under `/cnb/process`.
    #[error("invalid process type '{0}': type may not contain characters '/><:|&\\'")]
    InvalidProcessType(String),
    /// Reading the archive (or decompressing it) failed.
    #[error("reading the layer archive")]
    ReadArchive {
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An entry would write outside the target, or through a symlink.
    #[error("refusing tar entry {name}: {reason}")]
    UnsafeEntry {
        /// The entry name as it appears in the archive.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// An entry of a type the extractor does not create.
    #[error("unknown file type in tar {typeflag} for {name}")]
    UnsupportedEntry {
        /// The entry name.
        name: String,
        /// The typeflag, as Go prints it (the byte's decimal value).
        typeflag: u8,
    },
    /// Creating, replacing or linking a path during extraction failed.
    #[error("creating {path}")]
    Create {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Setting the mode or owner of an extracted path failed.
    #[error("setting the mode or owner of {path}")]
    SetAttributes {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn write(source: io::Error) -> Self {
        Self::WriteLayer { source }
    }
}
