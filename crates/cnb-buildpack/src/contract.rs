//! The one environment every module executable runs with (buildpack.md › Environment;
//! `image_extension.md` › Detection, Generation; Go `runDetect`, `runBuildCmd`, `runGenerateCmd`):
//! `base` (the allow-listed lifecycle environment, plus build layers during build), then the
//! user's `<platform>/env` unless the module sets `clear-env`, then the operator's
//! `<build-config>/env`, then the module's own directory (`CNB_BUILDPACK_DIR` or
//! `CNB_EXTENSION_DIR`), then the variables of the step being run, as the module's Buildpack
//! API asks for them.

use std::ffi::OsString;
use std::path::Path;

use cnb_api::env as names;
use cnb_env::Env;

use crate::{Error, Module, RunTarget};

/// Which executable runs, with the paths only that step has.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    /// `bin/detect`: where it writes its build plan.
    Detect {
        /// `CNB_BUILD_PLAN_PATH`.
        plan: &'a Path,
    },
    /// `bin/build`: the Buildpack Plan it reads and its layers directory.
    Build {
        /// `CNB_BP_PLAN_PATH`.
        plan: &'a Path,
        /// `CNB_LAYERS_DIR`.
        layers: &'a Path,
    },
    /// An extension's `bin/generate`: the Buildpack Plan it reads and its output directory.
    Generate {
        /// `CNB_BP_PLAN_PATH`.
        plan: &'a Path,
        /// `CNB_OUTPUT_DIR`.
        output: &'a Path,
    },
}

/// What every executable of a phase shares besides its base environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Surroundings<'a> {
    /// `<platform>`: `CNB_PLATFORM_DIR`, and the user's env in `<platform>/env`.
    pub(crate) platform_dir: &'a Path,
    /// `<build-config>`: the operator's env in `<build-config>/env`, if any.
    pub(crate) build_config_dir: Option<&'a Path>,
    /// The run image's target (`CNB_TARGET_*`).
    pub(crate) target: &'a RunTarget,
    /// `CNB_EXEC_ENV`, when the platform sets one.
    pub(crate) exec_env: Option<&'a str>,
}

/// The whole environment of `module`'s executable for `step`.
///
/// Detect and build get the path variables from Buildpack API 0.8 and `CNB_EXEC_ENV` from
/// 0.12; generate always gets its paths and never `CNB_EXEC_ENV` (the Go lifecycle gives
/// extensions' `bin/generate` neither gate). Every step gets `CNB_TARGET_*` from Buildpack API
/// 0.10.
pub(crate) fn contract_env(
    module: &Module,
    base: &Env,
    around: &Surroundings<'_>,
    step: Step<'_>,
) -> Result<Vec<(OsString, OsString)>, Error> {
    let user_env = (!module.info().clears_env()).then_some(around.platform_dir);
    let mut env = base
        .with_overrides(user_env, around.build_config_dir)
        .map_err(|source| Error::Env {
            module: module.display_name(),
            source,
        })?;
    env.set(module.kind().dir_var(), module.dir().as_os_str());
    let api = module.api();
    let platform = (names::PLATFORM_DIR, around.platform_dir);
    let paths: Vec<(&str, &Path)> = match step {
        Step::Detect { plan } if api.gets_path_env() => {
            vec![platform, (names::BUILD_PLAN_PATH, plan)]
        }
        Step::Build { plan, layers } if api.gets_path_env() => vec![
            platform,
            (names::BP_PLAN_PATH, plan),
            (names::LAYERS_DIR, layers),
        ],
        Step::Generate { plan, output } => vec![
            (names::BP_PLAN_PATH, plan),
            (names::OUTPUT_DIR, output),
            platform,
        ],
        Step::Detect { .. } | Step::Build { .. } => Vec::new(),
    };
    for (name, path) in paths {
        env.set(name, path.as_os_str());
    }
    if api.gets_target_env() {
        for (name, value) in around.target.env() {
            env.set(name, value);
        }
    }
    let takes_exec_env = !matches!(step, Step::Generate { .. }) && api.gets_exec_env();
    if let Some(exec_env) = around
        .exec_env
        .filter(|value| takes_exec_env && !value.is_empty())
    {
        env.set(names::EXEC_ENV, exec_env);
    }
    Ok(env.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::PathBuf;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::Store;

    fn install(root: &Path, id: &str, api: &str, extra: &str) -> PathBuf {
        let dir = root.join(id).join("1");
        fs::create_dir_all(dir.join("bin")).unwrap();
        let toml = format!("api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n{extra}");
        fs::write(dir.join("buildpack.toml"), toml).unwrap();
        dir
    }

    fn env_of(
        module: &Module,
        base: &Env,
        platform: &Path,
        config: &Path,
    ) -> Vec<(OsString, OsString)> {
        let around = Surroundings {
            platform_dir: platform,
            build_config_dir: Some(config),
            target: &RunTarget::default(),
            exec_env: None,
        };
        let plan = Path::new("/plan.toml");
        contract_env(module, base, &around, Step::Detect { plan }).unwrap()
    }

    #[test]
    fn layers_platform_and_build_config_env_and_honours_clear_env() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(Some(root.path().join("bps")), None);
        let platform = root.path().join("platform");
        let config = root.path().join("config");
        fs::create_dir_all(platform.join("env")).unwrap();
        fs::create_dir_all(config.join("env")).unwrap();
        fs::write(platform.join("env/USER_VAR"), "user").unwrap();
        fs::write(platform.join("env/PATH"), "/user/bin").unwrap();
        fs::write(config.join("env/OPERATOR"), "op").unwrap();
        fs::write(config.join("env/USER_VAR.override"), "operator wins").unwrap();
        let target = root.path().join("real-detect");
        fs::write(&target, "").unwrap();
        let dir = install(&root.path().join("bps"), "a", "0.10", "");
        symlink(&target, dir.join("bin/detect")).unwrap();
        let clear = "clear-env = true\n";
        install(&root.path().join("bps"), "c", "0.10", clear);
        let base = Env::for_build([
            (OsString::from("PATH"), OsString::from("/usr/bin")),
            (OsString::from("SECRET"), OsString::from("dropped")),
        ]);
        let get = |env: &[(OsString, OsString)], name: &str| {
            env.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.to_string_lossy().into_owned())
        };

        let module = store.buildpack("a", "1").unwrap();
        let env = env_of(&module, &base, &platform, &config);
        assert_eq!(get(&env, "USER_VAR").as_deref(), Some("operator wins"));
        assert_eq!(get(&env, "PATH").as_deref(), Some("/user/bin:/usr/bin"));
        assert_eq!(get(&env, "OPERATOR").as_deref(), Some("op"));
        assert_eq!(get(&env, "SECRET"), None);
        assert_eq!(
            get(&env, "CNB_BUILDPACK_DIR"),
            Some(dir.display().to_string())
        );

        let clearing = store.buildpack("c", "1").unwrap();
        let env = env_of(&clearing, &base, &platform, &config);
        assert_eq!(get(&env, "USER_VAR").as_deref(), Some("operator wins"));
        assert_eq!(get(&env, "PATH").as_deref(), Some("/usr/bin"));
    }
}
