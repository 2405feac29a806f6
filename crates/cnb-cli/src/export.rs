//! The exporter's wiring, one for the `exporter` command and the creator: the destinations
//! and cache image validated and analyzed.toml read (3) before anything is connected; then,
//! with the stores open and privileges dropped, the image export (62) and report.toml, then
//! the cache — a failed cache is a warning, never a failed export. With `-parallel` the cache
//! is written while the image is. From Platform API 0.12 the extended run image the extender
//! left in `<extended>/run` (one OCI layout) goes on the run image; before 0.13 it is
//! experimental.

use cnb_api::{ExitKind, LIFECYCLE_VERSION};
use std::path::{Path, PathBuf};

use cnb_archive::{Compression, GzipEngine};
use cnb_cache::ImageCache;
use cnb_exporter::{CacheTarget, Exporter, ExporterConfig, ExtendedRunImage, RunImageSources};
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::labels::{GitMetadata, LauncherMetadata, LauncherSource};
use cnb_image::{ImageIdentity, ImageRef, Platform};
use cnb_layout::LayoutStore;
use cnb_platform::Inputs;

use crate::references::{destinations, invalid, parse, parse_optional};
use crate::stores::Stores;
use crate::{Failure, experimental, privileges};

/// Runs the exporter.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let targets = ExportTargets::resolve(inputs)?;
    let analyzed = Analyzed::read(&inputs.analyzed_path).map_err(|error| {
        invalid(&format!(
            "failed to read analyzed file: {}",
            cnb_api::one_line(&error)
        ))
    })?;
    let mut images = targets.images();
    images.push(analyzed.run_image_ref().to_owned());
    images.push(analyzed.previous_image_ref().to_owned());
    images.retain(|image| !image.is_empty());
    let mut stores = Stores::connect(inputs, &images, ExitKind::ExportError)?;
    privileges::prepare(inputs)?;
    stores.open_launch_cache(inputs, ExitKind::Failed, "create launch cache")?;
    if !inputs.platform_api.extensions_are_stable() && extended_layout(inputs)?.is_some() {
        experimental::guard(inputs, experimental::DOCKERFILES)?;
    }
    export(inputs, &targets, &analyzed, &stores)
}

/// The layout directory of the extended run image: the one entry of `<extended>/run`
/// (Platform API 0.12; Go `FromLayoutPath`). `None` when there is no such directory or it is
/// empty; more than one entry fails (1).
fn extended_layout(inputs: &Inputs) -> Result<Option<PathBuf>, Failure> {
    if !inputs.platform_api.extends_run_image() {
        return Ok(None);
    }
    let parent = inputs.extended_dir.join("run");
    let entries = match std::fs::read_dir(&parent) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(Failure::new(
                ExitKind::Failed,
                Some("get extended image config"),
                &error,
            ));
        }
    };
    let entries: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    match entries.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some(only.clone())),
        several => Err(Failure::message(
            ExitKind::Failed,
            format!(
                "failed to get extended image config: expected directory {:?} to have only 1 item; found {}",
                parent.display().to_string(),
                several.len()
            ),
        )),
    }
}

/// The images the exporter writes, validated.
pub(crate) struct ExportTargets {
    /// `<image>` and the tags; the first is the output image.
    destinations: Vec<ImageRef>,
    cache_image: Option<ImageRef>,
    /// Every image named, for the keychain.
    names: Vec<String>,
}

impl ExportTargets {
    /// Validates the destinations and `-cache-image` (3 for a bad one).
    pub(crate) fn resolve(inputs: &Inputs) -> Result<Self, Failure> {
        let mut names = inputs.destination_images();
        names.extend(inputs.cache_image.iter().cloned());
        names.retain(|name| !name.is_empty());
        Ok(Self {
            destinations: destinations(inputs)?,
            cache_image: parse_optional(inputs.cache_image.as_deref())?,
            names,
        })
    }

    /// Every image named, for the keychain.
    pub(crate) fn images(&self) -> Vec<String> {
        self.names.clone()
    }
}

/// Exports the image and report.toml, and the cache after it (or alongside, with
/// `-parallel`).
pub(crate) fn export(
    inputs: &Inputs,
    targets: &ExportTargets,
    analyzed: &Analyzed,
    stores: &Stores,
) -> Result<(), Failure> {
    let config = configure(inputs, targets, analyzed)?;
    let cache = open_cache(inputs, targets, stores)?;
    let parallel = inputs.parallel_export && cache.is_some();
    let name_image =
        |reference: &ImageRef, identity: &ImageIdentity| stores.name_image(reference, identity);
    let extended_store = extended_layout(inputs)?.map(LayoutStore::at);
    let extended_name = ImageRef::parse("extended/run").map_err(|error| {
        Failure::new(ExitKind::Failed, Some("get extended image config"), &error)
    })?;
    let mut exporter = Exporter::new(config, stores.images(), &name_image);
    if let Some(store) = &extended_store {
        exporter = exporter.with_extended_run_image(ExtendedRunImage {
            store,
            reference: &extended_name,
        });
    }
    let write_cache = || {
        if let Some(target) = cache
            && let Err(error) = exporter.cache(target)
        {
            tracing::warn!("Failed to export cache: {}", cnb_api::one_line(&error));
        }
    };
    let image = if parallel {
        std::thread::scope(|scope| {
            let cache = scope.spawn(write_cache);
            let image = exporter.run();
            let _ = cache.join();
            image
        })
    } else {
        let image = exporter.run();
        if image.is_ok() {
            write_cache();
        }
        image
    };
    image
        .map(drop)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}

/// The exporter's config from the inputs and analyzed.toml.
fn configure(
    inputs: &Inputs,
    targets: &ExportTargets,
    analyzed: &Analyzed,
) -> Result<ExporterConfig, Failure> {
    // analyzed.toml names layout images by path; the layout store finds them by name.
    let analyzed_run = analyzed.run_image_ref();
    if analyzed_run.is_empty() {
        return Err(invalid("run image not found in analyzed metadata"));
    }
    let run_name = if inputs.use_layout {
        analyzed
            .run_image
            .as_ref()
            .and_then(|run| run.image.as_deref())
            .unwrap_or(analyzed_run)
    } else {
        analyzed_run
    };
    let run_image = ImageRef::parse(run_name).map_err(|error| {
        Failure::new(
            ExitKind::ExportError,
            Some("export: parsing run image reference"),
            &error,
        )
    })?;
    let output_image = targets.destinations[0].clone();
    let previous_image = match analyzed.previous_image_ref() {
        "" => None,
        _ if inputs.use_layout => Some(output_image.clone()),
        name => Some(parse(name)?),
    };
    let sources = RunImageSources {
        run_path: &inputs.run_path,
        stack_path: &inputs.stack_path,
        layers_dir: &inputs.layers_dir,
    };
    let run_image_for_export =
        cnb_exporter::run_image_for_export(inputs.platform_api, sources, analyzed)
            .map_err(|error| Failure::new(ExitKind::Failed, Some("read run file"), &error))?;
    let source_date_epoch = inputs
        .environ
        .iter()
        .find(|(key, _)| key == cnb_api::env::SOURCE_DATE_EPOCH)
        .map(|(_, value)| value.to_string_lossy());
    Ok(ExporterConfig {
        platform_api: inputs.platform_api,
        app_dir: inputs.app_dir.clone(),
        layers_dir: inputs.layers_dir.clone(),
        group_path: inputs.group_path.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        project_metadata_path: inputs.project_metadata_path.clone(),
        report_path: inputs.report_path.clone(),
        output_image,
        additional_tags: targets.destinations[1..].to_vec(),
        tag_names: tag_names(inputs),
        run_image,
        previous_image,
        run_image_for_export,
        launcher_path: inputs.launcher_path.clone(),
        lifecycle_dir: PathBuf::from(cnb_api::LIFECYCLE_DIR),
        launcher_sbom_dir: (inputs.launcher_sbom_dir != Path::new(cnb_api::LIFECYCLE_DIR))
            .then(|| inputs.launcher_sbom_dir.clone()),
        launcher_metadata: launcher_metadata(),
        process_type: inputs.process_type.clone().filter(|kind| !kind.is_empty()),
        exec_env: inputs.exec_env.clone(),
        created: cnb_exporter::source_date_epoch(inputs.platform_api, source_date_epoch.as_deref()),
        uid: inputs.uid,
        gid: inputs.gid,
        platform: Platform::own(),
        compression: layer_compression(inputs.gzip_engine),
    })
}

/// gzip by the engine `CNB_GZIP_ENGINE` chose.
fn layer_compression(engine: cnb_platform::GzipEngine) -> Compression {
    Compression::gzip_by(match engine {
        cnb_platform::GzipEngine::ZlibRs => GzipEngine::ZlibRs,
        cnb_platform::GzipEngine::Isal => GzipEngine::Isal,
    })
}

/// The cache, opened before any export work: `-cache-image`, else `-cache-dir`, else none.
/// One that cannot be opened fails the phase (1), as in Go.
fn open_cache<'a>(
    inputs: &Inputs,
    targets: &ExportTargets,
    stores: &'a Stores,
) -> Result<Option<CacheTarget<'a>>, Failure> {
    let opened = match (&targets.cache_image, &inputs.cache_dir) {
        (Some(reference), _) => {
            CacheTarget::Image(Box::new(open_image_cache(inputs, stores, reference)?))
        }
        (None, Some(dir)) => CacheTarget::volume(dir)
            .map_err(|error| Failure::new(ExitKind::Failed, Some("create volume cache"), &error))?,
        (None, None) => {
            if inputs.parallel_export {
                tracing::warn!(
                    "parallel export has been enabled, but it has not taken effect because no cache has been specified."
                );
            }
            return Ok(None);
        }
    };
    Ok(Some(opened))
}

/// The cache image `reference` in the registries, opened for reading (one that cannot be
/// read fails with 1, as Go's "failed to create image cache") and set to be deleted when a
/// new one replaces it (below Platform API 0.13, as Go does).
pub(crate) fn open_image_cache<'a>(
    inputs: &Inputs,
    stores: &'a Stores,
    reference: &ImageRef,
) -> Result<ImageCache<'a>, Failure> {
    ImageCache::open(&stores.registry, reference.clone())
        .map(|cache| cache.delete_when_replaced(!inputs.platform_api.keeps_replaced_cache_image()))
        .map_err(|error| Failure::new(ExitKind::Failed, Some("create image cache"), &error))
}

/// How logs and report.toml name the destinations: as given, or by their path in a layout.
fn tag_names(inputs: &Inputs) -> Vec<String> {
    let names = inputs.destination_images();
    let Some(root) = inputs.layout_dir.as_ref().filter(|_| inputs.use_layout) else {
        return names;
    };
    names
        .iter()
        .map(|name| {
            ImageRef::parse(name)
                .ok()
                .and_then(|reference| cnb_layout::layout_path(root, &reference).ok())
                .map_or_else(|| name.clone(), |path| path.display().to_string())
        })
        .collect()
}

/// The launcher's version and source, for the build metadata label.
fn launcher_metadata() -> LauncherMetadata {
    LauncherMetadata {
        version: LIFECYCLE_VERSION.to_owned(),
        source: LauncherSource {
            git: GitMetadata {
                repository: String::new(),
                commit: option_env!("CNB_LIFECYCLE_COMMIT")
                    .unwrap_or_default()
                    .to_owned(),
            },
        },
    }
}
