//! What the exporter is told: paths, the images to write, and the values the platform
//! resolved (process type, `SOURCE_DATE_EPOCH`, ownership). No flags, no environment.

use std::path::PathBuf;

use cnb_api::PlatformApi;
use cnb_archive::Compression;
use cnb_files::labels::LauncherMetadata;
use cnb_files::run::RunImageForExport;
use cnb_image::{ImageRef, Platform};

/// The exporter's resolved configuration.
#[derive(Debug, Clone)]
pub struct ExporterConfig {
    /// The requested Platform API.
    pub platform_api: PlatformApi,
    /// `<app>`, absolute.
    pub app_dir: PathBuf,
    /// `<layers>`, absolute.
    pub layers_dir: PathBuf,
    /// group.toml.
    pub group_path: PathBuf,
    /// analyzed.toml.
    pub analyzed_path: PathBuf,
    /// project-metadata.toml (missing is fine).
    pub project_metadata_path: PathBuf,
    /// report.toml, written once the image is saved.
    pub report_path: PathBuf,
    /// The image to write (`<image>`'s first value).
    pub output_image: ImageRef,
    /// The other `<image>` values, each tagged with the same manifest.
    pub additional_tags: Vec<ImageRef>,
    /// How logs and report.toml name the output image and the tags, in that order, as the
    /// platform spelled them; empty to print the parsed references.
    pub tag_names: Vec<String>,
    /// The run image to build on: analyzed.toml's `[run-image] reference` in a registry,
    /// its name in an OCI layout.
    pub run_image: ImageRef,
    /// The image to reuse layers from (analyzed.toml's `[image]`), if any.
    pub previous_image: Option<ImageRef>,
    /// How the run image is recorded in the label's `runImage.image`/`mirrors` and `stack`
    /// (from run.toml or stack.toml).
    pub run_image_for_export: RunImageForExport,
    /// The launcher binary for `/cnb/lifecycle/launcher`.
    pub launcher_path: PathBuf,
    /// The lifecycle's own directory (`/cnb/lifecycle`): where `lifecycle.sbom.<ext>` is and,
    /// unless `launcher_sbom_dir` is set, `launcher.sbom.<ext>`.
    pub lifecycle_dir: PathBuf,
    /// `-launcher-sbom` when it names a directory other than the lifecycle's own: its files
    /// named `*sbom.<ext>` are the launcher's SBOMs.
    pub launcher_sbom_dir: Option<PathBuf>,
    /// The launcher's `version` and `source` for the build metadata label.
    pub launcher_metadata: LauncherMetadata,
    /// `-process-type`: the default process, which must exist.
    pub process_type: Option<String>,
    /// `CNB_EXEC_ENV`, recorded in `io.buildpacks.exec-env` (Platform API 0.15).
    pub exec_env: String,
    /// The image's `created` time in seconds since the epoch (`SOURCE_DATE_EPOCH`), or
    /// `None` for the constant 1980-01-01T00:00:01Z.
    pub created: Option<i64>,
    /// Owner of buildpack, app, SBOM and config layer entries.
    pub uid: u32,
    /// Group of those entries.
    pub gid: u32,
    /// The platform images are read for.
    pub platform: Platform,
    /// How new layers are compressed (gzip by the chosen engine).
    pub compression: Compression,
}
