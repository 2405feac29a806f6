//! The rebaser phase (platform spec › rebaser): puts a new run image under an app image
//! without rebuilding it. The layers up to the label's `runImage.topLayer` are replaced by the
//! new run image's layers; the app's own layers, config and labels stay, with the lifecycle
//! metadata label and the `io.buildpacks.stack.*`/`io.buildpacks.base.*` labels updated.
//!
//! No layer bytes move: every layer of the new manifest is made present in the output
//! repository by an existence check or a cross-repository mount
//! ([`ImageStore::reuse_blob`](cnb_image::ImageStore::reuse_blob)); only the config and the
//! manifest are written. Bytes are copied only when the store cannot lend a blob (another
//! registry).
//!
//! [`Rebaser::rebase`] rebases one image to one or more tags (the Go form
//! `rebaser <image> <tag>…`); [`Rebaser::rebase_fleet`] rebases many images, each in place,
//! concurrently with a bound on parallel store requests, and reports one [`FleetResult`] per
//! image, written as JSON lines by [`write_fleet_report`]. A fleet list can be split into
//! [`Shard`]s that separate runs (machines, pods) take, and their reports merged into one by
//! [`merge_fleet_reports`].
//!
//! Layer 4 (connected phase): gets a `&dyn ImageStore` injected; knows no flags, no
//! environment and no registry client.

mod config;
mod error;
mod fleet;
mod merge;
mod metadata;
mod rebaser;
mod select;
mod shard;
mod swap;
mod validate;

pub use config::{FLEET_PARALLELISM, RebaseRequest, Rebased, RebaserConfig};
pub use error::{Error, Result};
pub use fleet::{FLEET_REPORT, FleetResult, write_fleet_report};
pub use merge::{MergedReport, merge_fleet_reports};
pub use rebaser::Rebaser;
pub use select::{choose_run_image, recorded_run_images};
pub use shard::{Shard, image_key, shard_index};
