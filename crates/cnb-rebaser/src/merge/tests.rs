use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use cnb_api::ExitKind;
use pretty_assertions::assert_eq;

use super::*;
use crate::write_fleet_report;

fn shard(index: u32, count: u32) -> Shard {
    Shard::new(index, NonZeroU32::new(count).unwrap()).unwrap()
}

fn result(image: &str, shard: Option<Shard>) -> FleetResult {
    FleetResult {
        image: image.to_owned(),
        old_digest: None,
        new_digest: Some(format!("sha256:{:064x}", image.len())),
        run_image: Some("r.test/run:v2".to_owned()),
        error: None,
        shard,
    }
}

fn images() -> Vec<String> {
    (0..40).map(|n| format!("r.test/app-{n}:latest")).collect()
}

/// Writes the report of `shard` over `images` into `dir`, as a sharded run names it.
fn write_shard(dir: &Path, images: &[String], shard: Shard) -> PathBuf {
    let results: Vec<FleetResult> = shard
        .select(images)
        .iter()
        .map(|image| result(image, Some(shard)))
        .collect();
    let path = dir.join(shard.report_name());
    write_fleet_report(&path, &results).unwrap();
    path
}

fn message(error: &Error) -> String {
    assert_eq!(error.kind(), ExitKind::InvalidArgs, "{error}");
    assert_eq!(error.action(), "merge fleet reports");
    cnb_api::one_line(error)
}

#[test]
fn the_shards_of_a_list_merge_into_one_report_in_shard_order() {
    let dir = tempfile::tempdir().unwrap();
    let images = images();
    for index in [2, 0, 3, 1] {
        write_shard(dir.path(), &images, shard(index, 4));
    }
    let merged = merge_fleet_reports(&[dir.path().to_owned()]).unwrap();
    assert_eq!(merged.reports, 4);
    assert_eq!(merged.shards, NonZeroU32::new(4));
    assert_eq!(merged.results.len(), images.len());
    let indexes: Vec<u32> = merged
        .results
        .iter()
        .map(|r| r.shard.unwrap().index)
        .collect();
    assert!(indexes.is_sorted(), "{indexes:?}");
    let mut listed: Vec<&str> = merged.results.iter().map(|r| r.image.as_str()).collect();
    listed.sort_unstable();
    let mut expected: Vec<&str> = images.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

#[test]
fn an_empty_shard_counts_by_its_name_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let one = vec!["r.test/only:latest".to_owned()];
    let owner = crate::shard_index(&one[0], NonZeroU32::new(3).unwrap());
    for index in 0..3 {
        write_shard(dir.path(), &one, shard(index, 3));
    }
    let merged = merge_fleet_reports(&[dir.path().to_owned()]).unwrap();
    assert_eq!(merged.results.len(), 1);
    assert_eq!(merged.results[0].shard, Some(shard(owner, 3)));

    let dir = tempfile::tempdir().unwrap();
    let images = images();
    let files: Vec<PathBuf> = (0..4)
        .map(|index| write_shard(dir.path(), &images, shard(index, 4)))
        .collect();
    std::fs::remove_file(&files[1]).unwrap();
    std::fs::remove_file(&files[3]).unwrap();
    let error = merge_fleet_reports(&[dir.path().to_owned()]).unwrap_err();
    assert_eq!(
        message(&error),
        "missing the reports of shards 1/4, 3/4 (of 4 shards)"
    );
    let error = merge_fleet_reports(std::slice::from_ref(&files[0])).unwrap_err();
    assert_eq!(
        message(&error),
        "missing the reports of shards 1/4, 2/4, 3/4 (of 4 shards)"
    );
}

#[test]
fn reports_of_different_splits_or_one_shard_twice_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let images = images();
    let a = write_shard(dir.path(), &images, shard(0, 4));
    let other = tempfile::tempdir().unwrap();
    let b = write_shard(other.path(), &images, shard(1, 3));
    let error = merge_fleet_reports(&[a.clone(), b.clone()]).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "{} is the report of shard 0/4 but {} of shard 1/3",
            a.display(),
            b.display()
        )
    );
    let copy = other.path().join("copy.jsonl");
    std::fs::copy(&a, &copy).unwrap();
    let error = merge_fleet_reports(&[a.clone(), copy.clone()]).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "{} and {} are both reports of shard 0/4",
            a.display(),
            copy.display()
        )
    );
    let unsharded = other.path().join("fleet-report.jsonl");
    write_fleet_report(&unsharded, &[result("r.test/x", None)]).unwrap();
    let error = merge_fleet_reports(&[a.clone(), unsharded.clone()]).unwrap_err();
    assert!(message(&error).ends_with("of no shard"), "{error}");
    // The same file named twice is read once.
    let error = merge_fleet_reports(&[a.clone(), a.clone()]).unwrap_err();
    assert!(message(&error).starts_with("missing the reports of shards 1/4"));
}

#[test]
fn lines_in_the_wrong_shard_and_images_listed_twice_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let images = images();
    let count = NonZeroU32::new(4).unwrap();
    let stray = images
        .iter()
        .find(|image| crate::shard_index(image, count) != 0)
        .unwrap();
    let belongs = crate::shard_index(stray, count);
    let path = dir.path().join(shard(0, 4).report_name());
    write_fleet_report(&path, &[result(stray, Some(shard(0, 4)))]).unwrap();
    let error = merge_fleet_reports(std::slice::from_ref(&path)).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "{} lists {stray} in shard 0/4, but it falls in shard {belongs}/4",
            path.display()
        )
    );

    write_fleet_report(&path, &[result(stray, Some(shard(belongs, 4)))]).unwrap();
    let error = merge_fleet_reports(std::slice::from_ref(&path)).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "{} is the report of shard 0/4 but lists {stray} as shard {belongs}/4",
            path.display()
        )
    );

    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    write_fleet_report(&first, &[result("r.test/app", None)]).unwrap();
    write_fleet_report(&second, &[result("r.test/app:latest", None)]).unwrap();
    let error = merge_fleet_reports(&[first.clone(), second.clone()]).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "r.test/app:latest is listed in {} and again in {}",
            first.display(),
            second.display()
        )
    );
}

#[test]
fn unreadable_inputs_are_refused_with_the_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let error = merge_fleet_reports(&[dir.path().to_owned()]).unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "no shard reports (fleet-report-shard-<index>-of-<count>.jsonl) in {}",
            dir.path().display()
        )
    );
    let path = dir.path().join(shard(0, 1).report_name());
    std::fs::write(&path, "{\"image\":\"r.test/a\"}\n\nnot json\n").unwrap();
    let error = merge_fleet_reports(std::slice::from_ref(&path)).unwrap_err();
    assert!(
        message(&error).starts_with(&format!(
            "{} line 3 is not a fleet report line: ",
            path.display()
        )),
        "{error}"
    );
    let missing = dir.path().join("missing.jsonl");
    let error = merge_fleet_reports(&[missing]).unwrap_err();
    assert!(message(&error).starts_with("reading "), "{error}");
}
