//! What happens around an instruction that changes files (RUN, COPY, ADD, a WORKDIR that
//! creates its directory): for `-kind build` it just runs ([`InPlace`]); for `-kind run`
//! ([`Snapshots`]) a cached layer of the same key stands in for it, or it runs between two
//! walks of the root and what it changed becomes a layer (and a cache entry).

use std::fs::File;
use std::path::{Path, PathBuf};

use cnb_archive::{Compression, Extractor};
use cnb_image::Digest;

use crate::cache::{Cache, CachedLayer};
use crate::error::StepError;
use crate::snapshot::{Ignore, SnapshotError, Tree, diff, walk, write_layer};

/// One instruction that changes files.
#[derive(Debug, Clone)]
pub(crate) struct LayerStep<'a> {
    /// Its cache key.
    pub key: Digest,
    /// The instruction as written, for the layer's history.
    pub created_by: &'a str,
}

/// Runs file-changing instructions.
pub(crate) trait LayerHook {
    /// Whether cache keys matter (they cost hashing COPY sources).
    fn keyed(&self) -> bool;

    /// Runs `execute` for `step`, or stands in for it.
    fn step(
        &mut self,
        step: &LayerStep<'_>,
        execute: &mut dyn FnMut() -> Result<(), StepError>,
    ) -> Result<(), StepError>;
}

/// `-kind build`: instructions run on the root, nothing is recorded.
pub(crate) struct InPlace;

impl LayerHook for InPlace {
    fn keyed(&self) -> bool {
        false
    }

    fn step(
        &mut self,
        _: &LayerStep<'_>,
        execute: &mut dyn FnMut() -> Result<(), StepError>,
    ) -> Result<(), StepError> {
        execute()
    }
}

/// A layer made by an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewLayer {
    pub layer: CachedLayer,
    /// The blob (in the cache).
    pub blob: PathBuf,
    /// The instruction that made it.
    pub created_by: String,
    /// The extension whose Dockerfile it came from.
    pub extension: String,
}

/// `-kind run`: layers, from the cache or from snapshots.
pub(crate) struct Snapshots {
    root: PathBuf,
    ignore: Ignore,
    cache: Cache,
    /// The walk after the last instruction that ran, if the root has not changed since.
    baseline: Option<Tree>,
    /// Cached layers used in place of instructions, not yet applied to the root: an
    /// instruction that runs needs them there first; if none runs, they never are.
    unapplied: Vec<PathBuf>,
    /// The layers so far.
    pub layers: Vec<NewLayer>,
    /// The extension being applied.
    pub extension: String,
}

impl Snapshots {
    pub(crate) fn new(root: &Path, ignore: Ignore, cache: Cache) -> Self {
        Self {
            root: root.to_owned(),
            ignore,
            cache,
            baseline: None,
            unapplied: Vec::new(),
            layers: Vec::new(),
            extension: String::new(),
        }
    }

    /// Applies the cached layers used so far to the root.
    fn apply_unapplied(&mut self) -> Result<(), StepError> {
        for blob in std::mem::take(&mut self.unapplied) {
            let file = File::open(&blob).map_err(StepError::io("reading", &blob))?;
            Extractor::new(&self.root)
                .apply_whiteouts(true)
                .extract(file)
                .map_err(|source| StepError::Unpack {
                    path: blob.clone(),
                    source,
                })?;
            self.baseline = None;
        }
        Ok(())
    }

    fn baseline(&mut self) -> Result<Tree, SnapshotError> {
        match self.baseline.take() {
            Some(tree) => Ok(tree),
            None => walk(&self.root, &self.ignore),
        }
    }
}

impl LayerHook for Snapshots {
    fn keyed(&self) -> bool {
        true
    }

    fn step(
        &mut self,
        step: &LayerStep<'_>,
        execute: &mut dyn FnMut() -> Result<(), StepError>,
    ) -> Result<(), StepError> {
        if let Some(hit) = self.cache.lookup(&step.key) {
            tracing::info!("Using the cached layer of '{}'", step.created_by);
            if let Some(layer) = hit.layer {
                self.unapplied.push(hit.blob.clone());
                self.layers.push(NewLayer {
                    layer,
                    blob: hit.blob,
                    created_by: step.created_by.to_owned(),
                    extension: self.extension.clone(),
                });
            }
            return Ok(());
        }
        self.apply_unapplied()?;
        let before = self.baseline()?;
        execute()?;
        let after = walk(&self.root, &self.ignore)?;
        let changes = diff(&self.root, &before, &after)?;
        let staging = self.cache.stage()?;
        let digests = write_layer(
            &self.root,
            &changes,
            &Cache::staged_blob(staging.path()),
            Compression::gzip(),
        )?;
        let layer = digests.as_ref().map(CachedLayer::from);
        tracing::debug!(
            "'{}' changed {} paths and removed {}",
            step.created_by,
            changes.changed.len(),
            changes.removed.len()
        );
        let blob = self.cache.store(&step.key, staging, layer.clone())?;
        if let Some(layer) = layer {
            self.layers.push(NewLayer {
                layer,
                blob,
                created_by: step.created_by.to_owned(),
                extension: self.extension.clone(),
            });
        }
        self.baseline = Some(after);
        Ok(())
    }
}
