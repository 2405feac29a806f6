//! One `bin/detect` run (buildpack.md › Detection): cwd `<app>`, arguments `<platform> <plan>`,
//! the module's environment plus `CNB_PLATFORM_DIR`, `CNB_BUILD_PLAN_PATH` (an empty file made
//! beforehand), `CNB_TARGET_*` and `CNB_EXEC_ENV` as its Buildpack API asks. Exit 0 passes, 100
//! fails, anything else is an error; the plan it wrote is read only when it passed. An image
//! extension gets `CNB_EXTENSION_DIR` instead of `CNB_BUILDPACK_DIR`, may have no `bin/detect`
//! (it then passes with `<ext>/detect/plan.toml`, if any, as its plan), and may not require
//! anything.

use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::build_plan::BuildPlan;

use crate::contract::{Step, Surroundings, contract_env};
use crate::{Error, Invocation, Module, ModuleKind, RunTarget};

/// The exit status `bin/detect` uses to opt out.
const FAIL: i32 = 100;

/// What every `bin/detect` of a detection shares.
#[derive(Debug, Clone, Copy)]
pub struct DetectInputs<'a> {
    /// `<app>`: the working directory.
    pub app_dir: &'a Path,
    /// `<platform>`: the first argument, and the source of user env (`<platform>/env`).
    pub platform_dir: &'a Path,
    /// `<build-config>`: the operator's env (`<build-config>/env`), if any.
    pub build_config_dir: Option<&'a Path>,
    /// The base environment (the lifecycle's, allow-listed).
    pub base_env: &'a Env,
    /// The run image's target (`CNB_TARGET_*`).
    pub target: &'a RunTarget,
    /// `CNB_EXEC_ENV`, when the platform sets one (Platform API 0.15).
    pub exec_env: Option<&'a str>,
}

/// How a detect run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectCode {
    /// Exit 0.
    Pass,
    /// Exit 100.
    Fail,
    /// Any other exit status, or `None` when the executable could not be run, was killed by a
    /// signal, or wrote an invalid plan.
    Error(Option<i32>),
}

/// The outcome of one `bin/detect`.
#[derive(Debug)]
pub struct DetectRun {
    /// Pass, fail or error.
    pub code: DetectCode,
    /// stdout and stderr, interleaved.
    pub output: Vec<u8>,
    /// The build plan it wrote (empty unless it passed).
    pub plan: BuildPlan,
    /// Why the lifecycle counts it as an error, beyond the exit status.
    pub error: Option<Error>,
}

impl DetectRun {
    /// A run that never happened or whose result is unusable: an error with no exit status.
    pub fn failed(error: Error, output: Vec<u8>) -> Self {
        Self {
            code: DetectCode::Error(None),
            output,
            plan: BuildPlan::default(),
            error: Some(error),
        }
    }
}

/// Runs `module`'s `bin/detect` and reads its plan. Never fails: anything that goes wrong is a
/// run with [`DetectCode::Error`] and the reason in [`DetectRun::error`].
pub fn detect(module: &Module, inputs: &DetectInputs<'_>) -> DetectRun {
    match run(module, inputs) {
        Ok(run) => run,
        Err(error) => DetectRun::failed(error, Vec::new()),
    }
}

fn run(module: &Module, inputs: &DetectInputs<'_>) -> Result<DetectRun, Error> {
    let program = module.executable("detect");
    if std::fs::metadata(&program).is_err() {
        if module.kind() == ModuleKind::Extension {
            return Ok(prepopulated(module));
        }
        return Err(Error::NoExecutable {
            module: module.display_name(),
            path: program,
        });
    }
    let plan_dir = tempfile::Builder::new()
        .prefix("plan.")
        .tempdir()
        .map_err(|source| plan_error(module, source))?;
    let plan_path = plan_dir.path().join("plan.toml");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&plan_path)
        .map_err(|source| plan_error(module, source))?;

    let around = Surroundings {
        platform_dir: inputs.platform_dir,
        build_config_dir: inputs.build_config_dir,
        target: inputs.target,
        exec_env: inputs.exec_env,
    };
    let env = contract_env(
        module,
        inputs.base_env,
        &around,
        Step::Detect { plan: &plan_path },
    )?;
    let invocation = Invocation {
        program,
        args: vec![inputs.platform_dir.into(), plan_path.clone().into()],
        env,
        cwd: inputs.app_dir.to_path_buf(),
    };
    let captured = invocation.run_captured()?;
    let output = captured.output;
    let code = match captured.status.code() {
        Some(0) => DetectCode::Pass,
        Some(FAIL) => DetectCode::Fail,
        Some(other) => DetectCode::Error(Some(other)),
        None => DetectCode::Error(captured.status.signal().map(|signal| 128 + signal)),
    };
    if code != DetectCode::Pass {
        return Ok(DetectRun {
            code,
            output,
            plan: BuildPlan::default(),
            error: None,
        });
    }
    let plan = match read_plan(module, &plan_path) {
        Ok(plan) => plan,
        Err(error) => return Ok(DetectRun::failed(error, output)),
    };
    Ok(DetectRun {
        code,
        output,
        plan,
        error: None,
    })
}

/// An extension without `bin/detect` passes, with `<ext>/detect/plan.toml` (when present) as
/// its build plan (`image_extension.md` › Detection).
fn prepopulated(module: &Module) -> DetectRun {
    let path = module.dir().join("detect").join("plan.toml");
    if !path.exists() {
        return DetectRun {
            code: DetectCode::Pass,
            output: Vec::new(),
            plan: BuildPlan::default(),
            error: None,
        };
    }
    match read_plan(module, &path) {
        Ok(plan) => DetectRun {
            code: DetectCode::Pass,
            output: Vec::new(),
            plan,
            error: None,
        },
        Err(error) => DetectRun::failed(error, Vec::new()),
    }
}

/// Reads and checks the plan `bin/detect` wrote: an empty file is an empty plan; a top-level
/// `version` in any requirement is refused; extensions may not require anything.
fn read_plan(module: &Module, path: &Path) -> Result<BuildPlan, Error> {
    let plan = BuildPlan::read(path).map_err(|source| Error::ReadPlan {
        module: module.display_name(),
        source: Box::new(source),
    })?;
    if let Some(name) = plan.top_level_versions().first() {
        return Err(Error::TopLevelVersion {
            module: module.display_name(),
            name: (*name).to_owned(),
        });
    }
    if module.kind() == ModuleKind::Extension && plan.has_requires() {
        return Err(Error::ExtensionRequires {
            module: module.display_name(),
        });
    }
    Ok(plan)
}

fn plan_error(module: &Module, source: std::io::Error) -> Error {
    Error::CreatePlan {
        module: module.display_name(),
        source,
    }
}

#[cfg(test)]
mod tests;
