//! Which phases hand volumes to the build user and drop root, and which refuse root outright
//! (spec-matrix.md §0; Go `cmd/lifecycle/*.go` `Privileges`). Registry credentials are to be
//! resolved before [`prepare`] drops privileges.

use std::path::Path;

use cnb_api::{ExitKind, Phase};
use cnb_platform::Inputs;

use crate::Failure;

/// Prepares the process for running `inputs.phase`.
pub(crate) fn prepare(inputs: &Inputs) -> Result<(), Failure> {
    let volumes: Vec<&Path> = match inputs.phase {
        Phase::Detector | Phase::Builder => return refuse_root(inputs.phase),
        Phase::Extender => return Ok(()),
        Phase::Rebaser => Vec::new(),
        Phase::Analyzer => [
            Some(inputs.layers_dir.as_path()),
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Restorer => [
            Some(inputs.layers_dir.as_path()),
            inputs.cache_dir.as_deref(),
            Some(inputs.kaniko_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Exporter => [
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Creator => [
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
            Some(inputs.layers_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let (uid, gid) = (inputs.uid, inputs.gid);
    if cnb_sys::is_root() {
        cnb_sys::ensure_owner(uid, gid, &volumes)
            .map_err(|error| Failure::new(ExitKind::Failed, Some("chown volumes"), &error))?;
    }
    cnb_sys::run_as(uid, gid).map_err(|error| {
        Failure::new(
            ExitKind::Failed,
            Some(&format!("exec as user {uid}:{gid}")),
            &error,
        )
    })?;
    tracing::debug!("Running as user {uid}:{gid}");
    Ok(())
}

fn refuse_root(phase: Phase) -> Result<(), Failure> {
    if cnb_sys::is_root() {
        return Err(Failure::message(
            ExitKind::Failed,
            format!("failed to {}: refusing to run as root", phase.verb()),
        ));
    }
    Ok(())
}
