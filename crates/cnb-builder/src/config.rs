//! Everything the builder reads, resolved by the caller: no flags, no process environment.

use std::ffi::OsString;
use std::path::PathBuf;

use cnb_api::PlatformApi;

/// Where the build container describes its distribution; read when analyzed.toml gives the run
/// image's target without one.
pub const DEFAULT_OS_RELEASE: &str = "/etc/os-release";

/// The builder's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderConfig {
    /// The Platform API the platform requested: it shapes `metadata.toml` and the SBOM output.
    pub platform_api: PlatformApi,
    /// `<app>`: the working directory of every `bin/build`.
    pub app_dir: PathBuf,
    /// `<layers>`: each buildpack's layers, `<layers>/sbom` and `<layers>/config/metadata.toml`.
    pub layers_dir: PathBuf,
    /// `<platform>`: passed to `bin/build`; its `env/` is the user's environment.
    pub platform_dir: PathBuf,
    /// `<build-config>`: its `env/` is the operator's environment.
    pub build_config_dir: PathBuf,
    /// `<buildpacks>`: the buildpack store.
    pub buildpacks_dir: PathBuf,
    /// `group.toml`: the buildpacks to run, in order.
    pub group_path: PathBuf,
    /// `plan.toml`: the resolved build plan.
    pub plan_path: PathBuf,
    /// `analyzed.toml`: the run image's target (a missing file only warns).
    pub analyzed_path: PathBuf,
    /// `CNB_EXEC_ENV` (`production` unless the platform says otherwise).
    pub exec_env: String,
    /// The lifecycle's own environment; only the allow-listed variables reach buildpacks.
    pub environ: Vec<(OsString, OsString)>,
    /// The build container's os-release file ([`DEFAULT_OS_RELEASE`]).
    pub os_release_path: PathBuf,
}

impl BuilderConfig {
    /// `<layers>/config/metadata.toml`, where the build's outcome is written.
    pub fn metadata_path(&self) -> PathBuf {
        self.layers_dir.join("config").join("metadata.toml")
    }

    /// `<layers>/sbom`, emptied before the build and filled with the buildpacks' SBOM files.
    pub fn sbom_dir(&self) -> PathBuf {
        self.layers_dir.join("sbom")
    }
}
