//! The rebaser's wiring: inputs → [`RebaserConfig`], the store opened (credentials resolved)
//! before privileges drop, then one rebase (`rebaser <image> [<tag>…]`, report.toml), or one
//! of the fleet modes (`-images-from`, `-merge-reports`: [`crate::fleet`]).

use std::collections::BTreeSet;

use cnb_api::ExitKind;
use cnb_image::ImageRef;
use cnb_platform::Inputs;
use cnb_rebaser::{FLEET_PARALLELISM, RebaseRequest, Rebaser, RebaserConfig, recorded_run_images};

use crate::stores::Stores;
use crate::{Failure, fleet, privileges};

/// Runs the rebaser; it drops privileges itself, after opening its store.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let config = RebaserConfig {
        platform_api: inputs.platform_api,
        run_image: inputs.run_image.clone(),
        force: inputs.force_rebase,
        platform: cnb_image::Platform::own(),
        parallelism: FLEET_PARALLELISM,
    };
    if !inputs.merge_reports.is_empty() {
        return fleet::run_merge(inputs);
    }
    match &inputs.images_from {
        Some(path) => fleet::run_fleet(inputs, config, path),
        None => run_single(inputs, config),
    }
}

fn run_single(inputs: &Inputs, config: RebaserConfig) -> Result<(), Failure> {
    let targets: Vec<String> = inputs.destination_images();
    let source_name = inputs
        .previous_image
        .clone()
        .or_else(|| targets.first().cloned())
        .unwrap_or_default();
    let parse = |name: &str| {
        ImageRef::parse(name)
            .map_err(|error| Failure::new(ExitKind::InvalidArgs, Some("parse arguments"), &error))
    };
    let request = RebaseRequest {
        source: parse(&source_name)?,
        targets: targets
            .iter()
            .map(|name| parse(name))
            .collect::<Result<_, _>>()?,
    };
    if request
        .targets
        .iter()
        .any(|target| target.registry() != request.targets[0].registry())
    {
        return Err(Failure::message(
            ExitKind::InvalidArgs,
            "failed to resolve inputs: writing to multiple registries is unsupported",
        ));
    }
    let mut names: Vec<String> = targets.clone();
    names.push(source_name);
    names.extend(config.run_image.clone());
    let mut stores = Stores::connect(inputs, &names, ExitKind::RebaseError)?;
    if config.run_image.is_none() && stores.layout.is_none() {
        // As Go does: read the app's label now, so that the keychain covers its run image
        // and mirrors before privileges drop.
        let recorded = recorded_run_images(
            stores.images(),
            config.platform_api,
            &request.source,
            &config.platform,
        );
        if adds_registry(&names, &recorded) {
            names.extend(recorded);
            stores = Stores::connect(inputs, &names, ExitKind::RebaseError)?;
        }
    }
    privileges::prepare(inputs)?;
    let phase = Rebaser::new(config, stores.images());
    let failure =
        |error: cnb_rebaser::Error| Failure::new(error.kind(), Some(error.action()), &error);
    let rebased = phase.rebase(&request).map_err(failure)?;
    Rebaser::write_report(&inputs.report_path, &rebased).map_err(failure)
}

/// Whether `more` names a registry that none of `known` is on.
fn adds_registry(known: &[String], more: &[String]) -> bool {
    let registries = |names: &[String]| -> BTreeSet<String> {
        names
            .iter()
            .filter_map(|name| ImageRef::parse(name).ok())
            .map(|image| image.registry().to_owned())
            .collect()
    };
    !registries(more).is_subset(&registries(known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_registries_call_for_another_keychain() {
        let known = ["r.test/app".to_owned(), "r.test/run".to_owned()];
        assert!(!adds_registry(&known, &["r.test/other".to_owned()]));
        assert!(adds_registry(&known, &["m.test/run".to_owned()]));
        assert!(!adds_registry(&known, &[]));
    }
}
