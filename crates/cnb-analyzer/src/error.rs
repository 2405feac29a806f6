//! What the analyzer failed at; every failure is an analyze error (32).

use std::path::PathBuf;

use cnb_api::ExitKind;

/// A failed analysis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image may not be written with the credentials we have.
    #[error(
        "validating registry write access: failed to ensure registry read/write access to {reference}"
    )]
    WriteAccess {
        /// The image.
        reference: String,
        /// The cause.
        #[source]
        source: cnb_image::StoreError,
    },
    /// The image may not be read with the credentials we have.
    #[error(
        "validating registry read access: failed to ensure registry read access to {reference}"
    )]
    ReadAccess {
        /// The image.
        reference: String,
        /// The cause.
        #[source]
        source: cnb_image::StoreError,
    },
    /// The previous image could not be fetched: its manifest unreadable, larger than any real
    /// one or not matching the digest it is pinned to, or the store not there (a daemon).
    #[error("getting previous image")]
    ReadPreviousImage {
        /// The previous image.
        reference: String,
        /// The cause.
        #[source]
        source: cnb_image::StoreError,
    },
    /// Reading the run image failed.
    #[error("identifying run image {reference}")]
    ReadRunImage {
        /// The run image.
        reference: String,
        /// The cause.
        #[source]
        source: cnb_image::StoreError,
    },
    /// The run image does not exist, so it has no target.
    #[error("run image {reference} not found")]
    RunImageNotFound {
        /// The run image.
        reference: String,
    },
    /// The run image config names no OS (Platform API 0.12 and later).
    #[error("failed to find OS in run image config of {reference}")]
    RunImageWithoutOs {
        /// The run image.
        reference: String,
    },
    /// The previous image's SBOM layer could not be read or extracted.
    #[error("retrieving launch SBOM layer {diff_id} of {reference}")]
    RestoreSbom {
        /// The previous image.
        reference: String,
        /// The SBOM layer's diffID.
        diff_id: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// analyzed.toml could not be written.
    #[error("writing {path}")]
    WriteAnalyzed {
        /// Where.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<cnb_files::Error>,
    },
}

impl Error {
    /// The exit code class: always an analyze error.
    pub fn kind(&self) -> ExitKind {
        ExitKind::AnalyzeError
    }

    /// What was being done, for `failed to <action>: …` (Go's wording).
    pub fn action(&self) -> &'static str {
        match self {
            Self::WriteAccess { .. } | Self::ReadAccess { .. } | Self::ReadPreviousImage { .. } => {
                "initialize analyzer"
            }
            _ => "analyze",
        }
    }
}
