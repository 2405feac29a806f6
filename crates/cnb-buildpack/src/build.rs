//! One `bin/build` run (buildpack.md › Build): cwd `<app>`, arguments `<layers>/<escaped id>
//! <platform> <bp plan>`, the module's environment (the accumulated build env, the user's and
//! operator's env) plus `CNB_LAYERS_DIR`, `CNB_PLATFORM_DIR`, `CNB_BP_PLAN_PATH`,
//! `CNB_TARGET_*` and `CNB_EXEC_ENV` as its Buildpack API asks. Its stdout and stderr both
//! stream to the lifecycle's stdout, as the Go lifecycle streams them. What the buildpack leaves
//! in its layers directory is the caller's to read.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::buildpack_plan::BuildpackPlan;

use crate::contract::{Step, Surroundings, contract_env};
use crate::{Error, Invocation, Module, RunTarget, escape_id};

/// What every `bin/build` of a build shares.
#[derive(Debug, Clone, Copy)]
pub struct BuildInputs<'a> {
    /// `<app>`: the working directory.
    pub app_dir: &'a Path,
    /// `<layers>`: each buildpack gets `<layers>/<escaped id>`.
    pub layers_dir: &'a Path,
    /// `<platform>`: the second argument, and the source of user env (`<platform>/env`).
    pub platform_dir: &'a Path,
    /// `<build-config>`: the operator's env (`<build-config>/env`), if any.
    pub build_config_dir: Option<&'a Path>,
    /// The run image's target (`CNB_TARGET_*`).
    pub target: &'a RunTarget,
    /// `CNB_EXEC_ENV`, when the platform sets one.
    pub exec_env: Option<&'a str>,
}

/// How one `bin/build` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRun {
    /// `<layers>/<escaped id>`: where the buildpack wrote its layers and outputs.
    pub layers_dir: PathBuf,
    /// The exit status.
    pub status: ExitStatus,
}

/// Runs `module`'s `bin/build` with `plan` as its Buildpack Plan and `env` as the environment
/// accumulated from earlier buildpacks' build layers. Creates `<layers>/<escaped id>` first.
/// A non-zero exit is not an error here: [`BuildRun::status`] says how it ended. Errors are
/// failures to prepare the run or to start it ([`Error::Spawn`]).
pub fn build(
    module: &Module,
    plan: &BuildpackPlan,
    env: &Env,
    inputs: &BuildInputs<'_>,
) -> Result<BuildRun, Error> {
    let escaped = escape_id(module.id());
    let bp_layers_dir = inputs.layers_dir.join(&escaped);
    std::fs::create_dir_all(&bp_layers_dir).map_err(|source| Error::CreateLayersDir {
        module: module.display_name(),
        path: bp_layers_dir.clone(),
        source,
    })?;
    let plan_dir = tempfile::Builder::new()
        .prefix(&format!("{escaped}-"))
        .tempdir()
        .map_err(|source| Error::CreatePlan {
            module: module.display_name(),
            source,
        })?;
    let plan_path = plan_dir.path().join("plan.toml");
    plan.write(&plan_path).map_err(|source| Error::WritePlan {
        module: module.display_name(),
        source: Box::new(source),
    })?;

    let around = Surroundings {
        platform_dir: inputs.platform_dir,
        build_config_dir: inputs.build_config_dir,
        target: inputs.target,
        exec_env: inputs.exec_env,
    };
    let step = Step::Build {
        plan: &plan_path,
        layers: &bp_layers_dir,
    };
    let env = contract_env(module, env, &around, step)?;
    let invocation = Invocation {
        program: module.executable("build"),
        args: vec![
            bp_layers_dir.clone().into(),
            inputs.platform_dir.into(),
            plan_path.into(),
        ],
        env,
        cwd: inputs.app_dir.to_path_buf(),
    };
    let status = invocation.run_to_stdout()?;
    Ok(BuildRun {
        layers_dir: bp_layers_dir,
        status,
    })
}

#[cfg(test)]
mod tests;
