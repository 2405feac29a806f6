//! What can go wrong while extending, and the exit code each failure gets: reading the
//! phase's own inputs is a plain failure (1), as in Go's "initialize extender"; everything
//! about applying the Dockerfiles is an extend failure (102).

use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_dockerfile::Kind;

/// A failure of the extender.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// group.toml or analyzed.toml could not be read.
    #[error("reading {}", path.display())]
    ReadInput {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<cnb_files::Error>,
    },
    /// analyzed.toml names no image of the kind to extend.
    #[error("analyzed.toml has no {kind} image reference to extend")]
    NoImage {
        /// `build` or `run`.
        kind: Kind,
    },
    /// The image reference is not pinned to a digest.
    #[error("the {kind} image reference '{reference}' has no digest")]
    NotADigest {
        /// `build` or `run`.
        kind: Kind,
        /// The reference from analyzed.toml.
        reference: String,
    },
    /// The restorer's copy of the base image is missing or unreadable.
    #[error("reading the base image saved by the restorer at {}", path.display())]
    ReadBase {
        /// The layout directory.
        path: PathBuf,
        /// Why.
        source: Box<BaseError>,
    },
    /// An extension's extend-config.toml could not be read.
    #[error("reading {}", path.display())]
    ReadExtendConfig {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<cnb_files::Error>,
    },
    /// An extension's Dockerfile could not be read or parsed, or breaks the rules.
    #[error("extension '{extension}'")]
    Dockerfile {
        /// The extension's id.
        extension: String,
        /// Why.
        source: Box<cnb_dockerfile::Error>,
    },
    /// An instruction failed.
    #[error("extension '{extension}': {} line {line}: {instruction}", path.display())]
    Instruction {
        /// The extension's id.
        extension: String,
        /// The Dockerfile.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// The instruction as written (one line).
        instruction: String,
        /// Why.
        source: Box<StepError>,
    },
    /// The layer cache could not be opened.
    #[error("opening the layer cache")]
    Cache {
        /// Why.
        source: Box<StepError>,
    },
    /// The run image would run as root.
    #[error(
        "the final user ID is 0 (root); add an extension whose run.Dockerfile sets a non-root USER"
    )]
    FinalUserRoot,
    /// The extended image could not be written.
    #[error("writing the extended run image to {}", path.display())]
    WriteOutput {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A layout blob could not be written.
    #[error("writing the extended run image")]
    Layout(#[from] Box<cnb_layout::Error>),
}

impl From<cnb_layout::Error> for Error {
    fn from(error: cnb_layout::Error) -> Self {
        Self::Layout(Box::new(error))
    }
}

impl Error {
    /// How the spec's exit codes classify this failure.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::ReadInput { .. } => ExitKind::Failed,
            _ => ExitKind::ExtendError,
        }
    }
}

/// Why the restorer's copy of the base image could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    /// There is no layout there (the restorer did not run with `-build-image` or for an
    /// extended run image).
    #[error("no OCI layout there (did the restorer save the image?)")]
    Missing,
    /// The layout could not be read.
    #[error(transparent)]
    Layout(#[from] cnb_layout::Error),
    /// The layout holds an index or something else than one image manifest.
    #[error("the layout does not hold one image manifest")]
    NotAManifest,
    /// The manifest or config does not parse.
    #[error(transparent)]
    Parse(#[from] cnb_image::ParseError),
    /// The config blob is missing.
    #[error("the config blob {digest} is missing")]
    MissingConfig {
        /// Its digest.
        digest: cnb_image::Digest,
    },
}

/// Why one instruction failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A variable in an argument could not be expanded.
    #[error(transparent)]
    Expansion(#[from] cnb_dockerfile::ExpansionError),
    /// The instruction uses something this extender does not do.
    #[error("{what} is not supported by this extender")]
    Unsupported {
        /// What, such as "RUN --mount".
        what: String,
    },
    /// A user or group named by USER or `--chown` is not in the image.
    #[error("no {what} '{name}' in the image's {}", file.display())]
    UnknownUser {
        /// `user` or `group`.
        what: &'static str,
        /// The name.
        name: String,
        /// `/etc/passwd` or `/etc/group`.
        file: PathBuf,
    },
    /// An argument has the wrong shape (a `--chmod` that is not octal, a bad port).
    #[error("invalid {what} '{value}'")]
    Invalid {
        /// What, such as "--chmod".
        what: &'static str,
        /// The value.
        value: String,
    },
    /// The RUN command could not be started.
    #[error("starting {}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The RUN command could not be confined to the image root and user.
    #[error("preparing the command")]
    Confine(#[from] cnb_sys::process::Error),
    /// The RUN command failed.
    #[error("the command failed ({status})")]
    Failed {
        /// How it ended, such as "exited with status 3".
        status: String,
    },
    /// A COPY or ADD source is not in the build context.
    #[error("'{source_path}' is not in the build context {}", context.display())]
    MissingSource {
        /// The source as written (expanded).
        source_path: String,
        /// The context directory.
        context: PathBuf,
    },
    /// A COPY or ADD source leaves the build context.
    #[error("'{source_path}' is outside the build context")]
    OutsideContext {
        /// The source.
        source_path: String,
    },
    /// A file operation in the image root or the context failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done, such as "copying to".
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An ADD archive could not be unpacked.
    #[error("unpacking {}", path.display())]
    Unpack {
        /// The archive.
        path: PathBuf,
        /// Why.
        source: cnb_archive::Error,
    },
    /// The change the instruction made could not be snapshotted.
    #[error("snapshotting the change")]
    Snapshot(#[from] crate::snapshot::SnapshotError),
}

impl StepError {
    /// A file operation error.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
