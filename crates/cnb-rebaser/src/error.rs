//! [`Error`]: what a rebase failed at, with the image, path or digest, and the exit code and
//! action the lifecycle reports it with.

use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_image::{ReferenceError, StoreError};

/// The rebaser's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a rebase failed at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rebase request named no image to write.
    #[error("no image to write the rebased image to")]
    NoTarget,
    /// An image name did not parse.
    #[error("parsing image name")]
    ParseReference(#[source] ReferenceError),
    /// Reading the app image failed.
    #[error("reading image to rebase {reference}")]
    ReadAppImage {
        /// The app image.
        reference: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// The app image does not exist.
    #[error("image to rebase {reference} not found")]
    AppImageNotFound {
        /// The app image.
        reference: String,
    },
    /// The app image's lifecycle metadata label did not parse.
    #[error("parsing label io.buildpacks.lifecycle.metadata of {reference}")]
    ParseMetadata {
        /// The app image.
        reference: String,
        /// The cause.
        #[source]
        source: Box<cnb_files::Error>,
    },
    /// The app image's `CNB_PLATFORM_API` is not a version.
    #[error("app image {reference} records platform API '{value}', which is not a version")]
    AppPlatformApi {
        /// The app image.
        reference: String,
        /// The recorded value.
        value: String,
    },
    /// No `-run-image` and no run image in the label.
    #[error("-run-image is required when there is no run image metadata available")]
    NoRunImageMetadata,
    /// None of the run image and its mirrors can be read.
    #[error("failed to find accessible run image among {candidates}")]
    NoAccessibleRunImage {
        /// The names tried, comma-separated.
        candidates: String,
    },
    /// Reading the new run image failed.
    #[error("reading run image {reference}")]
    ReadRunImage {
        /// The run image.
        reference: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// The new run image does not exist.
    #[error("run image {reference} not found")]
    RunImageNotFound {
        /// The run image.
        reference: String,
    },
    /// The stack id is missing from one of the images (app images before P0.12).
    #[error("stack not defined on {which}")]
    StackMissing {
        /// `app image` or `new base image`.
        which: &'static str,
    },
    /// The stack ids differ (app images before P0.12).
    #[error("incompatible stack: '{new}' is not compatible with '{app}'")]
    StackMismatch {
        /// The new base's stack id.
        new: String,
        /// The app image's stack id.
        app: String,
    },
    /// A mixins label is not a JSON array of strings.
    #[error("parsing io.buildpacks.stack.mixins of {which}")]
    ParseMixins {
        /// `app image` or `run image`.
        which: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The new base lacks mixins the app image has (app images before P0.12).
    #[error("missing required mixin(s): {missing}")]
    MissingMixins {
        /// The missing mixins, sorted and comma-separated.
        missing: String,
    },
    /// The app image says `io.buildpacks.rebasable=false`.
    #[error("app image is not marked as rebasable; please provide -force to override")]
    NotRebasable,
    /// The new base's target does not satisfy the app image's.
    #[error(
        "unable to satisfy target os/arch constraints; new run image: {new}, old run image: {old}; please provide -force to override"
    )]
    TargetMismatch {
        /// The new base's target, as JSON.
        new: String,
        /// The app image's target, as JSON.
        old: String,
    },
    /// The label's `runImage.topLayer` is not a layer of the app image.
    #[error("top layer '{top_layer}' of the run image not found in {reference}")]
    TopLayerNotFound {
        /// The app image.
        reference: String,
        /// The recorded top layer.
        top_layer: String,
    },
    /// The new run image has no layers.
    #[error("run image {reference} has no layers")]
    EmptyRunImage {
        /// The run image.
        reference: String,
    },
    /// The app's config and manifest list different numbers of layers.
    #[error("{reference} lists {layers} layers but {diff_ids} diffIDs")]
    LayerCountMismatch {
        /// The image.
        reference: String,
        /// Manifest layers.
        layers: usize,
        /// Config diffIDs.
        diff_ids: usize,
    },
    /// The new run image is not named in the label (P≥0.12, without `-force`).
    #[error(
        "new base image '{name}' not found in existing run image metadata: {existing}; please provide -force to override"
    )]
    RunImageNotInMetadata {
        /// The new run image as named.
        name: String,
        /// The label's run image metadata as JSON, or `not found`.
        existing: String,
    },
    /// Encoding the updated lifecycle metadata label failed.
    #[error("encoding label io.buildpacks.lifecycle.metadata")]
    EncodeMetadata(#[source] Box<cnb_files::Error>),
    /// Making a layer present in the output repository failed.
    #[error("placing layer {digest} in {reference}")]
    PlaceLayer {
        /// The output image.
        reference: String,
        /// The layer.
        digest: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// A copied layer arrived with another digest.
    #[error("copied layer {digest} to {reference} but got {got}")]
    CopiedDigest {
        /// The output image.
        reference: String,
        /// The layer.
        digest: String,
        /// What the store computed.
        got: String,
    },
    /// Writing the config or the manifest failed.
    #[error("saving image {reference}")]
    WriteImage {
        /// The output image.
        reference: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// Writing report.toml failed.
    #[error("writing {path}")]
    WriteReport {
        /// The report.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<cnb_files::Error>,
    },
    /// Writing the fleet report failed.
    #[error("writing {path}")]
    WriteFleetReport {
        /// The report.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A fleet report to merge could not be read (or a directory of them listed).
    #[error("reading {path}")]
    ReadFleetReport {
        /// The report or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line of a fleet report to merge is not a fleet result.
    #[error("{path} line {line} is not a fleet report line")]
    ParseFleetReport {
        /// The report.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A directory given to merge holds no shard reports.
    #[error("no shard reports (fleet-report-shard-<index>-of-<count>.jsonl) in {dir}")]
    NoShardReports {
        /// The directory.
        dir: PathBuf,
    },
    /// A report's lines name another shard than the report (its name or first line) does.
    #[error("{path} is the report of {expected} but lists {image} as {found}")]
    ReportShardMismatch {
        /// The report.
        path: PathBuf,
        /// The image of the odd line.
        image: String,
        /// `shard <i>/<n>` or `no shard`, for the report.
        expected: String,
        /// The same, for the line.
        found: String,
    },
    /// Two reports to merge were made for different splits of the list.
    #[error("{first} is the report of {first_shard} but {second} of {second_shard}")]
    InconsistentShards {
        /// One report.
        first: PathBuf,
        /// `shard <i>/<n>` or `no shard`.
        first_shard: String,
        /// Another.
        second: PathBuf,
        /// `shard <i>/<n>` or `no shard`.
        second_shard: String,
    },
    /// Two reports to merge are for the same shard.
    #[error("{first} and {second} are both reports of shard {shard}")]
    ShardReportTwice {
        /// The shard.
        shard: String,
        /// One report.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A shard's report lists an image that falls in another shard.
    #[error("{path} lists {image} in shard {shard}, but it falls in shard {belongs}")]
    ImageInWrongShard {
        /// The report.
        path: PathBuf,
        /// The image.
        image: String,
        /// The report's shard.
        shard: String,
        /// The shard it falls in.
        belongs: String,
    },
    /// Two reports (or two lines of one) list the same image.
    #[error("{image} is listed in {first} and again in {second}")]
    ImageTwice {
        /// The image, as the second listing spells it.
        image: String,
        /// Where it was first.
        first: PathBuf,
        /// Where it was again.
        second: PathBuf,
    },
    /// Some shards of the list have no report.
    #[error("missing the reports of {missing} (of {count} shards)")]
    MissingShards {
        /// The missing shards, `i/n`, comma-separated.
        missing: String,
        /// The shard count.
        count: u32,
    },
}

impl Error {
    /// The exit code class: reports that cannot be merged are bad inputs (3), a run image
    /// that cannot be read a bare failure (1); the rest are rebase errors (72).
    pub fn kind(&self) -> ExitKind {
        match self {
            // Go wraps the missing metadata in "set app image" (72) and fails to open the
            // new run image with a bare failure (1).
            Self::ReadRunImage { .. } | Self::RunImageNotFound { .. } => ExitKind::Failed,
            _ if self.is_merge_error() => ExitKind::InvalidArgs,
            _ => ExitKind::RebaseError,
        }
    }

    /// Whether this is a failure to merge per-shard fleet reports (`-merge-reports`).
    fn is_merge_error(&self) -> bool {
        matches!(
            self,
            Self::ReadFleetReport { .. }
                | Self::ParseFleetReport { .. }
                | Self::NoShardReports { .. }
                | Self::ReportShardMismatch { .. }
                | Self::InconsistentShards { .. }
                | Self::ShardReportTwice { .. }
                | Self::ImageInWrongShard { .. }
                | Self::ImageTwice { .. }
                | Self::MissingShards { .. }
        )
    }

    /// What the lifecycle was doing, for `failed to <action>: …` (Go's wording).
    pub fn action(&self) -> &'static str {
        match self {
            Self::NoRunImageMetadata
            | Self::ReadAppImage { .. }
            | Self::AppImageNotFound { .. }
            | Self::ParseMetadata { .. }
            | Self::NoAccessibleRunImage { .. } => "set app image",
            Self::ReadRunImage { .. } | Self::RunImageNotFound { .. } => "access run image",
            Self::WriteReport { .. } => "write rebase report",
            Self::WriteFleetReport { .. } => "write fleet report",
            _ if self.is_merge_error() => "merge fleet reports",
            _ => "rebase",
        }
    }
}
