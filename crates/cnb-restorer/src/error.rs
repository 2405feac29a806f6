//! What the restorer failed at, with the exit code class of each failure.

use std::path::PathBuf;

use cnb_api::ExitKind;

/// A failed restore.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// group.toml could not be read.
    #[error(transparent)]
    ReadGroup(Box<cnb_files::Error>),
    /// run.toml could not be read (Platform API 0.14 and later re-check the run image).
    #[error(transparent)]
    ReadRun(Box<cnb_files::Error>),
    /// A group buildpack declares an unsupported Buildpack API.
    #[error(transparent)]
    BuildpackApi(#[from] cnb_api::UnsupportedApi),
    /// The run image chosen by the analyzer is no longer readable.
    #[error("selected run image '{reference}' is not accessible")]
    RunImageNotAccessible {
        /// The run image.
        reference: String,
    },
    /// The build image could not be saved for the extender.
    #[error("pull builder image {reference}")]
    PullBuildImage {
        /// The build image.
        reference: String,
        /// The cause (`None`: the registry has no such image).
        #[source]
        source: Option<cnb_image::StoreError>,
    },
    /// The run image to extend could not be saved for the extender.
    #[error("pull run image {reference}")]
    PullRunImage {
        /// The run image.
        reference: String,
        /// The cause (`None`: the registry has no such image).
        #[source]
        source: Option<cnb_image::StoreError>,
    },
    /// The run image extensions switched to could not be read.
    #[error("get run image {reference}")]
    GetRunImage {
        /// The run image.
        reference: String,
        /// The cause (`None`: there is no such image).
        #[source]
        source: Option<cnb_image::StoreError>,
    },
    /// analyzed.toml names a run image that is not an image reference.
    #[error("parsing run image reference")]
    ParseRunImage {
        /// The cause.
        #[source]
        source: cnb_image::ReferenceError,
    },
    /// A file under `<layers>` could not be written or removed.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A TOML file could not be read or written.
    #[error("restoring {path}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<cnb_files::Error>,
    },
    /// A buildpack's layers directory could not be read.
    #[error("reading buildpack layer directory")]
    ReadLayers(#[source] cnb_layers::Error),
}

impl Error {
    /// The exit code class: 12 for an unsupported Buildpack API; 1 for an unreadable group
    /// or run.toml, a run image that is no longer readable, and an image the extender needs
    /// that cannot be saved or read (Go fails those outside the restore itself); a restore
    /// error (42) otherwise.
    pub fn kind(&self) -> ExitKind {
        match self {
            Self::ReadGroup(_)
            | Self::ReadRun(_)
            | Self::RunImageNotAccessible { .. }
            | Self::PullBuildImage { .. }
            | Self::PullRunImage { .. }
            | Self::GetRunImage { .. }
            | Self::ParseRunImage { .. } => ExitKind::Failed,
            Self::BuildpackApi(error) => error.kind(),
            _ => ExitKind::RestoreError,
        }
    }

    /// What was being done, for `failed to <action>: …`.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ReadGroup(_) => "read group file",
            Self::BuildpackApi(_) => "verify buildpack API",
            Self::ReadRun(_) => "read run file",
            Self::RunImageNotAccessible { .. } => "resolve run image",
            _ => "restore",
        }
    }

    pub(crate) fn file(path: &std::path::Path) -> impl FnOnce(cnb_files::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::File {
            path,
            source: Box::new(source),
        }
    }

    pub(crate) fn write(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Write { path, source }
    }
}
