//! Runs a phase with its resolved inputs. Phases that are not built yet say so and fail; they
//! never pretend to succeed.

use std::path::PathBuf;

use cnb_api::{ExitKind, Phase};
use cnb_builder::{Builder, BuilderConfig};
use cnb_detector::{DEFAULT_OS_RELEASE, Detector, DetectorConfig};
use cnb_platform::Inputs;

use crate::{Failure, privileges};

/// Runs `inputs.phase`.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    // Connected phases resolve credentials and open their stores before privileges drop.
    match inputs.phase {
        Phase::Analyzer => return crate::analyze::run(inputs),
        Phase::Restorer => return crate::restore::run(inputs),
        Phase::Rebaser => return crate::rebase::run(inputs),
        Phase::Exporter => return crate::export::run(inputs),
        Phase::Creator => return crate::creator::run(inputs),
        _ => {}
    }
    privileges::prepare(inputs)?;
    match inputs.phase {
        Phase::Detector => detect(inputs),
        Phase::Builder => build(inputs),
        phase => Err(Failure::message(
            ExitKind::Failed,
            format!(
                "failed to {}: the {phase} phase is not implemented yet in this lifecycle",
                phase.verb()
            ),
        )),
    }
}

/// The detector: its config from the inputs, and its error as one line and exit code.
pub(crate) fn detect(inputs: &Inputs) -> Result<(), Failure> {
    let config = DetectorConfig {
        platform_api: inputs.platform_api,
        app_dir: inputs.app_dir.clone(),
        platform_dir: inputs.platform_dir.clone(),
        build_config_dir: inputs.build_config_dir.clone(),
        buildpacks_dir: inputs.buildpacks_dir.clone(),
        extensions_dir: inputs.extensions_dir.clone(),
        order_path: inputs.order_path.clone(),
        system_path: inputs.system_path.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        group_path: inputs.group_path.clone(),
        plan_path: inputs.plan_path.clone(),
        exec_env: inputs.exec_env.clone(),
        // The buildpacks' base environment is the lifecycle's own, filtered by cnb-env's
        // allow-list.
        environ: inputs.environ.to_vec(),
        os_release_path: PathBuf::from(DEFAULT_OS_RELEASE),
    };
    Detector::new(config)
        .run()
        .map(drop)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}

/// The builder: its config from the inputs, and its error as one line and exit code.
pub(crate) fn build(inputs: &Inputs) -> Result<(), Failure> {
    let config = BuilderConfig {
        platform_api: inputs.platform_api,
        app_dir: inputs.app_dir.clone(),
        layers_dir: inputs.layers_dir.clone(),
        platform_dir: inputs.platform_dir.clone(),
        build_config_dir: inputs.build_config_dir.clone(),
        buildpacks_dir: inputs.buildpacks_dir.clone(),
        group_path: inputs.group_path.clone(),
        plan_path: inputs.plan_path.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        exec_env: inputs.exec_env.clone(),
        // As for the detector: the lifecycle's own environment, allow-listed by cnb-env.
        environ: inputs.environ.to_vec(),
        os_release_path: PathBuf::from(cnb_builder::DEFAULT_OS_RELEASE),
    };
    Builder::new(config)
        .run()
        .map(drop)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}
