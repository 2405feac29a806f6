//! Runs a phase with its resolved inputs. Phases that are not built yet say so and fail; they
//! never pretend to succeed.

use std::path::PathBuf;

use cnb_api::{ExitKind, Phase};
use cnb_builder::{Builder, BuilderConfig};
use cnb_detector::{DEFAULT_OS_RELEASE, Detector, DetectorConfig};
use cnb_files::TomlFile;
use cnb_files::group::Group;
use cnb_files::order::Order;
use cnb_platform::Inputs;

use crate::{Failure, experimental, privileges};

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
    if inputs.phase == Phase::Extender {
        // Runs as root; the build it goes on to drops privileges itself.
        return crate::extend::run(inputs);
    }
    privileges::prepare(inputs)?;
    match inputs.phase {
        Phase::Detector => detect_and_generate(inputs),
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

/// The `detector` command: detection, then, when the group has image extensions, their
/// generate step (which the creator refuses instead). Extensions in the order are experimental
/// before Platform API 0.13.
fn detect_and_generate(inputs: &Inputs) -> Result<(), Failure> {
    let has_extensions = Order::read_optional(&inputs.order_path)
        .ok()
        .flatten()
        .is_some_and(|order| !order.order_extensions.is_empty());
    if has_extensions && !inputs.platform_api.extensions_are_stable() {
        experimental::guard(inputs, experimental::DOCKERFILES)?;
    }
    let detector = detector(inputs);
    let detected = detector.run().map_err(|error| failure(&error))?;
    if !detected.group.group_extensions.is_empty() {
        detector
            .generate(&detected)
            .map_err(|error| failure(&error))?;
    }
    Ok(())
}

/// The detection the `detector` command and the creator share: group.toml and plan.toml
/// written, the group returned.
pub(crate) fn detect(inputs: &Inputs) -> Result<Group, Failure> {
    detector(inputs)
        .run()
        .map(|detected| detected.group)
        .map_err(|error| failure(&error))
}

fn failure(error: &cnb_detector::Error) -> Failure {
    Failure::new(error.kind(), Some(error.action()), error)
}

/// The detector with its config from the inputs.
fn detector(inputs: &Inputs) -> Detector {
    let config = DetectorConfig {
        platform_api: inputs.platform_api,
        app_dir: inputs.app_dir.clone(),
        platform_dir: inputs.platform_dir.clone(),
        build_config_dir: inputs.build_config_dir.clone(),
        buildpacks_dir: inputs.buildpacks_dir.clone(),
        extensions_dir: inputs.extensions_dir.clone(),
        generated_dir: inputs.generated_dir.clone(),
        run_path: inputs.run_path.clone(),
        image_name: cnb_image::image_name,
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
