//! The rebaser's wiring: inputs → [`RebaserConfig`], the store opened (credentials resolved)
//! before privileges drop, then one rebase (`rebaser <image> [<tag>…]`, report.toml) or a
//! fleet (`rebaser -images-from FILE`, one JSON line per image in `fleet-report.jsonl` next to
//! report.toml; exit 72 when any image failed).

use std::collections::BTreeSet;
use std::path::Path;

use cnb_api::ExitKind;
use cnb_image::ImageRef;
use cnb_platform::Inputs;
use cnb_rebaser::{
    FLEET_PARALLELISM, FLEET_REPORT, RebaseRequest, Rebaser, RebaserConfig, recorded_run_images,
    write_fleet_report,
};

use crate::stores::Stores;
use crate::{Failure, privileges};

/// Runs the rebaser; it drops privileges itself, after opening its store.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let config = RebaserConfig {
        platform_api: inputs.platform_api,
        run_image: inputs.run_image.clone(),
        force: inputs.force_rebase,
        platform: cnb_image::Platform::own(),
        parallelism: FLEET_PARALLELISM,
    };
    match &inputs.images_from {
        Some(path) => run_fleet(inputs, config, path),
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

fn run_fleet(inputs: &Inputs, config: RebaserConfig, list: &Path) -> Result<(), Failure> {
    if inputs.output_image.is_some() {
        return Err(Failure::message(
            ExitKind::InvalidArgs,
            "failed to parse arguments: -images-from cannot be combined with image arguments",
        ));
    }
    let images = read_list(list)?;
    let mut names = images.clone();
    names.extend(config.run_image.clone());
    let stores = Stores::connect(inputs, &names, ExitKind::RebaseError)?;
    privileges::prepare(inputs)?;
    let rebaser = Rebaser::new(config, stores.images());
    let results = rebaser.rebase_fleet(&images);
    let report = inputs.report_path.with_file_name(FLEET_REPORT);
    write_fleet_report(&report, &results)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))?;
    let failed = results.iter().filter(|result| !result.succeeded()).count();
    tracing::info!(
        "Rebased {} of {} images; report: {}",
        results.len() - failed,
        results.len(),
        report.display()
    );
    if failed > 0 {
        return Err(Failure::message(
            ExitKind::RebaseError,
            format!(
                "failed to rebase: {failed} of {} images failed (see {})",
                results.len(),
                report.display()
            ),
        ));
    }
    Ok(())
}

/// The images listed in `path`, one per line; blank lines, `#` comments and repeats are
/// skipped.
fn read_list(path: &Path) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::new(
            ExitKind::InvalidArgs,
            Some(&format!("read image list {}", path.display())),
            &error,
        )
    })?;
    let mut images: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        // A repeated image would be rebased twice at once: once is enough.
        if !line.is_empty() && !line.starts_with('#') && !images.iter().any(|seen| seen == line) {
            images.push(line.to_owned());
        }
    }
    if images.is_empty() {
        return Err(Failure::message(
            ExitKind::InvalidArgs,
            format!(
                "failed to parse arguments: no images listed in {}",
                path.display()
            ),
        ));
    }
    Ok(images)
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
    fn the_image_list_skips_blanks_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images");
        std::fs::write(&path, "# fleet\nr.test/a\n\n  r.test/b:v1  \nr.test/a\n").unwrap();
        assert_eq!(read_list(&path).unwrap(), ["r.test/a", "r.test/b:v1"]);
        std::fs::write(&path, "# nothing\n").unwrap();
        let failure = read_list(&path).unwrap_err();
        assert_eq!(failure.kind, ExitKind::InvalidArgs);
        let failure = read_list(&dir.path().join("missing")).unwrap_err();
        assert!(
            failure.message.starts_with("failed to read image list "),
            "{}",
            failure.message
        );
    }

    #[test]
    fn only_new_registries_call_for_another_keychain() {
        let known = ["r.test/app".to_owned(), "r.test/run".to_owned()];
        assert!(!adds_registry(&known, &["r.test/other".to_owned()]));
        assert!(adds_registry(&known, &["m.test/run".to_owned()]));
        assert!(!adds_registry(&known, &[]));
    }
}
