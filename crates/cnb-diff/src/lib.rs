//! Why two app images differ: `lifecycle diff <image> <image>`, the answer to "why did my
//! rebuild change the digest". Two images with the same manifest digest are identical. Else
//! the difference is told in a few lines, each starting with what it is about:
//!
//! - `manifest: …` — manifest fields (media type, annotations, the config's media type);
//! - `config: …` — config fields (`created`, `os`, `architecture`, `history[N]…`, `Env.NAME`,
//!   `Entrypoint`, `Cmd`, `User`, `WorkingDir`, …; see `config.rs`);
//! - `label <key>: …` — labels, key by key, JSON labels field by field
//!   (`buildpacks[samples/hello].layers.deps.sha`);
//! - `layer N (<owner>): …` — layers paired by who made them (from the lifecycle metadata
//!   label: run image, buildpack layer, app, launcher, …), and inside the first differing ones
//!   file by file (`/layers/samples_hello/deps/x.txt: content differs (12 B vs 14 B)`).
//!
//! Each section prints at most [`Limits::max_lines`] lines and counts the rest. Layer contents
//! are streamed, never held: memory is one map of the first layer's paths (metadata and a
//! content digest per path) at a time.
//!
//! Layer 4 (beside the connected phases): gets `&dyn ImageStore`s injected; knows no flags,
//! no environment and no registry client.

mod config;
mod error;
mod files;
mod json;
mod layers;
mod owners;
mod render;
mod section;

use cnb_image::{Digest, Image, ImageRef, ImageStore, Platform};
use serde_json::Value;

pub use error::{Error, Result};

use crate::section::Section;

/// One of the two images: where it is and how it was named.
pub struct Side<'a> {
    /// The store that has it.
    pub store: &'a dyn ImageStore,
    /// Its reference in that store.
    pub reference: ImageRef,
    /// The image as the user gave it, for messages.
    pub name: String,
}

/// How much to compare and print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many differing layers to compare file by file.
    pub max_layers: usize,
    /// How many lines to print per section (the manifest, the config, each label, each layer,
    /// the list of layers), the rest counted.
    pub max_lines: usize,
}

/// What the comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Both images are this manifest.
    Identical(Digest),
    /// The images differ; the lines say where, the first one naming both digests.
    Different(Vec<String>),
}

/// Compares the images `first` and `second` name (an index resolved to `platform`'s image).
pub fn compare(
    first: &Side<'_>,
    second: &Side<'_>,
    platform: &Platform,
    limits: &Limits,
) -> Result<Outcome> {
    let a = read(first, platform)?;
    let b = read(second, platform)?;
    if a.digest() == b.digest() {
        return Ok(Outcome::Identical(a.digest()));
    }
    let mut manifest = Section::new("manifest", limits.max_lines);
    if let (Value::Object(x), Value::Object(y)) = (manifest_fields(&a), manifest_fields(&b)) {
        json::objects("", &x, &y, &mut manifest);
    }
    let mut sections = vec![manifest];
    sections.extend(config::compare(&a.config, &b.config, limits.max_lines));
    sections.extend(layers::compare(
        &layers::Read::new(first, &a),
        &layers::Read::new(second, &b),
        limits,
    )?);
    let mut lines = vec![format!(
        "digest: {} vs {}",
        a.digest().short(),
        b.digest().short()
    )];
    lines.extend(sections.into_iter().flat_map(section::Section::into_lines));
    if lines.len() == 1 {
        lines.push("manifest: the same fields, encoded otherwise".to_owned());
    }
    Ok(Outcome::Different(lines))
}

fn read(side: &Side<'_>, platform: &Platform) -> Result<Image> {
    side.store
        .read_image(&side.reference, platform)
        .map_err(|source| Error::Read {
            image: side.name.clone(),
            source: Box::new(source),
        })?
        .ok_or_else(|| Error::NotFound {
            image: side.name.clone(),
        })
}

/// The manifest's fields but what the config and layer comparisons cover (the config's and
/// layers' digests and sizes).
fn manifest_fields(image: &Image) -> Value {
    let mut fields = serde_json::from_slice(&image.manifest.bytes).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut fields {
        map.remove("layers");
        if let Some(Value::Object(config)) = map.get_mut("config") {
            config.remove("digest");
            config.remove("size");
        }
    }
    fields
}

#[cfg(test)]
mod tests;
