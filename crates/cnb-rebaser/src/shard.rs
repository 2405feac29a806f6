//! Shards of a fleet: which share of an image list one rebaser run takes, so that many
//! machines can rebase one list together (a Kubernetes Indexed Job, or any job runner that
//! hands each worker an index `i` and a count `n`).
//!
//! An image belongs to shard `u64(first 8 bytes of sha256(key)) mod n`, where the key is the
//! normalised reference ([`image_key`]: `index.docker.io/library/busybox:latest` for
//! `busybox`) and the 8 bytes are read big-endian. The assignment depends on the image and `n`
//! alone, never on the list's order or on the other images: workers that read differently
//! ordered copies of a list, or lists that grew since, still split it so that every image is in
//! exactly one shard. The same image spelled two ways (`r/app`, `r/app:latest`) falls in one
//! shard. sha256 keeps the split even and fixed across versions and machines, and any tool can
//! compute it (`printf %s KEY | sha256sum`, the first 16 hex digits, mod `n`).

use std::fmt;
use std::num::NonZeroU32;

use cnb_image::{Digest, ImageRef};
use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (from 0), as the fleet report records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawShard")]
pub struct Shard {
    /// Which shard, below `count`.
    pub index: u32,
    /// How many shards the list is split into.
    pub count: NonZeroU32,
}

/// A shard as read, before its index is checked against its count.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShard {
    index: u32,
    count: NonZeroU32,
}

impl TryFrom<RawShard> for Shard {
    type Error = String;

    fn try_from(raw: RawShard) -> Result<Self, String> {
        Self::new(raw.index, raw.count)
            .ok_or_else(|| format!("shard {}/{} is not below its count", raw.index, raw.count))
    }
}

/// The file name pieces of a shard's fleet report: `fleet-report-shard-<i>-of-<n>.jsonl`.
const REPORT_PREFIX: &str = "fleet-report-shard-";
const REPORT_SUFFIX: &str = ".jsonl";

impl Shard {
    /// Shard `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u32, count: NonZeroU32) -> Option<Self> {
        (index < count.get()).then_some(Self { index, count })
    }

    /// Whether `image` falls in this shard.
    pub fn owns(&self, image: &str) -> bool {
        shard_index(image, self.count) == self.index
    }

    /// The images of `images` that fall in this shard, in their order.
    pub fn select(&self, images: &[String]) -> Vec<String> {
        images
            .iter()
            .filter(|image| self.owns(image))
            .cloned()
            .collect()
    }

    /// The name of this shard's fleet report (`fleet-report-shard-2-of-4.jsonl`), so that the
    /// reports of all shards can share a directory.
    pub fn report_name(&self) -> String {
        format!(
            "{REPORT_PREFIX}{}-of-{}{REPORT_SUFFIX}",
            self.index, self.count
        )
    }

    /// The shard a report file name made by [`Shard::report_name`] is for.
    pub fn from_report_name(name: &str) -> Option<Self> {
        let middle = name
            .strip_prefix(REPORT_PREFIX)?
            .strip_suffix(REPORT_SUFFIX)?;
        let (index, count) = middle.split_once("-of-")?;
        let number = |text: &str| -> Option<u32> {
            text.bytes()
                .all(|byte| byte.is_ascii_digit())
                .then(|| text.parse().ok())
                .flatten()
        };
        Self::new(number(index)?, NonZeroU32::new(number(count)?)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a listed image is known by, for shards and repeats: the fully qualified reference
/// (`index.docker.io/library/busybox:latest`), or the trimmed text when it does not parse
/// (such a line still lands in one shard, whose run reports it as failed).
pub fn image_key(image: &str) -> String {
    let text = image.trim();
    ImageRef::parse(text).map_or_else(|_| text.to_owned(), |reference| reference.to_string())
}

/// The shard of `count` that `image` falls in (see the module docs).
pub fn shard_index(image: &str, count: NonZeroU32) -> u32 {
    let digest = Digest::of(image_key(image).as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest.as_bytes()[..8]);
    let index = u64::from_be_bytes(head) % u64::from(count.get());
    // A remainder is below its divisor, which is a u32: the fallback is never taken.
    u32::try_from(index).unwrap_or_default()
}

#[cfg(test)]
mod tests;
