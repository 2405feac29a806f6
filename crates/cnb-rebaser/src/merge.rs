//! Merging the fleet reports of a list's shards into one report, the one an unsharded run would
//! have written. Nothing is merged unless the reports fit together: one split of the list (the
//! same shard count, each shard once), every line in the shard its image falls in, no image
//! twice, and no shard missing. A report's shard is the one its name says
//! (`fleet-report-shard-<i>-of-<n>.jsonl`, so an empty shard still counts), else the one its
//! lines record; reports without shards (unsharded runs) merge with each other only.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use crate::{Error, FleetResult, Result, Shard, image_key};

/// The merged report: every line of every report, by shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedReport {
    /// The lines, shard by shard in index order (unsharded reports in the order given), each
    /// report's lines in its own order.
    pub results: Vec<FleetResult>,
    /// How many reports were merged.
    pub reports: usize,
    /// The shard count, when the reports are shards' reports.
    pub shards: Option<NonZeroU32>,
}

/// One fleet report, read back.
struct Report {
    path: PathBuf,
    shard: Option<Shard>,
    results: Vec<FleetResult>,
}

/// Merges the fleet reports at `inputs`: files, or directories whose shard reports
/// (`fleet-report-shard-*-of-*.jsonl`) are all taken.
pub fn merge_fleet_reports(inputs: &[PathBuf]) -> Result<MergedReport> {
    let mut reports = Vec::new();
    for path in report_files(inputs)? {
        reports.push(read_report(&path)?);
    }
    let shards = check_shards(&reports)?;
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    for report in &reports {
        for result in &report.results {
            if let Some(first) = seen.insert(image_key(&result.image), &report.path) {
                return Err(Error::ImageTwice {
                    image: result.image.clone(),
                    first: first.to_owned(),
                    second: report.path.clone(),
                });
            }
        }
    }
    reports.sort_by_key(|report| report.shard.map(|shard| shard.index));
    let count = reports.len();
    Ok(MergedReport {
        results: reports
            .into_iter()
            .flat_map(|report| report.results)
            .collect(),
        reports: count,
        shards,
    })
}

/// The report files `inputs` name, each once, directories expanded to their shard reports
/// in name order.
fn report_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        let read_error = |source| Error::ReadFleetReport {
            path: input.clone(),
            source,
        };
        if !input.is_dir() {
            files.push(input.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(input).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let named = entry
                .file_name()
                .to_str()
                .and_then(Shard::from_report_name)
                .is_some();
            if named {
                found.push(entry.path());
            }
        }
        if found.is_empty() {
            return Err(Error::NoShardReports { dir: input.clone() });
        }
        found.sort();
        files.extend(found);
    }
    let mut unique: Vec<PathBuf> = Vec::new();
    for file in files {
        if !unique.contains(&file) {
            unique.push(file);
        }
    }
    Ok(unique)
}

/// Reads the report at `path` and works out its shard.
fn read_report(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFleetReport {
        path: path.to_owned(),
        source,
    })?;
    let mut results: Vec<FleetResult> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let result = serde_json::from_str(line).map_err(|source| Error::ParseFleetReport {
            path: path.to_owned(),
            line: number + 1,
            source,
        })?;
        results.push(result);
    }
    let named = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(Shard::from_report_name);
    let shard = named.or_else(|| results.first().and_then(|result| result.shard));
    if let Some(odd) = results.iter().find(|result| result.shard != shard) {
        return Err(Error::ReportShardMismatch {
            path: path.to_owned(),
            image: odd.image.clone(),
            expected: describe(shard),
            found: describe(odd.shard),
        });
    }
    Ok(Report {
        path: path.to_owned(),
        shard,
        results,
    })
}

/// Checks that `reports` are one split of a list, each shard once, none missing, each line
/// in its image's shard; returns the shard count (`None` for unsharded reports).
fn check_shards(reports: &[Report]) -> Result<Option<NonZeroU32>> {
    let Some(first) = reports.first() else {
        return Ok(None);
    };
    let count = first.shard.map(|shard| shard.count);
    let mut by_index: BTreeMap<u32, &Path> = BTreeMap::new();
    for report in reports {
        if report.shard.map(|shard| shard.count) != count {
            return Err(Error::InconsistentShards {
                first: first.path.clone(),
                first_shard: describe(first.shard),
                second: report.path.clone(),
                second_shard: describe(report.shard),
            });
        }
        let Some(shard) = report.shard else {
            continue;
        };
        if let Some(other) = by_index.insert(shard.index, &report.path) {
            return Err(Error::ShardReportTwice {
                shard: shard.to_string(),
                first: other.to_owned(),
                second: report.path.clone(),
            });
        }
        if let Some(stray) = report.results.iter().find(|r| !shard.owns(&r.image)) {
            let belongs = Shard {
                index: crate::shard_index(&stray.image, shard.count),
                count: shard.count,
            };
            return Err(Error::ImageInWrongShard {
                path: report.path.clone(),
                image: stray.image.clone(),
                shard: shard.to_string(),
                belongs: belongs.to_string(),
            });
        }
    }
    if let Some(count) = count {
        let missing: Vec<String> = (0..count.get())
            .filter(|index| !by_index.contains_key(index))
            .map(|index| format!("{index}/{count}"))
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingShards {
                missing: list_of(&missing),
                count: count.get(),
            });
        }
    }
    Ok(count)
}

/// `shard i/n` or `no shard`.
fn describe(shard: Option<Shard>) -> String {
    shard.map_or_else(|| "no shard".to_owned(), |shard| format!("shard {shard}"))
}

/// `shards 1/4, 3/4`; past ten, the first ten and how many more.
fn list_of(missing: &[String]) -> String {
    const SHOWN: usize = 10;
    let noun = if missing.len() == 1 {
        "shard"
    } else {
        "shards"
    };
    let shown = missing[..missing.len().min(SHOWN)].join(", ");
    match missing.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{noun} {shown} and {more} more"),
        _ => format!("{noun} {shown}"),
    }
}

#[cfg(test)]
mod tests;
