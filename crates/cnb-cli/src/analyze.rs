//! The analyzer's wiring, one for the `analyzer` command and the creator: the references
//! validated and the run image candidates listed from `-run-image`, `run.toml` or
//! `stack.toml` (3 when none is usable) before anything is connected; then, with the stores
//! open and privileges dropped, the run image chosen and the phase (32).

use std::path::PathBuf;

use cnb_analyzer::{Analyzer, AnalyzerConfig};
use cnb_api::ExitKind;
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::run::{Run, RunImageForExport};
use cnb_files::stack::Stack;
use cnb_image::{ImageIdentity, ImageRef, Platform, select_run_image};
use cnb_platform::Inputs;

use crate::references::{destinations, invalid, parse, parse_optional};
use crate::stores::Stores;
use crate::{Failure, privileges};

/// Runs the analyzer.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let targets = AnalyzeTargets::resolve(inputs)?;
    let mut stores = Stores::connect(inputs, &targets.images(), ExitKind::AnalyzeError)?;
    privileges::prepare(inputs)?;
    open_launch_cache(inputs, &mut stores)?;
    analyze(inputs, &targets, &stores).map(drop)
}

/// The launch cache, for the previous image's SBOM layer (Go opens it with the previous
/// image: a failure is the analyzer's, 32).
pub(crate) fn open_launch_cache(inputs: &Inputs, stores: &mut Stores) -> Result<(), Failure> {
    stores.open_launch_cache(
        inputs,
        ExitKind::AnalyzeError,
        "initialize analyzer: creating launch cache",
    )
}

/// The images the analyzer reads and checks, validated.
pub(crate) struct AnalyzeTargets {
    /// `<image>` and the tags; the first is the output image.
    destinations: Vec<ImageRef>,
    previous_image: Option<ImageRef>,
    cache_image: Option<ImageRef>,
    /// The run image candidates in order: `-run-image` alone, or an entry and its mirrors.
    run_images: Vec<String>,
    /// Whether the candidate is `-run-image`, taken as given (the phase checks its read
    /// access); `run.toml` and `stack.toml` candidates must be readable to be chosen.
    explicit_run_image: bool,
    /// Every image named, for the keychain.
    names: Vec<String>,
}

impl AnalyzeTargets {
    /// Validates the references of `inputs` (3 for a bad one or no usable run image).
    pub(crate) fn resolve(inputs: &Inputs) -> Result<Self, Failure> {
        let destinations = destinations(inputs)?;
        let previous_image = parse_optional(inputs.previous_image.as_deref())?;
        let cache_image = parse_optional(inputs.cache_image.as_deref())?;
        let run_images = run_image_candidates(inputs).map_err(|message| invalid(&message))?;
        let mut names = inputs.destination_images();
        names.extend(inputs.previous_image.iter().cloned());
        names.extend(inputs.cache_image.iter().cloned());
        names.extend(run_images.iter().cloned());
        names.retain(|name| !name.is_empty());
        Ok(Self {
            destinations,
            previous_image,
            cache_image,
            run_images,
            explicit_run_image: inputs
                .run_image
                .as_ref()
                .is_some_and(|name| !name.is_empty()),
            names,
        })
    }

    /// Every image named, for the keychain.
    pub(crate) fn images(&self) -> Vec<String> {
        self.names.clone()
    }
}

/// Chooses the run image and runs the phase; returns what it wrote to analyzed.toml.
pub(crate) fn analyze(
    inputs: &Inputs,
    targets: &AnalyzeTargets,
    stores: &Stores,
) -> Result<Analyzed, Failure> {
    let output_image = targets.destinations[0].clone();
    let candidates: Vec<&str> = targets.run_images.iter().map(String::as_str).collect();
    // In a layout or a daemon, as in Go, no candidate is checked.
    let local = stores.local_images();
    let chosen = select_run_image(&candidates, output_image.registry(), |reference| {
        targets.explicit_run_image
            || local
            || matches!(
                stores.images().read_manifest_raw(reference, None),
                Ok(Some(_))
            )
    })
    .ok_or_else(|| invalid("failed to find accessible run image"))?;
    let config = AnalyzerConfig {
        platform_api: inputs.platform_api,
        analyzed_path: inputs.analyzed_path.clone(),
        additional_tags: targets.destinations[1..].to_vec(),
        output_image,
        previous_image: targets.previous_image.clone(),
        run_image_name: chosen.to_owned(),
        run_image: parse(chosen)?,
        cache_image: targets.cache_image.clone(),
        skip_layers: inputs.skip_layers,
        check_access: !local,
        platform: Platform::own(),
        sbom_root: PathBuf::from("/"),
    };
    let name_image =
        |reference: &ImageRef, identity: &ImageIdentity| stores.name_image(reference, identity);
    Analyzer::new(config, stores.images(), &name_image)
        .with_cache_store(&stores.registry)
        .run()
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}

/// `-run-image`, else the first `run.toml` entry and its mirrors (Platform API 0.12 and
/// later), else `stack.toml`'s run image and its mirrors.
fn run_image_candidates(inputs: &Inputs) -> Result<Vec<String>, String> {
    if let Some(image) = inputs.run_image.as_ref().filter(|image| !image.is_empty()) {
        return Ok(vec![image.clone()]);
    }
    let entry: RunImageForExport = if inputs.platform_api.uses_run_toml() {
        Run::read_optional(&inputs.run_path)
            .map_err(|error| cnb_api::one_line(&error))?
            .and_then(|run| run.images.into_iter().next())
            .ok_or("-run-image is required when there is no run metadata available")?
    } else {
        Stack::read_optional(&inputs.stack_path)
            .map_err(|error| cnb_api::one_line(&error))?
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
