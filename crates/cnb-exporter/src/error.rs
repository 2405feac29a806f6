//! What the exporter failed at. Everything is an export error (62) except unreadable inputs
//! the platform wrote (group, analyzed and project metadata), which are generic failures (1),
//! and an unsupported Buildpack API in the group (12), as in Go; all of those are found
//! before any export work.

use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_image::{Digest, MediaType, StoreError};

/// A failed export.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// group.toml could not be read.
    #[error(transparent)]
    ReadGroup(Box<cnb_files::Error>),
    /// A group buildpack declares a Buildpack API this lifecycle does not support.
    #[error(transparent)]
    BuildpackApi(#[from] cnb_api::UnsupportedApi),
    /// analyzed.toml could not be read.
    #[error("reading analyzed metadata")]
    ReadAnalyzed(#[source] Box<cnb_files::Error>),
    /// project-metadata.toml could not be read (a missing file is fine).
    #[error(transparent)]
    ReadProjectMetadata(Box<cnb_files::Error>),
    /// `<layers>/config/metadata.toml` or a buildpack's build.toml could not be read.
    #[error("read build metadata")]
    ReadMetadata(#[source] Box<cnb_files::Error>),
    /// The run image could not be read.
    #[error("get run image '{reference}'")]
    ReadRunImage {
        /// The run image.
        reference: String,
        /// The cause; none when the image does not exist.
        #[source]
        source: Option<Box<StoreError>>,
    },
    /// The store could not answer for the previous image.
    #[error("get previous image '{reference}'")]
    ReadPreviousImage {
        /// The previous image.
        reference: String,
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// A buildpack's layers could not be read.
    #[error("reading layers for buildpack '{buildpack}'")]
    ReadLayers {
        /// The buildpack ID.
        buildpack: String,
        /// The cause.
        #[source]
        source: Box<cnb_layers::Error>,
    },
    /// A launch layer has no directory and the previous image does not have it.
    #[error("cannot reuse '{layer}', previous image has no metadata for layer '{layer}'")]
    NoPreviousLayer {
        /// `<buildpack>:<layer>`.
        layer: String,
    },
    /// A launch layer the previous image lists is not in the previous image.
    #[error("reusing layer '{layer}': previous image has no layer with diffID {diff_id}")]
    MissingPreviousLayer {
        /// The layer ID.
        layer: String,
        /// Its diffID.
        diff_id: String,
    },
    /// A `cache=true` launch layer has no directory.
    #[error("layer '{layer}' is cache=true but has no contents")]
    CacheLayerWithoutContents {
        /// `<buildpack>:<layer>`.
        layer: String,
    },
    /// The chosen layer compression cannot run on this CPU (checked before any upload).
    #[error("checking the layer compression")]
    Compression(#[source] Box<cnb_archive::Error>),
    /// A layer could not be archived.
    #[error("creating layer '{layer}'")]
    Archive {
        /// The layer ID.
        layer: String,
        /// The cause.
        #[source]
        source: Box<cnb_archive::Error>,
    },
    /// A blob could not be written or made present in the target repository.
    #[error("exporting layer '{layer}'")]
    Upload {
        /// The layer ID.
        layer: String,
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// A base image layer is neither in the target nor readable from the run image.
    #[error("copying run image layer {digest}")]
    CopyBaseLayer {
        /// The blob.
        digest: Digest,
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// The store asked for layers of a media type that is no layer.
    #[error("the image store wants layers of media type {media_type}, which is not a layer type")]
    LayerMediaType {
        /// What it asked for.
        media_type: MediaType,
    },
    /// `-process-type` names no process.
    #[error("determining entrypoint: tried to set {0} to default but it doesn't exist")]
    UnknownProcessType(String),
    /// A label could not be encoded.
    #[error("encoding label {label}")]
    EncodeLabel {
        /// The label.
        label: &'static str,
        /// The cause.
        #[source]
        source: Box<cnb_files::Error>,
    },
    /// Writing the config or the manifest failed; no tag was written.
    #[error("saving image")]
    Save(#[source] Box<StoreError>),
    /// report.toml could not be written.
    #[error("write export report")]
    WriteReport(#[source] Box<cnb_files::Error>),
    /// A file the exporter manages under `<layers>` could not be written.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The lifecycle's own SBOMs could not be copied into `<layers>/sbom`.
    #[error("failed to copy buildpacksio SBOMs from {path}")]
    CopyLifecycleSboms {
        /// The file or directory that could not be read.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The extended run image in `<extended>/run` could not be read.
    #[error("reading the extended run image")]
    ReadExtendedRunImage {
        /// The cause.
        #[source]
        source: Box<StoreError>,
    },
    /// `analyzed.toml` says the run image is extended, and `<extended>/run` has no image.
    #[error("missing extended run image")]
    MissingExtendedRunImage,
    /// The cache could not be written.
    #[error("exporting cache")]
    Cache(#[source] Box<cnb_cache::Error>),
    /// A cache layer could not be archived.
    #[error("caching layer '{layer}'")]
    CacheLayer {
        /// The layer ID.
        layer: String,
        /// The cause.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// For `map_err`: making layer `layer`'s tar failed.
    pub(crate) fn archive(layer: &str) -> impl Fn(cnb_archive::Error) -> Self + Copy + '_ {
        move |source| Self::Archive {
            layer: layer.to_owned(),
            source: Box::new(source),
        }
    }

    /// For `map_err`: writing layer `layer`'s blob, or making it present, failed.
    pub(crate) fn upload(layer: &str) -> impl Fn(StoreError) -> Self + Copy + '_ {
        move |source| Self::Upload {
            layer: layer.to_owned(),
            source: Box::new(source),
        }
    }

    /// The exit code class.
    pub fn kind(&self) -> ExitKind {
        match self {
            // Go fails to open the app image on its run or previous image with a bare
            // failure (1), in a registry and in a daemon alike.
            Self::ReadGroup(_)
            | Self::ReadAnalyzed(_)
            | Self::ReadProjectMetadata(_)
            | Self::ReadRunImage { .. }
            | Self::ReadPreviousImage { .. }
            | Self::ReadExtendedRunImage { .. }
            | Self::MissingExtendedRunImage => ExitKind::Failed,
            Self::BuildpackApi(error) => error.kind(),
            _ => ExitKind::ExportError,
        }
    }

    /// What Go says it failed to do (`failed to <action>: …`).
    pub fn action(&self) -> &'static str {
        match self {
            Self::ReadExtendedRunImage { .. } | Self::MissingExtendedRunImage => {
                "get extended image config"
            }
            Self::ReadGroup(_) => "read group file",
            Self::BuildpackApi(_) => "verify buildpack API",
            Self::ReadProjectMetadata(_) => "read project metadata file",
            Self::ReadRunImage { .. } | Self::ReadPreviousImage { .. } => "create new app image",
            _ => "export",
        }
    }
}

/// A result with this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
