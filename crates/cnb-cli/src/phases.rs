//! Runs a phase with its resolved inputs. Phases that are not built yet say so and fail; they
//! never pretend to succeed.

use cnb_api::ExitKind;
use cnb_platform::Inputs;

use crate::{Failure, privileges};

/// Runs `inputs.phase`.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    privileges::prepare(inputs)?;
    let phase = inputs.phase;
    Err(Failure::message(
        ExitKind::Failed,
        format!(
            "failed to {}: the {phase} phase is not implemented yet in this lifecycle",
            phase.verb()
        ),
    ))
}
