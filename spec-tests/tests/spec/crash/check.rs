//! What must hold whenever a phase was killed, checked from outside: every tag names a whole
//! image (manifest, config and every layer there and hashing to their digests) or what it
//! named before; the tags a run writes change in the order it writes them, to one manifest;
//! report.toml exists only once every tag names the new image; a volume cache holds one whole
//! generation (every entry listed, every listed entry there and hashing to its diffID); a
//! cache image is a whole image whose label lists only its own layers.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use cnb_image::{Digest, ImageStore};
use serde_json::Value;

use crate::image_support::reference;
use crate::registry_store::amd64;

const CACHE_METADATA: &str = "io.buildpacks.lifecycle.cache.metadata";
/// Blobs up to this size are read and hashed; larger ones (the busybox run image's layer,
/// which the runs under test only mount or link) are checked present.
const HASHED_BLOB: u64 = 256 * 1024;
const CACHE_LABEL: &str = CACHE_METADATA;

/// The digest `name` names, after checking that the image is whole (every blob there, each
/// up to [`HASHED_BLOB`] hashing to its digest); `None` without a tag.
pub(crate) fn whole_image(store: &dyn ImageStore, name: &str, context: &str) -> Option<Digest> {
    let image_ref = reference(name);
    let raw = store
        .read_manifest_raw(&image_ref, None)
        .unwrap_or_else(|error| panic!("{context}: {name} unreadable: {error}"))?;
    let image = store
        .read_image(&image_ref, &amd64())
        .unwrap_or_else(|error| panic!("{context}: {name} unreadable: {error}"))
        .unwrap_or_else(|| panic!("{context}: {name} has a manifest but no image"));
    assert_eq!(
        Digest::of(&raw.1),
        image.digest(),
        "{context}: {name} manifest"
    );
    let manifest = &image.manifest.manifest;
    for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
        if blob.size > HASHED_BLOB {
            assert!(
                store
                    .has_blob(&image_ref, &blob.digest)
                    .unwrap_or_else(|error| panic!(
                        "{context}: {name} blob {}: {error}",
                        blob.digest
                    )),
                "{context}: {name} names blob {} it lacks",
                blob.digest
            );
            continue;
        }
        let mut reader = store
            .open_blob(&image_ref, &blob.digest)
            .unwrap_or_else(|error| panic!("{context}: {name} blob {}: {error}", blob.digest))
            .unwrap_or_else(|| panic!("{context}: {name} names blob {} it lacks", blob.digest));
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .unwrap_or_else(|error| panic!("{context}: {name} blob {}: {error}", blob.digest));
        assert_eq!(
            Digest::of(&bytes),
            blob.digest,
            "{context}: {name} blob bytes"
        );
    }
    Some(image.digest())
}

/// The digests `names` resolve to, each checked whole.
pub(crate) fn tags(store: &dyn ImageStore, names: &[String], context: &str) -> Vec<Option<Digest>> {
    names
        .iter()
        .map(|name| whole_image(store, name, context))
        .collect()
}

/// The tags after a killed run against before it: the run writes them in order, all to one
/// manifest, so the changed ones are a prefix and name one image. Returns the digests after.
pub(crate) fn tag_set(
    store: &dyn ImageStore,
    names: &[String],
    before: &[Option<Digest>],
    context: &str,
) -> Vec<Option<Digest>> {
    let after = tags(store, names, context);
    let changed: Vec<bool> = after.iter().zip(before).map(|(a, b)| a != b).collect();
    let prefix = changed.iter().take_while(|changed| **changed).count();
    assert!(
        changed[prefix..].iter().all(|changed| !changed),
        "{context}: tags changed out of order: {names:?} from {before:?} to {after:?}"
    );
    let new: BTreeSet<_> = after[..prefix].iter().collect();
    assert!(
        new.len() <= 1,
        "{context}: one run wrote two manifests: {after:?}"
    );
    after
}

/// report.toml, if present, is whole and names what every tag names.
pub(crate) fn report(path: &Path, after: &[Option<Digest>], context: &str) {
    let Ok(text) = fs::read_to_string(path) else {
        return;
    };
    let report: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|error| panic!("{context}: report.toml is not whole: {error}\n{text}"));
    let digest = report["image"]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: report.toml has no digest\n{text}"));
    for tag in after {
        assert_eq!(
            tag.map(|digest| digest.to_string()).as_deref(),
            Some(digest),
            "{context}: report.toml exists but a tag does not name its image\n{text}"
        );
    }
}

/// The generation a reader of the volume cache in `dir` sees is whole: returns its layers.
pub(crate) fn volume_cache(dir: &Path, context: &str) -> BTreeSet<String> {
    let generation = ["committed", "committed-backup"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_dir())
        .unwrap_or_else(|| panic!("{context}: the volume cache lost its committed generation"));
    let text = fs::read_to_string(generation.join(CACHE_METADATA)).unwrap_or_else(|error| {
        panic!(
            "{context}: cache metadata in {}: {error}",
            generation.display()
        )
    });
    let metadata: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{context}: cache metadata is not whole: {error}"));
    let listed = listed_layers(&metadata);
    let mut stored = BTreeSet::new();
    for entry in fs::read_dir(&generation).expect("list the cache") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name == CACHE_METADATA {
            continue;
        }
        let diff_id = name
            .strip_suffix(".tar")
            .unwrap_or_else(|| panic!("{context}: stray file {name} in {}", generation.display()));
        let bytes = fs::read(generation.join(&name)).expect("cache entry");
        assert_eq!(
            Digest::of(&bytes).to_string(),
            diff_id,
            "{context}: cache entry {name} is half-written"
        );
        stored.insert(diff_id.to_owned());
    }
    assert_eq!(
        stored, listed,
        "{context}: the cache's entries and its metadata disagree"
    );
    listed
}

/// After a run that finished: one committed generation, no staging, no backup.
pub(crate) fn volume_cache_clean(dir: &Path, context: &str) {
    volume_cache(dir, context);
    for leftover in ["staging", "committed-backup"] {
        assert!(
            !dir.join(leftover).exists(),
            "{context}: {leftover} left in the cache after a finished run"
        );
    }
}

/// The cache image `name` is whole and its label lists only layers it has, stored
/// uncompressed (digest = diffID).
pub(crate) fn cache_image(store: &dyn ImageStore, name: &str, context: &str) {
    if whole_image(store, name, context).is_none() {
        return;
    }
    let image = store
        .read_image(&reference(name), &amd64())
        .expect("readable")
        .expect("exists");
    let metadata: Value = serde_json::from_str(image.label(CACHE_LABEL).unwrap_or("{}"))
        .unwrap_or_else(|error| panic!("{context}: cache label: {error}"));
    let diff_ids: BTreeSet<String> = image
        .config
        .rootfs
        .diff_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    let listed = listed_layers(&metadata);
    assert!(
        listed.is_subset(&diff_ids),
        "{context}: the cache image's label lists layers it lacks: {listed:?} vs {diff_ids:?}"
    );
    for (layer, diff_id) in image
        .manifest
        .manifest
        .layers
        .iter()
        .zip(&image.config.rootfs.diff_ids)
    {
        assert_eq!(
            layer.digest, *diff_id,
            "{context}: cache layers are plain tars"
        );
    }
}

/// The layer diffIDs cache metadata lists (buildpack layers and the SBOM layer).
fn listed_layers(metadata: &Value) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    for buildpack in metadata["buildpacks"].as_array().into_iter().flatten() {
        for layer in buildpack["layers"].as_object().into_iter().flatten() {
            if let Some(sha) = layer.1["sha"].as_str() {
                listed.insert(sha.to_owned());
            }
        }
    }
    if let Some(sha) = metadata["sbom"]["sha"]
        .as_str()
        .filter(|sha| !sha.is_empty())
    {
        listed.insert(sha.to_owned());
    }
    listed
}

/// No file a killed writer staged is left in `dirs` (after a run that finished).
pub(crate) fn no_staged_files(dirs: &[PathBuf], context: &str) {
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let name = entry.expect("entry").file_name();
            assert!(
                !name.to_string_lossy().starts_with(".tmp-"),
                "{context}: staged file {} left in {}",
                name.display(),
                dir.display()
            );
        }
    }
}
