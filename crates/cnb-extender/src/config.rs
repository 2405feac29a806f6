//! Everything the extender reads, resolved by the caller: no flags, no process environment.

use std::path::PathBuf;
use std::time::Duration;

use cnb_api::PlatformApi;

/// Where the kernel lists the mounts this process sees; every mount point is left out of
/// snapshots.
pub const DEFAULT_MOUNTINFO: &str = "/proc/self/mountinfo";

/// The extender's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtenderConfig {
    /// The Platform API the platform requested (it decides the layout of `<generated>`).
    pub platform_api: PlatformApi,
    /// The root file system the Dockerfiles change: `/`, the container's own. Tests use an
    /// image root in a temporary directory (RUN then runs `chroot`ed into it).
    pub root: PathBuf,
    /// `<app>`: the build context when an extension gives none; never part of a layer.
    pub app_dir: PathBuf,
    /// `<layers>`: never part of a layer.
    pub layers_dir: PathBuf,
    /// `<platform>`: never part of a layer.
    pub platform_dir: PathBuf,
    /// `<generated>`: the extensions' Dockerfiles, extend-config.toml files and contexts.
    pub generated_dir: PathBuf,
    /// `<extended>`: where `-kind run` writes the extended run image.
    pub extended_dir: PathBuf,
    /// `<kaniko-dir>`: the restorer's copy of the base image and the layer cache.
    pub kaniko_dir: PathBuf,
    /// `group.toml`: the extensions, in order.
    pub group_path: PathBuf,
    /// `analyzed.toml`: the image to extend.
    pub analyzed_path: PathBuf,
    /// How long a cached layer may be reused (`-kaniko-cache-ttl`).
    pub cache_ttl: Duration,
    /// The mount table ([`DEFAULT_MOUNTINFO`]).
    pub mountinfo_path: PathBuf,
}
