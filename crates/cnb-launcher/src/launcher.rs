//! The launcher with its inputs loaded: the Platform API, `<layers>`, `<app>`, `<exec-env>`
//! and `metadata.toml`, with every buildpack's API checked.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use cnb_api::{BuildpackApi, PlatformApi, check_buildpack_api, check_platform_api};
use cnb_files::TomlFile;
use cnb_files::metadata::BuildMetadata;
use cnb_sys::process::Program;

use crate::environment::Layers;
use crate::process::LaunchProcess;
use crate::{Error, Settings, direct, exec_d, shell};

/// The executable that runs shell processes, as in the Go launcher.
pub const BASH: &str = "/bin/bash";
/// The directories the Go exporter puts on `PATH`; the launcher strips them again.
pub const CNB_PATH_DIRS: [&str; 2] = ["/cnb/process", "/cnb/lifecycle"];

/// The launcher, ready to pick and prepare a process.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub(crate) platform_api: PlatformApi,
    pub(crate) layers_dir: PathBuf,
    pub(crate) app_dir: PathBuf,
    pub(crate) exec_env: String,
    pub(crate) metadata: BuildMetadata,
    /// `(id, api)` of every buildpack in `metadata.toml`, in order.
    pub(crate) buildpacks: Vec<(String, BuildpackApi)>,
}

impl Launcher {
    /// Checks the Platform API (exit 11), reads `<layers>/config/metadata.toml` and checks
    /// every buildpack's API (exit 12).
    pub fn load(settings: &Settings) -> Result<Self, Error> {
        let platform_api = check_platform_api(settings.platform_api.as_deref())?;
        let path = settings.layers_dir.join("config").join("metadata.toml");
        let metadata = BuildMetadata::read(&path).map_err(Error::ReadMetadata)?;
        Self::new(platform_api, settings, metadata)
    }

    /// A launcher for already-read `metadata`; checks every buildpack's API.
    pub fn new(
        platform_api: PlatformApi,
        settings: &Settings,
        metadata: BuildMetadata,
    ) -> Result<Self, Error> {
        let buildpacks = metadata
            .buildpacks
            .iter()
            .map(|bp| {
                let api = check_buildpack_api(&bp.display_name(), bp.api.as_deref().unwrap_or(""))?;
                Ok((bp.id.clone(), api))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            platform_api,
            layers_dir: settings.layers_dir.clone(),
            app_dir: settings.app_dir.clone(),
            exec_env: settings.exec_env.clone(),
            metadata,
            buildpacks,
        })
    }

    /// The Platform API in use.
    pub fn platform_api(&self) -> PlatformApi {
        self.platform_api
    }

    /// The API of the buildpack with `id`, if `metadata.toml` lists it.
    pub(crate) fn buildpack_api(&self, id: &str) -> Option<BuildpackApi> {
        self.buildpacks
            .iter()
            .find(|(bp, _)| bp == id)
            .map(|(_, api)| *api)
    }

    /// The process `argv` asks for: the process type named by `argv[0]`'s last path element
    /// with `user_args` applied, or the user's own command (`-- cmd args…` direct,
    /// `cmd args…` through bash).
    pub fn process_for(
        &self,
        argv0: &OsStr,
        user_args: &[OsString],
    ) -> Result<LaunchProcess, Error> {
        self.select(argv0, user_args)
            .map_err(Error::DetermineStartCommand)
    }

    /// Everything up to the exec: the launch environment from `environ` (the container's) and
    /// the buildpacks' layers, exec.d run and applied, and the program that runs `process`:
    /// itself for a direct process, or `bash` sourcing the profiles for a shell one. `caller`
    /// is the launcher's `argv[0]`, which profile scripts see as `$0`.
    pub fn prepare(
        &self,
        process: &LaunchProcess,
        environ: Vec<(OsString, OsString)>,
        caller: &OsStr,
    ) -> Result<Program, Error> {
        std::fs::metadata(&self.app_dir)
            .and_then(|meta| {
                if meta.is_dir() {
                    Ok(())
                } else {
                    Err(std::io::ErrorKind::NotADirectory.into())
                }
            })
            .map_err(|source| Error::AppDir {
                path: self.app_dir.clone(),
                source,
            })?;
        let layers = Layers::list(self)?;
        let mut env = layers.launch_env(environ, &process.r#type)?;
        exec_d::run_all(&layers, &process.r#type, &mut env, &self.app_dir)?;
        let working_dir = self.working_dir(process);
        let env: Vec<(OsString, OsString)> = env.into_iter().collect();
        if process.direct {
            direct::program(process, env, working_dir)
        } else {
            let profiles = layers.profiles(&process.r#type, &self.app_dir)?;
            shell::program(self, process, &profiles, caller, env, &working_dir)
        }
    }

    /// The process's `working-dir` (relative ones from `<app>`), else `<app>`.
    fn working_dir(&self, process: &LaunchProcess) -> PathBuf {
        match &process.working_dir {
            Some(dir) if !dir.as_os_str().is_empty() => self.app_dir.join(dir),
            _ => self.app_dir.clone(),
        }
    }

    /// `<layers>`.
    pub(crate) fn layers_dir(&self) -> &Path {
        &self.layers_dir
    }
}
