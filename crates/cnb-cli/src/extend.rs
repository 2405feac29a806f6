//! The extender (platform.md › extender; Go `cmd/lifecycle/extender.go`): runs as root.
//! `-kind build` applies the build.Dockerfiles to this container, hands `<layers>` to the
//! build user, drops to it, takes the extended image's `Env` and the user's `HOME` and `USER`,
//! and runs the build in this process; `-kind run` applies the run.Dockerfiles and writes the
//! extended run image under `<extended>/run`.

use std::ffi::OsString;
use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_extender::{DEFAULT_MOUNTINFO, Extender, ExtenderConfig};
use cnb_platform::Inputs;

use crate::{Failure, phases, privileges};

/// The root the Dockerfiles change: the container's own.
const ROOT: &str = "/";

/// Runs the extender.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let extender = Extender::new(config(inputs));
    match inputs.extend_kind.as_str() {
        "build" => {
            let outcome = extender
                .extend_build()
                .map_err(|error| failure(&error, "build"))?;
            let mut build_inputs = inputs.clone();
            for (key, value) in outcome.env {
                build_inputs
                    .environ
                    .retain(|(existing, _)| *existing != *key);
                build_inputs
                    .environ
                    .push((OsString::from(key), OsString::from(value)));
            }
            privileges::drop_for_build(&build_inputs)?;
            let build_inputs = privileges::with_user_environment(
                &build_inputs,
                std::path::Path::new(privileges::PASSWD),
            );
            phases::build(&build_inputs)
        }
        "run" => extender
            .extend_run()
            .map(drop)
            .map_err(|error| failure(&error, "run")),
        other => Err(Failure::message(
            ExitKind::InvalidArgs,
            format!("failed to extend: -kind must be 'build' or 'run', not '{other}'"),
        )),
    }
}

fn config(inputs: &Inputs) -> ExtenderConfig {
    ExtenderConfig {
        platform_api: inputs.platform_api,
        root: PathBuf::from(ROOT),
        app_dir: inputs.app_dir.clone(),
        layers_dir: inputs.layers_dir.clone(),
        platform_dir: inputs.platform_dir.clone(),
        generated_dir: inputs.generated_dir.clone(),
        extended_dir: inputs.extended_dir.clone(),
        kaniko_dir: inputs.kaniko_dir.clone(),
        group_path: inputs.group_path.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        cache_ttl: inputs.kaniko_cache_ttl,
        mountinfo_path: PathBuf::from(DEFAULT_MOUNTINFO),
    }
}

/// Go's actions: reading the inputs "initialize extender", the rest "extend <kind> image".
fn failure(error: &cnb_extender::Error, kind: &str) -> Failure {
    let action = match error.kind() {
        ExitKind::ExtendError => format!("extend {kind} image"),
        _ => "initialize extender".to_owned(),
    };
    Failure::new(error.kind(), Some(&action), error)
}
