//! The analyzer's wiring: references validated (3), the run image resolved from `-run-image`,
//! `run.toml` or `stack.toml` (3 when none is usable), stores connected before privileges
//! drop, then the phase (32).

use std::path::PathBuf;

use cnb_analyzer::{Analyzer, AnalyzerConfig};
use cnb_api::ExitKind;
use cnb_files::TomlFile;
use cnb_files::run::{Run, RunImageForExport};
use cnb_files::stack::Stack;
use cnb_image::{ImageRef, select_run_image};
use cnb_platform::Inputs;

use crate::stores::{Stores, own_platform};
use crate::{Failure, privileges};

/// Runs the analyzer.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let invalid = |message: String| {
        Failure::message(
            ExitKind::InvalidArgs,
            format!("failed to resolve inputs: {message}"),
        )
    };
    let parse = |text: &str| ImageRef::parse(text).map_err(|error| invalid(error.to_string()));
    let output_image = parse(inputs.output_image.as_deref().unwrap_or_default())?;
    let destinations = inputs
        .destination_images()
        .iter()
        .map(|image| parse(image))
        .collect::<Result<Vec<_>, _>>()?;
    if destinations
        .iter()
        .any(|image| image.registry() != output_image.registry())
    {
        return Err(invalid(
            "writing to multiple registries is unsupported".to_owned(),
        ));
    }
    let previous_image = inputs.previous_image.as_deref().map(parse).transpose()?;
    let cache_image = inputs.cache_image.as_deref().map(parse).transpose()?;
    let candidates = run_image_candidates(inputs).map_err(invalid)?;

    let mut images: Vec<String> = inputs.destination_images();
    images.extend(inputs.previous_image.iter().cloned());
    images.extend(inputs.cache_image.iter().cloned());
    images.extend(candidates.iter().cloned());
    let stores = Stores::connect(inputs, &images, ExitKind::AnalyzeError)?;
    privileges::prepare(inputs)?;

    // `-run-image` is taken as given (its read access is checked by the phase); run.toml
    // and stack.toml candidates must be readable (in a layout, as in Go, none is checked).
    let explicit = inputs
        .run_image
        .as_ref()
        .is_some_and(|image| !image.is_empty());
    let candidate_refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let layout = stores.layout.is_some();
    let chosen = select_run_image(&candidate_refs, output_image.registry(), |reference| {
        explicit
            || layout
            || matches!(
                stores.images().read_manifest_raw(reference, None),
                Ok(Some(_))
            )
    })
    .ok_or_else(|| invalid("failed to find accessible run image".to_owned()))?;
    let run_image = parse(chosen)?;

    let config = AnalyzerConfig {
        platform_api: inputs.platform_api,
        analyzed_path: inputs.analyzed_path.clone(),
        additional_tags: destinations.into_iter().skip(1).collect(),
        output_image,
        previous_image,
        run_image_name: chosen.to_owned(),
        run_image,
        cache_image,
        skip_layers: inputs.skip_layers,
        check_access: !layout,
        platform: own_platform(),
        sbom_root: PathBuf::from("/"),
    };
    let name_image = |reference: &ImageRef, identity: &cnb_image::ImageIdentity| {
        stores.name_image(reference, identity)
    };
    Analyzer::new(config, stores.images(), &name_image)
        .with_cache_store(&stores.registry)
        .run()
        .map(drop)
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}

/// `-run-image`, else the first `run.toml` entry and its mirrors (Platform API 0.12 and
/// later), else `stack.toml`'s run image and its mirrors. The creator resolves its run image
/// the same way.
pub(crate) fn run_image_candidates(inputs: &Inputs) -> Result<Vec<String>, String> {
    if let Some(image) = inputs.run_image.as_ref().filter(|image| !image.is_empty()) {
        return Ok(vec![image.clone()]);
    }
    let entry: RunImageForExport = if inputs.platform_api.uses_run_toml() {
        Run::read_optional(&inputs.run_path)
            .map_err(|error| error.to_string())?
            .and_then(|run| run.images.into_iter().next())
            .ok_or("-run-image is required when there is no run metadata available")?
    } else {
        Stack::read_optional(&inputs.stack_path)
            .map_err(|error| error.to_string())?
            .map(|stack| stack.run_image)
            .unwrap_or_default()
    };
    let candidates: Vec<String> = std::iter::once(entry.image_name())
        .chain(entry.mirror_names().iter().map(String::as_str))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    if candidates.is_empty() {
        return Err("-run-image is required when there is no stack metadata available".to_owned());
    }
    Ok(candidates)
}
