//! The layers of two images paired by owner (run image layer N, buildpack X layer Y, app slice
//! N, launcher, …; layers without an owner by position) and compared: by diffID, then for the
//! first `max_layers` differing pairs file by file. A pair with the same diffID but another
//! blob (compression, media type) is reported too: it changes the manifest digest.

use std::collections::{HashMap, VecDeque};

use cnb_image::{Descriptor, Digest, Image, ImageRef, ImageStore};

use crate::files::{self, FileComparison, LayerBlob};
use crate::owners::{Owner, owners};
use crate::section::Section;
use crate::{Error, Limits, Result, Side};

/// One layer of one image.
struct Layer<'a> {
    /// Position in its image, from 1.
    position: usize,
    owner: Owner,
    diff_id: Digest,
    descriptor: &'a Descriptor,
}

impl Layer<'_> {
    /// `layer 5 (buildpack samples/hello layer deps)`, or `layer 5` without an owner.
    fn title(&self) -> String {
        match self.owner {
            Owner::Unknown(_) => format!("layer {}", self.position),
            ref owner => format!("layer {} ({owner})", self.position),
        }
    }
}

/// One image as the layer comparison reads it.
pub(crate) struct Read<'a> {
    pub(crate) store: &'a dyn ImageStore,
    pub(crate) reference: &'a ImageRef,
    pub(crate) name: &'a str,
    pub(crate) image: &'a Image,
}

impl<'a> Read<'a> {
    pub(crate) fn new(side: &'a Side<'a>, image: &'a Image) -> Self {
        Self {
            store: side.store,
            // as given: a layout store maps a reference pinned to the digest elsewhere
            reference: &side.reference,
            name: &side.name,
            image,
        }
    }

    fn layers(&self) -> Result<Vec<Layer<'a>>> {
        let descriptors = &self.image.manifest.manifest.layers;
        let diff_ids = &self.image.config.rootfs.diff_ids;
        if descriptors.len() != diff_ids.len() {
            return Err(Error::LayerCount {
                image: self.name.to_owned(),
                layers: descriptors.len(),
                diff_ids: diff_ids.len(),
            });
        }
        Ok(owners(&self.image.config)
            .into_iter()
            .zip(diff_ids.iter().zip(descriptors))
            .enumerate()
            .map(|(index, (owner, (diff_id, descriptor)))| Layer {
                position: index + 1,
                owner,
                diff_id: *diff_id,
                descriptor,
            })
            .collect())
    }

    fn blob(&self, layer: &Layer<'a>) -> LayerBlob<'a> {
        LayerBlob {
            store: self.store,
            reference: self.reference,
            image: self.name,
            descriptor: layer.descriptor,
            diff_id: layer.diff_id,
        }
    }
}

/// A layer of the first image, of the second, or of both.
enum Entry<'a> {
    Both(Layer<'a>, Layer<'a>),
    First(Layer<'a>),
    Second(Layer<'a>),
}

/// The sections of the layers that differ, in the first image's layer order, then the layers
/// only the second image has; then a `layers` section for what did not fit.
pub(crate) fn compare(
    first: &Read<'_>,
    second: &Read<'_>,
    limits: &Limits,
) -> Result<Vec<Section>> {
    let (entries, reordered) = pair(first.layers()?, second.layers()?);
    let mut sections = Vec::new();
    let mut summary = Section::new("layers", limits.max_lines);
    if reordered {
        summary.push("the layers the images share are in another order");
    }
    let mut compared = 0;
    let mut differing = 0;
    for entry in entries {
        let mut section = match &entry {
            Entry::Both(a, _) | Entry::First(a) => Section::new(a.title(), limits.max_lines),
            Entry::Second(b) => Section::new(b.title(), limits.max_lines),
        };
        match &entry {
            Entry::Both(a, b) if a.diff_id == b.diff_id => same_contents(a, b, &mut section),
            Entry::Both(a, b) if compared < limits.max_layers => {
                compared += 1;
                let found = files::compare(&first.blob(a), &second.blob(b), limits.max_lines)?;
                file_lines(found, &mut section);
            }
            Entry::Both(a, b) => section.push(format!(
                "differs ({} vs {}), not compared file by file (-max-layers {})",
                a.diff_id.short(),
                b.diff_id.short(),
                limits.max_layers
            )),
            Entry::First(a) => {
                section.push(format!("only in the first image ({})", a.diff_id.short()));
            }
            Entry::Second(b) => {
                section.push(format!("only in the second image ({})", b.diff_id.short()));
            }
        }
        if section.is_empty() {
            continue;
        }
        differing += 1;
        if differing <= limits.max_lines.max(limits.max_layers) {
            sections.push(section);
        } else {
            summary.add_more(1);
        }
    }
    sections.push(summary);
    Ok(sections)
}

/// Pairs layers by owner, in the first image's order; whether the paired layers of the second
/// image come in another order.
fn pair<'a>(first: Vec<Layer<'a>>, second: Vec<Layer<'a>>) -> (Vec<Entry<'a>>, bool) {
    let mut by_owner: HashMap<Owner, VecDeque<usize>> = HashMap::new();
    for (index, layer) in second.iter().enumerate() {
        by_owner
            .entry(layer.owner.key())
            .or_default()
            .push_back(index);
    }
    let mut second: Vec<Option<Layer<'a>>> = second.into_iter().map(Some).collect();
    let mut entries = Vec::new();
    let mut last = None;
    let mut reordered = false;
    for layer in first {
        let partner = by_owner
            .get_mut(&layer.owner.key())
            .and_then(VecDeque::pop_front)
            .and_then(|index| Some((index, second[index].take()?)));
        match partner {
            Some((index, other)) => {
                reordered |= last.is_some_and(|last| index < last);
                last = Some(index);
                entries.push(Entry::Both(layer, other));
            }
            None => entries.push(Entry::First(layer)),
        }
    }
    entries.extend(second.into_iter().flatten().map(Entry::Second));
    (entries, reordered)
}

/// Same diffID: the blob may still differ (compression, media type).
fn same_contents(first: &Layer<'_>, second: &Layer<'_>, section: &mut Section) {
    let (a, b) = (first.descriptor, second.descriptor);
    if a.digest != b.digest {
        section.push(format!(
            "same contents, another blob ({} vs {})",
            a.digest.short(),
            b.digest.short()
        ));
    }
    if a.media_type != b.media_type {
        section.push(format!("media type {} vs {}", a.media_type, b.media_type));
    }
}

fn file_lines(found: FileComparison, section: &mut Section) {
    match found {
        FileComparison::Compared {
            lines,
            more,
            reordered,
        } => {
            if lines.is_empty() && more == 0 {
                section.push(match reordered {
                    Some(path) => format!("the same files in another order (from {path})"),
                    None => "the same files, encoded otherwise (tar headers)".to_owned(),
                });
            }
            for line in lines {
                section.push(line);
            }
            section.add_more(more);
        }
        FileComparison::Unavailable(side) => section.push(format!(
            "differs, not compared file by file: the {side} image's store does not have the blob (a sparse layout?)"
        )),
    }
}
