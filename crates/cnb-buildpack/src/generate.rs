//! One image extension's `bin/generate` (`image_extension.md` › Generation; Go
//! `DefaultGenerateExecutor`): cwd `<app>`, arguments `<output> <platform> <plan>`, the
//! contract's environment (`CNB_OUTPUT_DIR`, `CNB_BP_PLAN_PATH`, `CNB_PLATFORM_DIR`,
//! `CNB_EXTENSION_DIR`, `CNB_TARGET_*`), both output streams to the lifecycle's stdout. The
//! `<output>` directory is `<parent>/<escaped id>`; an extension without `bin/generate` has its
//! `generate/` directory copied there instead, so that callers always read one place. What the
//! extension wrote (Dockerfiles, `extend-config.toml`, contexts) is the caller's to read.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::buildpack_plan::BuildpackPlan;

use crate::contract::{Step, Surroundings, contract_env};
use crate::{Error, Invocation, Module, RunTarget, escape_id};

/// What every `bin/generate` of a detection shares.
#[derive(Debug, Clone, Copy)]
pub struct GenerateInputs<'a> {
    /// `<app>`: the working directory.
    pub app_dir: &'a Path,
    /// `<platform>`: the second argument, and the source of user env (`<platform>/env`).
    pub platform_dir: &'a Path,
    /// `<build-config>`: the operator's env (`<build-config>/env`), if any.
    pub build_config_dir: Option<&'a Path>,
    /// The base environment (the lifecycle's, allow-listed).
    pub base_env: &'a Env,
    /// The run image's target (`CNB_TARGET_*`).
    pub target: &'a RunTarget,
    /// Where each extension's `<output>` directory is made: `<generated>` from Platform API
    /// 0.13, a temporary directory before.
    pub output_parent: &'a Path,
}

/// How one extension's generate step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateRun {
    /// `<parent>/<escaped id>`: where its Dockerfiles and `extend-config.toml` are.
    pub output_dir: PathBuf,
    /// How `bin/generate` exited; `None` for an extension without one (its `generate/`
    /// directory was copied to [`GenerateRun::output_dir`]).
    pub status: Option<ExitStatus>,
}

/// Runs `module`'s `bin/generate` with `plan` as its Buildpack Plan. A non-zero exit is not an
/// error here: [`GenerateRun::status`] says how it ended. Errors are failures to prepare the
/// run, to start it ([`Error::Spawn`]) or to copy a pre-populated output.
pub fn generate(
    module: &Module,
    plan: &BuildpackPlan,
    inputs: &GenerateInputs<'_>,
) -> Result<GenerateRun, Error> {
    let escaped = escape_id(module.id());
    let output_dir = inputs.output_parent.join(&escaped);
    let output_error = |source| Error::CreateOutputDir {
        module: module.display_name(),
        path: output_dir.clone(),
        source,
    };
    fs::create_dir_all(&output_dir).map_err(output_error)?;
    let program = module.executable("generate");
    match fs::symlink_metadata(&program) {
        Err(error) if error.kind() == ErrorKind::NotFound => {
            let prepopulated = module.dir().join("generate");
            if prepopulated.is_dir() {
                copy_tree(&prepopulated, &output_dir).map_err(|source| Error::CopyOutput {
                    module: module.display_name(),
                    from: prepopulated.clone(),
                    source,
                })?;
            }
            return Ok(GenerateRun {
                output_dir,
                status: None,
            });
        }
        _ => {}
    }
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
        exec_env: None,
    };
    let step = Step::Generate {
        plan: &plan_path,
        output: &output_dir,
    };
    let env = contract_env(module, inputs.base_env, &around, step)?;
    let invocation = Invocation {
        program,
        args: vec![
            output_dir.clone().into(),
            inputs.platform_dir.into(),
            plan_path.into(),
        ],
        env,
        cwd: inputs.app_dir.to_path_buf(),
    };
    let status = invocation.run_to_stdout()?;
    Ok(GenerateRun {
        output_dir,
        status: Some(status),
    })
}

/// Copies the tree under `from` into `to` (which exists): directories, regular files with
/// their permissions, and symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            if fs::symlink_metadata(&target).is_ok() {
                fs::remove_file(&target)?;
            }
            symlink(fs::read_link(entry.path())?, &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
