//! The creator: analyze → detect → restore → build → export in one process (platform.md ›
//! creator; Go's order, spec-matrix.md §2). Credentials are resolved and the stores opened
//! first; then volumes go to the build user and privileges drop, so that detect and build
//! never run as root. `-skip-restore` skips the restore (Platform API 0.10 and later keep
//! restoring `store.toml`, as Go does, through the restorer's skip-layers mode).

use std::path::Path;

use cnb_api::ExitKind;
use cnb_platform::Inputs;

use crate::analyze::{self, AnalyzeTargets};
use crate::export::{self, ExportTargets};
use crate::restore::{self, RestoreTargets};
use crate::stores::Stores;
use crate::{Failure, phases, privileges};

/// Runs the creator: every phase through the same wiring as its own command, with one set
/// of stores and one privilege drop.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let analyze_targets = AnalyzeTargets::resolve(inputs)?;
    let restore_targets = RestoreTargets::resolve(inputs)?;
    let export_targets = ExportTargets::resolve(inputs)?;
    let mut images = analyze_targets.images();
    images.extend(restore_targets.images());
    let mut stores = Stores::connect(inputs, &images, ExitKind::AnalyzeError)?;
    privileges::prepare(inputs)?;
    analyze::open_launch_cache(inputs, &mut stores)?;
    let inputs = &privileges::with_user_environment(inputs, Path::new(privileges::PASSWD));

    tracing::info!("===> ANALYZING");
    let analyzed = analyze::analyze(inputs, &analyze_targets, &stores)?;

    tracing::info!("===> DETECTING");
    let group = phases::detect(inputs)?;
    if !group.group_extensions.is_empty() {
        return Err(Failure::message(
            ExitKind::DetectError,
            "failed to detect: detected order contains extensions which is not supported by the creator",
        ));
    }

    if !inputs.skip_layers || inputs.platform_api.restores_store_when_skipping() {
        tracing::info!("===> RESTORING");
        restore::restore(inputs, &restore_targets, &stores)?;
    }

    tracing::info!("===> BUILDING");
    phases::build(inputs)?;

    tracing::info!("===> EXPORTING");
    export::export(inputs, &export_targets, &analyzed, &stores)
}
