//! The spec's TOML files, each through the parser its phase uses (`TomlFile::parse`, or
//! `Module::load` for buildpack and extension descriptors), then through what the phase does
//! next with a parsed file. Files the lifecycle writes back (analyzed, group, plan, order, run,
//! stack, report, `<layer>.toml`, store, metadata) must encode again and re-parse to the same
//! text; data that travels through image labels (layer and store metadata, project metadata,
//! `metadata.toml`) must survive that trip too.

use std::path::Path;

use cnb_api::BUILDPACK_APIS;
use cnb_buildpack::{Module, ModuleKind};
use cnb_files::TomlFile;
use cnb_files::analyzed::{Analyzed, BuildpackLayersMetadata, LayerMetadata};
use cnb_files::build::BuildToml;
use cnb_files::build_plan::BuildPlan;
use cnb_files::group::Group;
use cnb_files::labels::{BuildMetadataLabel, LauncherMetadata, ProjectMetadataLabel};
use cnb_files::launch::LaunchToml;
use cnb_files::layer::LayerContentMetadata;
use cnb_files::metadata::BuildMetadata;
use cnb_files::order::Order;
use cnb_files::plan::Plan;
use cnb_files::project_metadata::ProjectMetadata;
use cnb_files::report::Report;
use cnb_files::run::Run;
use cnb_files::stack::Stack;
use cnb_files::store::Store;
use cnb_files::system::SystemToml;

use crate::input::{one_line, text};
use crate::labels;

/// Parses `data` as `T`; a refusal must be one line.
fn parse<T: TomlFile>(data: &[u8]) -> Option<T> {
    match T::parse(text(data)?, Path::new(T::FILE)) {
        Ok(file) => Some(file),
        Err(error) => {
            one_line(&error);
            None
        }
    }
}

/// How deep anything the lifecycle writes nests: label data (at most
/// `cnb_files::value::MAX_DATA_DEPTH`) sits 5 levels down in `analyzed.toml`. Deeper files are
/// only ever read, and the TOML parser takes some of them (table headers plus dotted keys,
/// each under its 80-level limit) that it refuses once encoded as one long header.
const WRITTEN_NESTING: usize = cnb_files::value::MAX_DATA_DEPTH + 8;

/// `file` encodes, and the encoding parses back to a file that encodes the same way (for files
/// nested as deep as the lifecycle writes them).
pub(crate) fn round_trip<T: TomlFile>(file: &T) -> String {
    let first = file
        .to_toml()
        .unwrap_or_else(|error| panic!("a parsed {} does not encode: {error:?}", T::FILE));
    if toml::Value::try_from(file).is_ok_and(|value| nesting(&value) > WRITTEN_NESTING) {
        return first;
    }
    let again = T::parse(&first, Path::new(T::FILE)).unwrap_or_else(|error| {
        panic!("{} as encoded does not parse: {error:?}\n{first}", T::FILE)
    });
    let second = again
        .to_toml()
        .unwrap_or_else(|error| panic!("a re-parsed {} does not encode: {error:?}", T::FILE));
    assert_eq!(first, second, "{} changes when encoded twice", T::FILE);
    first
}

/// Levels of tables and arrays in `value`.
fn nesting(value: &toml::Value) -> usize {
    match value {
        toml::Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        toml::Value::Table(table) => 1 + table.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// References the phases parse with `ImageRef::parse`: printing and parsing them again must
/// give the same reference.
fn references<'a>(names: impl IntoIterator<Item = &'a str>) {
    for name in names {
        crate::oci::reference(name);
    }
}

pub(crate) fn analyzed(data: &[u8]) {
    let Some(analyzed) = parse::<Analyzed>(data) else {
        return;
    };
    round_trip(&analyzed);
    references([analyzed.previous_image_ref(), analyzed.run_image_ref()]);
    // the exporter turns `[metadata]` back into the lifecycle label
    labels::lifecycle_label_trip(&analyzed.metadata);
}

pub(crate) fn group(data: &[u8]) {
    let Some(group) = parse::<Group>(data) else {
        return;
    };
    round_trip(&group);
    for element in group.group.iter().chain(&group.group_extensions) {
        element.display_name();
        if let Some(api) = &element.api {
            let _ = cnb_api::check_buildpack_api(&element.display_name(), api);
        }
    }
}

pub(crate) fn plan(data: &[u8]) {
    if let Some(plan) = parse::<Plan>(data) {
        round_trip(&plan);
    }
}

pub(crate) fn build_plan(data: &[u8]) {
    if let Some(plan) = parse::<BuildPlan>(data) {
        plan.alternatives();
        plan.has_requires();
        plan.top_level_versions();
    }
}

pub(crate) fn order(data: &[u8]) {
    if let Some(order) = parse::<Order>(data) {
        round_trip(&order);
    }
}

pub(crate) fn system(data: &[u8]) {
    if let Some(system) = parse::<SystemToml>(data) {
        system.system.pre_buildpacks();
        system.system.post_buildpacks();
    }
}

pub(crate) fn run(data: &[u8]) {
    let Some(run) = parse::<Run>(data) else {
        return;
    };
    round_trip(&run);
    for image in &run.images {
        references(
            std::iter::once(image.image_name())
                .chain(image.mirror_names().iter().map(String::as_str)),
        );
    }
}

pub(crate) fn stack(data: &[u8]) {
    let Some(stack) = parse::<Stack>(data) else {
        return;
    };
    round_trip(&stack);
    let image = &stack.run_image;
    references(
        std::iter::once(image.image_name()).chain(image.mirror_names().iter().map(String::as_str)),
    );
}

pub(crate) fn project_metadata(data: &[u8]) {
    if let Some(project) = parse::<ProjectMetadata>(data) {
        // the exporter sets it as a label
        labels::json_round_trip(&ProjectMetadataLabel::from(&project));
    }
}

pub(crate) fn report(data: &[u8]) {
    if let Some(report) = parse::<Report>(data) {
        round_trip(&report);
    }
}

pub(crate) fn buildpack(data: &[u8]) {
    descriptor(ModuleKind::Buildpack, data);
}

pub(crate) fn extension(data: &[u8]) {
    descriptor(ModuleKind::Extension, data);
}

/// A descriptor goes through `Module::load`, which reads it from a directory, checks its API
/// and infers its targets.
fn descriptor(kind: ModuleKind, data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join(kind.descriptor_file()), data).expect("writing the descriptor");
    match Module::load(kind, dir.path()) {
        Ok(module) => {
            module.display_name();
            module.exec_envs();
            module.is_composite();
        }
        Err(error) => {
            one_line(&error);
        }
    }
}

pub(crate) fn launch(data: &[u8]) {
    let Some(launch) = parse::<LaunchToml>(data) else {
        return;
    };
    for api in BUILDPACK_APIS {
        if let Err(error) = launch.check_api(*api) {
            one_line(&error);
        }
    }
    for process in &launch.processes {
        process.command.entries();
    }
}

pub(crate) fn build(data: &[u8]) {
    parse::<BuildToml>(data);
}

pub(crate) fn layer(data: &[u8]) {
    let Some(layer) = parse::<LayerContentMetadata>(data) else {
        return;
    };
    round_trip(&layer);
    // exported in the lifecycle label, restored from it as `[metadata]` alone
    let metadata = BuildpackLayersMetadata {
        key: "fuzz/buildpack".to_owned(),
        layers: [(
            "layer".to_owned(),
            LayerMetadata {
                metadata: layer.metadata,
                launch: true,
                ..LayerMetadata::default()
            },
        )]
        .into(),
        ..BuildpackLayersMetadata::default()
    };
    labels::buildpack_layers_trip(&metadata);
}

pub(crate) fn store(data: &[u8]) {
    let Some(store) = parse::<Store>(data) else {
        return;
    };
    round_trip(&store);
    let metadata = BuildpackLayersMetadata {
        key: "fuzz/buildpack".to_owned(),
        store: Some(store),
        ..BuildpackLayersMetadata::default()
    };
    labels::buildpack_layers_trip(&metadata);
}

pub(crate) fn metadata(data: &[u8]) {
    let Some(build) = parse::<BuildMetadata>(data) else {
        return;
    };
    round_trip(&build);
    // the exporter sets it as a label
    labels::json_round_trip(&BuildMetadataLabel::from_build_metadata(
        &build,
        LauncherMetadata::default(),
    ));
    for process in &build.processes {
        process.command.entries();
    }
}
