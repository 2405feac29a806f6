//! Everything the detector reads, resolved by the caller: no flags, no process environment.

use std::ffi::OsString;
use std::path::PathBuf;

use cnb_api::PlatformApi;

/// Where the build container describes its distribution; read when analyzed.toml gives the run
/// image's target without one.
pub const DEFAULT_OS_RELEASE: &str = "/etc/os-release";

/// The detector's inputs.
#[derive(Debug, Clone)]
pub struct DetectorConfig {
    /// The Platform API the platform requested.
    pub platform_api: PlatformApi,
    /// `<app>`: the working directory of every `bin/detect`.
    pub app_dir: PathBuf,
    /// `<platform>`: passed to `bin/detect`; its `env/` is the user's environment.
    pub platform_dir: PathBuf,
    /// `<build-config>`: its `env/` is the operator's environment.
    pub build_config_dir: PathBuf,
    /// `<buildpacks>`: the buildpack store.
    pub buildpacks_dir: PathBuf,
    /// `<extensions>`: the extension store.
    pub extensions_dir: PathBuf,
    /// `<generated>`: where extensions' Dockerfiles go.
    pub generated_dir: PathBuf,
    /// `run.toml`: a run image an extension switches to is looked up there (a missing file
    /// lists nothing).
    pub run_path: PathBuf,
    /// How an image reference is named for comparisons (the Go lifecycle's `ParseMaybe`:
    /// registry defaults filled in, a digest dropped); `cnb-cli` passes `cnb_image::image_name`
    /// (the detector never sees image crates).
    pub image_name: fn(&str) -> String,
    /// `order.toml`.
    pub order_path: PathBuf,
    /// `system.toml` (read from Platform API 0.15; a missing file adds nothing).
    pub system_path: PathBuf,
    /// `analyzed.toml`: the run image's target (a missing file only warns).
    pub analyzed_path: PathBuf,
    /// Where `group.toml` is written.
    pub group_path: PathBuf,
    /// Where `plan.toml` is written.
    pub plan_path: PathBuf,
    /// `CNB_EXEC_ENV` (`production` unless the platform says otherwise).
    pub exec_env: String,
    /// The lifecycle's own environment; only the allow-listed variables reach buildpacks.
    pub environ: Vec<(OsString, OsString)>,
    /// The build container's os-release file ([`DEFAULT_OS_RELEASE`]).
    pub os_release_path: PathBuf,
}
