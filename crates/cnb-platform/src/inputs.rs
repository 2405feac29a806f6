//! The resolved inputs of one phase invocation: every value after flag > env > default,
//! placeholders substituted and paths made absolute. Phases never see flags or env; `cnb-cli`
//! maps these fields into each phase's own configuration.

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use cnb_api::{DeprecationMode, ExperimentalMode, Phase, PlatformApi};

/// The logging level (`-log-level` / `CNB_LOG_LEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// Everything, including timings and skipped work.
    Debug,
    /// What a person watching a build wants (the default).
    #[default]
    Info,
    /// Warnings and errors only.
    Warn,
    /// Errors only.
    Error,
}

impl LogLevel {
    /// Parses the level names the Go lifecycle accepts (`warning` and `fatal` included).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" | "warning" => Some(Self::Warn),
            "error" | "fatal" => Some(Self::Error),
            _ => None,
        }
    }
}

/// The gzip implementation for exported layers (`CNB_GZIP_ENGINE`, this lifecycle's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GzipEngine {
    /// `zlib-rs`, the default: the same blob bytes on every CPU and architecture.
    #[default]
    ZlibRs,
    /// `isal`: Intel's ISA-L, faster; the same bytes within one CPU architecture only.
    Isal,
}

impl GzipEngine {
    /// Parses `zlib-rs` (or `zlib`) and `isal`; empty means the default.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "zlib-rs" | "zlib" => Some(Self::ZlibRs),
            "isal" | "isa-l" => Some(Self::Isal),
            _ => None,
        }
    }
}

/// The rebaser's share of an `-images-from` list (`-shard`, `-shard-count` with
/// `JOB_COMPLETION_INDEX`; this lifecycle's own): shard `index` of `count`, counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebaseShard {
    /// Which shard, below `count`.
    pub index: u32,
    /// How many shards the list is split into.
    pub count: NonZeroU32,
}

impl fmt::Display for RebaseShard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Every input of a lifecycle phase, resolved. Fields a phase does not use keep their defaults.
#[expect(
    clippy::struct_excessive_bools,
    reason = "one field per boolean flag of the spec"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The phase these inputs are for.
    pub phase: Phase,
    /// The Platform API the platform requested.
    pub platform_api: PlatformApi,
    /// `-log-level`.
    pub log_level: LogLevel,
    /// `-no-color`.
    pub no_color: bool,
    /// `CNB_DEPRECATION_MODE`.
    pub deprecation_mode: DeprecationMode,
    /// `CNB_EXPERIMENTAL_MODE`.
    pub experimental_mode: ExperimentalMode,

    /// `-app`: the application directory.
    pub app_dir: PathBuf,
    /// `-layers`: the layers directory.
    pub layers_dir: PathBuf,
    /// `-platform`: the platform directory.
    pub platform_dir: PathBuf,
    /// `-buildpacks`: where buildpacks are stored.
    pub buildpacks_dir: PathBuf,
    /// `-extensions`: where image extensions are stored.
    pub extensions_dir: PathBuf,
    /// `-build-config`: operator build configuration.
    pub build_config_dir: PathBuf,
    /// `-generated`: extension output.
    pub generated_dir: PathBuf,
    /// `-extended`: extended run image layers.
    pub extended_dir: PathBuf,
    /// `<kaniko-dir>`: where the restorer saves base images for the extender
    /// (`<kaniko-dir>/cache/base/<digest>`) and the extender keeps its cache. `/kaniko`, as
    /// the spec fixes it, unless `CNB_KANIKO_DIR` (ours) says otherwise.
    pub kaniko_dir: PathBuf,

    /// `-analyzed`.
    pub analyzed_path: PathBuf,
    /// `-group`.
    pub group_path: PathBuf,
    /// `-plan`.
    pub plan_path: PathBuf,
    /// `-order`, after the `<layers>/order.toml`-else-`/cnb/order.toml` rule.
    pub order_path: PathBuf,
    /// `-system`.
    pub system_path: PathBuf,
    /// `-run`.
    pub run_path: PathBuf,
    /// `-stack`.
    pub stack_path: PathBuf,
    /// `-report`.
    pub report_path: PathBuf,
    /// `-project-metadata`.
    pub project_metadata_path: PathBuf,

    /// `-cache-dir`; `None` when unset or empty.
    pub cache_dir: Option<PathBuf>,
    /// `-cache-image`; `None` when unset or empty.
    pub cache_image: Option<String>,
    /// `-launch-cache`; `None` when unset or empty.
    pub launch_cache_dir: Option<PathBuf>,
    /// `-skip-layers` (and the creator's `-skip-restore`).
    pub skip_layers: bool,
    /// `-parallel`.
    pub parallel_export: bool,
    /// `CNB_GZIP_ENGINE`: how exported layers are compressed.
    pub gzip_engine: GzipEngine,

    /// The output image (first positional argument).
    pub output_image: Option<String>,
    /// Additional tags: `-tag` values, or the exporter's and rebaser's further positionals.
    pub additional_tags: Vec<String>,
    /// `-previous-image`; defaults to the output image where the spec says so.
    pub previous_image: Option<String>,
    /// `-run-image` (or the rebaser's deprecated `-image`).
    pub run_image: Option<String>,
    /// `-build-image`.
    pub build_image: Option<String>,
    /// `-daemon`.
    pub use_daemon: bool,
    /// `-layout`.
    pub use_layout: bool,
    /// `-layout-dir`.
    pub layout_dir: Option<PathBuf>,
    /// `-insecure-registry` values and `CNB_INSECURE_REGISTRIES` items, empty ones dropped.
    pub insecure_registries: Vec<String>,
    /// `CNB_REGISTRY_TIMEOUT` (this lifecycle's own): how long a silent registry is waited
    /// for; `None` for the store's default.
    pub registry_timeout: Option<Duration>,

    /// `-process-type`.
    pub process_type: Option<String>,
    /// `-launcher`.
    pub launcher_path: PathBuf,
    /// `-launcher-sbom` ([`LIFECYCLE_DIR`](cnb_api::LIFECYCLE_DIR) when not given).
    pub launcher_sbom_dir: PathBuf,
    /// `-kind` (`build` or `run`).
    pub extend_kind: String,
    /// `-kaniko-cache-ttl`.
    pub kaniko_cache_ttl: Duration,
    /// `-force`.
    pub force_rebase: bool,
    /// `-images-from` (rebaser fleet mode): a file naming app images to rebase in place, one
    /// per line; the image arguments may then be omitted.
    pub images_from: Option<PathBuf>,
    /// `-shard` / `CNB_REBASE_SHARD`, else `-shard-count` / `CNB_REBASE_SHARD_COUNT` with
    /// `JOB_COMPLETION_INDEX` (fleet mode only): the share of the list this run rebases.
    pub rebase_shard: Option<RebaseShard>,
    /// `-merge-reports` (rebaser): per-shard fleet reports, or directories of them, to merge
    /// into one fleet report instead of rebasing.
    pub merge_reports: Vec<PathBuf>,
    /// `-uid` (0 when unset, as in Go).
    pub uid: u32,
    /// `-gid` (0 when unset, as in Go).
    pub gid: u32,
    /// `CNB_EXEC_ENV` (default `production`).
    pub exec_env: String,

    /// The lifecycle's whole environment, for what it hands on: buildpacks get it filtered by
    /// the buildpack contract's allow-list, registry clients read their variables from it.
    pub environ: Environ,

    /// Things worth a warning that do not stop the phase, in the order found.
    pub warnings: Vec<String>,
}

impl Inputs {
    /// The images the phase writes: the output image and its additional tags, without repeats.
    pub fn destination_images(&self) -> Vec<String> {
        let mut images: Vec<String> = Vec::new();
        for image in self.output_image.iter().chain(&self.additional_tags) {
            if !image.is_empty() && !images.contains(image) {
                images.push(image.clone());
            }
        }
        images
    }
}

/// The lifecycle's whole environment. `Debug` shows the variable names only: values may hold
/// credentials (`CNB_REGISTRY_AUTH`, a proxy URL with a password).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Environ(pub Vec<(std::ffi::OsString, std::ffi::OsString)>);

impl std::ops::Deref for Environ {
    type Target = Vec<(std::ffi::OsString, std::ffi::OsString)>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Environ {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl std::fmt::Debug for Environ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}
