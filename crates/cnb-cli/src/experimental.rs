//! `CNB_EXPERIMENTAL_MODE` for a feature a phase finds out about from its inputs (platform.md ›
//! Experimental Features; Go `GuardExperimental`): image extensions (`Dockerfiles`) before
//! Platform API 0.13. `quiet` says nothing, `warn` warns, `error` (the default) fails with
//! Go's two lines and exit 1.

use cnb_api::{ExitKind, ExperimentalMode};
use cnb_platform::Inputs;

use crate::Failure;

/// The image extension feature, as Go names it.
pub(crate) const DOCKERFILES: &str = "Dockerfiles";

/// Lets the phase use experimental `feature`, or not.
pub(crate) fn guard(inputs: &Inputs, feature: &str) -> Result<(), Failure> {
    match inputs.experimental_mode {
        ExperimentalMode::Quiet => Ok(()),
        ExperimentalMode::Warn => {
            tracing::warn!("Platform requested experimental feature '{feature}'");
            Ok(())
        }
        ExperimentalMode::Error => {
            tracing::error!("Platform requested experimental feature '{feature}'");
            Err(Failure::message(
                ExitKind::Failed,
                "experimental features are disabled by CNB_EXPERIMENTAL_MODE=error",
            ))
        }
    }
}
