//! The exporter's wiring: references validated (3), the analyzed run image and previous
//! image, the keychain and stores connected before privileges drop, then the image export
//! (62) and report.toml, then the cache — a failed cache is a warning, never a failed export.
//! With `-parallel` the cache is written while the image is.

use cnb_api::{ExitKind, LIFECYCLE_VERSION};
use cnb_exporter::{CacheTarget, Exporter, ExporterConfig};
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::labels::{GitMetadata, LauncherMetadata, LauncherSource};
use cnb_files::metadata::BuildMetadata;
use cnb_files::run::{Run, RunImageForExport};
use cnb_files::stack::Stack;
use cnb_image::{ImageIdentity, ImageRef};
use cnb_platform::Inputs;

use crate::stores::{Stores, own_platform};
use crate::{Failure, privileges};

/// Runs the exporter.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let (stores, config, cache) = prepare(inputs)?;
    let name_image =
        |reference: &ImageRef, identity: &ImageIdentity| stores.name_image(reference, identity);
    let exporter = Exporter::new(config, stores.images(), &name_image);
    export(&exporter, &stores, cache.as_ref(), inputs.parallel_export)
}

/// Resolves the exporter's inputs, connects the stores and drops privileges.
pub(crate) fn prepare(
    inputs: &Inputs,
) -> Result<(Stores, ExporterConfig, Option<CacheTarget>), Failure> {
    let destinations = destinations(inputs)?;
    let analyzed = Analyzed::read(&inputs.analyzed_path)
        .map_err(|error| Failure::new(ExitKind::Failed, Some("read analyzed metadata"), &error))?;
    let mut images = inputs.destination_images();
    images.extend(inputs.cache_image.iter().cloned());
    images.push(analyzed.run_image_ref().to_owned());
    images.push(analyzed.previous_image_ref().to_owned());
    images.retain(|image| !image.is_empty());
    let stores = Stores::connect(inputs, &images, ExitKind::ExportError)?;
    privileges::prepare(inputs)?;
    let (config, cache) = configure(inputs, destinations, &analyzed)?;
    Ok((stores, config, cache))
}

/// `<image>` and the tags, parsed; all must be on the output image's registry (3).
pub(crate) fn destinations(inputs: &Inputs) -> Result<Vec<ImageRef>, Failure> {
    let names = inputs.destination_images();
    let destinations = names
        .iter()
        .map(|name| parse(name))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(output_image) = destinations.first() else {
        return Err(invalid("missing image argument"));
    };
    if destinations
        .iter()
        .any(|image| image.registry() != output_image.registry())
    {
        return Err(invalid("writing to multiple registries is unsupported"));
    }
    Ok(destinations)
}

fn invalid(message: &str) -> Failure {
    Failure::message(
        ExitKind::InvalidArgs,
        format!("failed to resolve inputs: {message}"),
    )
}

fn parse(text: &str) -> Result<ImageRef, Failure> {
    ImageRef::parse(text).map_err(|error| invalid(&error.to_string()))
}

/// The exporter's config and cache from the inputs and analyzed.toml.
pub(crate) fn configure(
    inputs: &Inputs,
    destinations: Vec<ImageRef>,
    analyzed: &Analyzed,
) -> Result<(ExporterConfig, Option<CacheTarget>), Failure> {
    let mut destinations = destinations.into_iter();
    let output_image = destinations
        .next()
        .ok_or_else(|| invalid("missing image argument"))?;
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
    let previous_image = match analyzed.previous_image_ref() {
        "" => None,
        _ if inputs.use_layout => Some(output_image.clone()),
        name => Some(parse(name)?),
    };
    let cache_image = inputs.cache_image.as_deref().map(parse).transpose()?;
    let cache = match (cache_image, &inputs.cache_dir) {
        (Some(reference), _) => Some(CacheTarget::Image(reference)),
        (None, Some(dir)) => Some(CacheTarget::Volume(dir.clone())),
        (None, None) => {
            if inputs.parallel_export {
                tracing::warn!(
                    "parallel export has been enabled, but it has not taken effect because no cache has been specified."
                );
            }
            None
        }
    };
    let config = ExporterConfig {
        platform_api: inputs.platform_api,
        app_dir: inputs.app_dir.clone(),
        layers_dir: inputs.layers_dir.clone(),
        group_path: inputs.group_path.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        project_metadata_path: inputs.project_metadata_path.clone(),
        report_path: inputs.report_path.clone(),
        output_image,
        additional_tags: destinations.collect(),
        tag_names: tag_names(inputs),
        run_image,
        previous_image,
        run_image_for_export: run_image_for_export(inputs, analyzed)
            .map_err(|error| Failure::new(ExitKind::Failed, Some("export"), &error))?,
        launcher_path: inputs.launcher_path.clone(),
        launcher_sbom_dir: inputs.launcher_sbom_dir.clone(),
        launcher_metadata: launcher_metadata(),
        process_type: inputs.process_type.clone().filter(|kind| !kind.is_empty()),
        exec_env: inputs.exec_env.clone(),
        created: source_date_epoch(inputs),
        uid: inputs.uid,
        gid: inputs.gid,
        platform: own_platform(),
    };
    Ok((config, cache))
}

/// Exports the image and report, and the cache after it (or alongside, with `parallel`).
pub(crate) fn export(
    exporter: &Exporter<'_>,
    stores: &Stores,
    cache: Option<&CacheTarget>,
    parallel: bool,
) -> Result<(), Failure> {
    let write_cache = || {
        if let Some(target) = cache
            && let Err(error) = exporter.cache(target, &stores.registry)
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

/// `SOURCE_DATE_EPOCH` (Platform API 0.9 and later), ignored with a warning when invalid.
fn source_date_epoch(inputs: &Inputs) -> Option<i64> {
    if !inputs.platform_api.honours_source_date_epoch() {
        return None;
    }
    let value = inputs
        .environ
        .iter()
        .find(|(key, _)| key == cnb_api::env::SOURCE_DATE_EPOCH)
        .map(|(_, value)| value.to_string_lossy().into_owned())
        .filter(|value| !value.is_empty())?;
    let seconds = value.parse().ok();
    if seconds.is_none() {
        tracing::warn!("Ignoring invalid SOURCE_DATE_EPOCH");
    }
    seconds
}

/// The run image as the label records it: stack.toml's before Platform API 0.12; after, the
/// run.toml entry naming the analyzed run image, else (extensions may have switched it) the
/// analyzed name alone, else the first entry.
fn run_image_for_export(
    inputs: &Inputs,
    analyzed: &Analyzed,
) -> Result<RunImageForExport, cnb_files::Error> {
    if !inputs.platform_api.uses_run_toml() {
        return Ok(Stack::read_optional(&inputs.stack_path)?
            .map(|stack| stack.run_image)
            .unwrap_or_default());
    }
    let run = Run::read_optional(&inputs.run_path)?.unwrap_or_default();
    let Some(first) = run.images.first() else {
        return Ok(RunImageForExport::default());
    };
    let name = analyzed
        .run_image
        .as_ref()
        .and_then(|run| run.image.as_deref())
        .unwrap_or_default();
    if let Some(entry) = run.images.iter().find(|entry| {
        entry.image_name() == name || entry.mirror_names().iter().any(|mirror| mirror == name)
    }) {
        return Ok(entry.clone());
    }
    let metadata = inputs.layers_dir.join("config").join("metadata.toml");
    let extended =
        BuildMetadata::read_optional(&metadata)?.is_some_and(|build| !build.extensions.is_empty());
    if extended {
        return Ok(RunImageForExport {
            image: Some(name.to_owned()),
            mirrors: None,
        });
    }
    Ok(first.clone())
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
