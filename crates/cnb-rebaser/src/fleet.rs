//! Fleet mode: many app images in one run, each rebased in place, at most
//! [`RebaserConfig::parallelism`](crate::RebaserConfig::parallelism) at a time, with one
//! result per image. A failing image never stops the others, and an image that fails
//! validation is left as it was.
//!
//! The report is JSON lines, one object per image in the order given:
//! `{"image":…,"old-digest":…,"new-digest":…,"run-image":…}` for a rebased image, and
//! `{"image":…,"old-digest":…,"error":…}` for a failed one (`old-digest` only when the image
//! could be read). A run that rebases one [`Shard`] of a list adds
//! `"shard":{"index":…,"count":…}` to each line and names its report after the shard
//! ([`Shard::report_name`]); the reports of all shards merge into one
//! ([`merge_fleet_reports`](crate::merge_fleet_reports)).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use cnb_image::ImageRef;
use serde::{Deserialize, Serialize};

use crate::{Error, RebaseRequest, Rebaser, Result, Shard};

/// The fleet report's file name; cnb-cli writes it next to report.toml.
pub const FLEET_REPORT: &str = "fleet-report.jsonl";

/// What happened to one image of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetResult {
    /// The image, as listed.
    pub image: String,
    /// Its manifest digest before, when it could be read.
    #[serde(
        rename = "old-digest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub old_digest: Option<String>,
    /// Its manifest digest after a successful rebase.
    #[serde(
        rename = "new-digest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub new_digest: Option<String>,
    /// The run image it now sits on.
    #[serde(rename = "run-image", default, skip_serializing_if = "Option::is_none")]
    pub run_image: Option<String>,
    /// Why it failed, on one line (`failed to <action>: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The shard of the list the run that rebased it took, if the list was sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

impl FleetResult {
    /// Whether the image was rebased.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

impl Rebaser<'_> {
    /// Rebases each of `images` in place, concurrently, and returns one result per image in
    /// the same order.
    pub fn rebase_fleet(&self, images: &[String]) -> Vec<FleetResult> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<FleetResult>>> = Mutex::new(vec![None; images.len()]);
        let workers = self.config().parallelism.get().min(images.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(image) = images.get(index) else {
                            break;
                        };
                        let result = self.rebase_one(image);
                        results.lock().unwrap_or_else(PoisonError::into_inner)[index] =
                            Some(result);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .zip(images)
            .map(|(result, image)| {
                result.unwrap_or_else(|| FleetResult {
                    image: image.clone(),
                    old_digest: None,
                    new_digest: None,
                    run_image: None,
                    error: Some("not rebased".to_owned()),
                    shard: None,
                })
            })
            .collect()
    }

    fn rebase_one(&self, image: &str) -> FleetResult {
        let mut old = None;
        let outcome = ImageRef::parse(image)
            .map_err(Error::ParseReference)
            .and_then(|reference| {
                self.rebase_noting_source(&RebaseRequest::in_place(reference), &mut old)
            });
        let old_digest = old.map(|identity| identity.to_string());
        match outcome {
            Ok(rebased) => FleetResult {
                image: image.to_owned(),
                old_digest,
                new_digest: Some(rebased.new_image.to_string()),
                run_image: Some(rebased.run_image),
                error: None,
                shard: None,
            },
            Err(error) => {
                tracing::warn!(
                    "{image}: failed to {}: {}",
                    error.action(),
                    cnb_api::one_line(&error)
                );
                FleetResult {
                    image: image.to_owned(),
                    old_digest,
                    new_digest: None,
                    run_image: None,
                    error: Some(format!(
                        "failed to {}: {}",
                        error.action(),
                        cnb_api::one_line(&error)
                    )),
                    shard: None,
                }
            }
        }
    }
}

/// Writes `results` as JSON lines to `path`, replacing it whole.
pub fn write_fleet_report(path: &Path, results: &[FleetResult]) -> Result<()> {
    let mut text = String::new();
    for result in results {
        text.push_str(&serde_json::to_string(result).unwrap_or_default());
        text.push('\n');
    }
    cnb_sys::replace_file(path, text.as_bytes()).map_err(|source| Error::WriteFleetReport {
        path: path.to_owned(),
        source,
    })
}
