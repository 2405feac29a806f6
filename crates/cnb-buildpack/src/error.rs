//! The one error type of this crate. Each variant names the action that failed and carries the
//! module or path; the message never repeats its source.

use std::path::PathBuf;

use cnb_api::UnsupportedApi;

/// A failure to load a module from the store or to run one of its executables.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store has no directory for that kind of module.
    #[error("looking up {module}: no {kind} directory given")]
    NoStore {
        /// `id@version`.
        module: String,
        /// `buildpacks` or `extensions`.
        kind: &'static str,
    },
    /// `buildpack.toml` or `extension.toml` is missing or malformed.
    #[error("reading the descriptor of {module}")]
    ReadDescriptor {
        /// `id@version`.
        module: String,
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// The descriptor declares a Buildpack API this lifecycle does not implement.
    #[error(transparent)]
    Api(#[from] UnsupportedApi),
    /// Listing the module's `bin` directory (to infer its targets) failed.
    #[error("listing {}", path.display())]
    ListBin {
        /// The `bin` directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// None of the module's targets matches the run image's (Platform API 0.12).
    #[error(
        "unable to satisfy target os/arch constraints of {module}; run image: {run_image}, buildpack: {targets}"
    )]
    UnsupportedTarget {
        /// `id@version`.
        module: String,
        /// The run image's target.
        run_image: String,
        /// The module's targets.
        targets: String,
    },
    /// The module has no such executable.
    #[error("{module} has no executable {}", path.display())]
    NoExecutable {
        /// `id@version`.
        module: String,
        /// The path looked at.
        path: PathBuf,
    },
    /// The module's environment could not be assembled (unreadable env files).
    #[error("preparing the environment of {module}")]
    Env {
        /// `id@version`.
        module: String,
        /// What reading the env directories said.
        source: cnb_env::Error,
    },
    /// The temporary build plan could not be created.
    #[error("creating a build plan file for {module}")]
    CreatePlan {
        /// `id@version`.
        module: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The Buildpack Plan for `bin/build` could not be written.
    #[error("writing the buildpack plan of {module}")]
    WritePlan {
        /// `id@version`.
        module: String,
        /// What encoding or writing said.
        source: Box<cnb_files::Error>,
    },
    /// The buildpack's directory in `<layers>` could not be created.
    #[error("creating the layers directory {} of {module}", path.display())]
    CreateLayersDir {
        /// `id@version`.
        module: String,
        /// `<layers>/<escaped id>`.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An extension's `<output>` directory could not be created.
    #[error("creating the output directory {} of {module}", path.display())]
    CreateOutputDir {
        /// `id@version`.
        module: String,
        /// `<parent>/<escaped id>`.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An extension's pre-populated `generate/` directory could not be copied to its output.
    #[error("copying {} of {module}", from.display())]
    CopyOutput {
        /// `id@version`.
        module: String,
        /// `<ext>/generate`.
        from: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The build plan written by `bin/detect` is unreadable or not a build plan.
    #[error("reading the build plan of {module}")]
    ReadPlan {
        /// `id@version`.
        module: String,
        /// What reading or parsing said.
        source: Box<cnb_files::Error>,
    },
    /// A requirement sets a top-level `version` (it belongs in `metadata.version`).
    #[error(
        "{module} requires '{name}' with a top-level \"version\" key, which is not supported; use \"metadata.version\""
    )]
    TopLevelVersion {
        /// `id@version`.
        module: String,
        /// The requirement's name.
        name: String,
    },
    /// An image extension's detect output has `requires`, which only buildpacks may have.
    #[error("extension {module} outputs \"requires\", which is not allowed")]
    ExtensionRequires {
        /// `id@version`.
        module: String,
    },
    /// The executable could not be started.
    #[error("starting {}", path.display())]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Reading the executable's output or waiting for it failed.
    #[error("waiting for {}", path.display())]
    Wait {
        /// The executable.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the failure is an unsupported Buildpack API (exit code 12 in every phase).
    pub fn is_unsupported_api(&self) -> bool {
        matches!(self, Self::Api(_))
    }
}
