//! The rebaser's fleet modes: `-images-from FILE` rebases every listed image in place (one
//! JSON line per image in `fleet-report.jsonl` next to report.toml; exit 72 when any image
//! failed), or only the images of one shard of the list (`-shard i/n`, or `-shard-count n`
//! with `JOB_COMPLETION_INDEX`; the report is then `fleet-report-shard-<i>-of-<n>.jsonl`);
//! `-merge-reports` merges the shards' reports into `fleet-report.jsonl` without touching a
//! registry.

use std::path::{Path, PathBuf};

use cnb_api::ExitKind;
use cnb_platform::{Inputs, RebaseShard};
use cnb_rebaser::{
    FLEET_REPORT, FleetResult, Rebaser, RebaserConfig, Shard, image_key, merge_fleet_reports,
    write_fleet_report,
};

use crate::stores::Stores;
use crate::{Failure, privileges};

/// Rebases the images listed in `list` (or the shard's share of them) in place.
pub(crate) fn run_fleet(
    inputs: &Inputs,
    config: RebaserConfig,
    list: &Path,
) -> Result<(), Failure> {
    if inputs.output_image.is_some() {
        return Err(Failure::message(
            ExitKind::InvalidArgs,
            "failed to parse arguments: -images-from cannot be combined with image arguments",
        ));
    }
    let listed = read_list(list)?;
    let shard = inputs.rebase_shard.map(shard_of);
    let images = match shard {
        Some(shard) => {
            let own = shard.select(&listed);
            tracing::info!(
                "Shard {shard}: {} of {} listed images",
                own.len(),
                listed.len()
            );
            own
        }
        None => listed,
    };
    let report = report_path(&inputs.report_path, shard);
    let mut results = Vec::new();
    if images.is_empty() {
        // A shard no listed image falls in: nothing to rebase, an empty report to show it ran.
        privileges::prepare(inputs)?;
    } else {
        let mut names = images.clone();
        names.extend(config.run_image.clone());
        let stores = Stores::connect(inputs, &names, ExitKind::RebaseError)?;
        privileges::prepare(inputs)?;
        results = Rebaser::new(config, stores.images()).rebase_fleet(&images);
    }
    for result in &mut results {
        result.shard = shard;
    }
    write_fleet_report(&report, &results)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))?;
    outcome(&results, &report)
}

/// Merges the fleet reports `inputs.merge_reports` names into `fleet-report.jsonl` next to
/// report.toml.
pub(crate) fn run_merge(inputs: &Inputs) -> Result<(), Failure> {
    let conflict = if inputs.images_from.is_some() {
        Some("-images-from")
    } else if inputs.output_image.is_some() {
        Some("image arguments")
    } else {
        None
    };
    if let Some(conflict) = conflict {
        return Err(Failure::message(
            ExitKind::InvalidArgs,
            format!("failed to parse arguments: -merge-reports cannot be combined with {conflict}"),
        ));
    }
    privileges::prepare(inputs)?;
    let failure =
        |error: cnb_rebaser::Error| Failure::new(error.kind(), Some(error.action()), &error);
    let merged = merge_fleet_reports(&inputs.merge_reports).map_err(failure)?;
    let report = inputs.report_path.with_file_name(FLEET_REPORT);
    write_fleet_report(&report, &merged.results).map_err(failure)?;
    if let Some(count) = merged.shards {
        tracing::info!("Merged the reports of {count} shards");
    } else {
        tracing::info!("Merged {} fleet reports", merged.reports);
    }
    outcome(&merged.results, &report)
}

/// Logs how many of `results` succeeded and fails (72) when any did not.
fn outcome(results: &[FleetResult], report: &Path) -> Result<(), Failure> {
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

fn shard_of(shard: RebaseShard) -> Shard {
    Shard {
        index: shard.index,
        count: shard.count,
    }
}

/// The images listed in `path`, one per line; blank lines, `#` comments and repeats (the same
/// image however spelled: `r/app` and `r/app:latest`) are skipped.
fn read_list(path: &Path) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::new(
            ExitKind::InvalidArgs,
            Some(&format!("read image list {}", path.display())),
            &error,
        )
    })?;
    let mut images: Vec<String> = Vec::new();
    let mut keys: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for line in text.lines().map(str::trim) {
        // A repeated image would be rebased twice at once: once is enough.
        if !line.is_empty() && !line.starts_with('#') && keys.insert(image_key(line)) {
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

/// Where a fleet run writes its report: next to report.toml, named after its shard if any.
fn report_path(report_toml: &Path, shard: Option<Shard>) -> PathBuf {
    let name = shard.map_or_else(|| FLEET_REPORT.to_owned(), |shard| shard.report_name());
    report_toml.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn the_image_list_skips_blanks_comments_and_the_same_image_spelled_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images");
        std::fs::write(
            &path,
            "# fleet\nr.test/a\n\n  r.test/b:v1  \nr.test/a\nr.test/a:latest\nr.test/b:v2\n",
        )
        .unwrap();
        assert_eq!(
            read_list(&path).unwrap(),
            ["r.test/a", "r.test/b:v1", "r.test/b:v2"]
        );
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
    fn a_shards_report_is_named_after_it_next_to_report_toml() {
        let shard = Shard::new(1, NonZeroU32::new(4).unwrap());
        assert_eq!(
            report_path(Path::new("/r/report.toml"), shard),
            Path::new("/r/fleet-report-shard-1-of-4.jsonl")
        );
        assert_eq!(
            report_path(Path::new("/r/report.toml"), None),
            Path::new("/r/fleet-report.jsonl")
        );
    }
}
