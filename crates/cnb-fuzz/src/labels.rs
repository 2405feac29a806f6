//! The `io.buildpacks.*` labels (JSON), and the trip buildpack data makes through them from one
//! build to the next: `<layer>.toml` and `store.toml` → the lifecycle label → `analyzed.toml` →
//! the restored `<layer>.toml` and `store.toml`. Every step must encode and parse, and a second
//! trip must change nothing.

use cnb_files::analyzed::{Analyzed, BuildpackLayersMetadata, LayersMetadata};
use cnb_files::labels::{
    BuildMetadataLabel, CacheMetadata, LifecycleMetadata, ProjectMetadataLabel,
};
use cnb_files::layer::LayerContentMetadata;
use cnb_files::{JsonLabel, TomlFile};

use crate::input::{one_line, text};
use crate::spec_files::round_trip;

/// One input read as each label (and as the volume cache's metadata file, the same JSON).
pub(crate) fn labels(data: &[u8]) {
    let Some(text) = text(data) else {
        return;
    };
    if let Some(label) = parse::<LifecycleMetadata>(text) {
        json_round_trip(&label);
        lifecycle_label_trip(&LayersMetadata::from(&label));
    }
    if let Some(cache) = parse::<CacheMetadata>(text) {
        json_round_trip(&cache);
        // the restorer writes cached layers' metadata as it writes the image's
        let metadata = LayersMetadata {
            buildpacks: cache
                .buildpacks
                .iter()
                .map(BuildpackLayersMetadata::from)
                .collect(),
            ..LayersMetadata::default()
        };
        restore(&metadata);
    }
    if let Some(label) = parse::<BuildMetadataLabel>(text) {
        json_round_trip(&label);
    }
    if let Some(label) = parse::<ProjectMetadataLabel>(text) {
        json_round_trip(&label);
    }
}

fn parse<T: JsonLabel>(text: &str) -> Option<T> {
    match T::from_label(text) {
        Ok(label) => Some(label),
        Err(error) => {
            one_line(&error);
            None
        }
    }
}

/// `label` encodes, parses back, and encodes the same way again.
pub(crate) fn json_round_trip<T: JsonLabel>(label: &T) -> String {
    let first = label
        .to_label()
        .unwrap_or_else(|error| panic!("label {} does not encode: {error:?}", T::LABEL));
    let again = T::from_label(&first).unwrap_or_else(|error| {
        panic!(
            "label {} as encoded does not parse: {error:?}\n{first}",
            T::LABEL
        )
    });
    let second = again
        .to_label()
        .unwrap_or_else(|error| panic!("re-parsed label {} does not encode: {error:?}", T::LABEL));
    assert_eq!(
        first,
        second,
        "label {} changes when encoded twice",
        T::LABEL
    );
    first
}

/// One buildpack's layers and store through the image and back.
pub(crate) fn buildpack_layers_trip(buildpack: &BuildpackLayersMetadata) {
    lifecycle_label_trip(&LayersMetadata {
        buildpacks: vec![buildpack.clone()],
        ..LayersMetadata::default()
    });
}

/// `metadata` (the exporter's view) through the lifecycle label, `analyzed.toml` and the
/// restored files, twice: the second trip must give the label the first one gave.
pub(crate) fn lifecycle_label_trip(metadata: &LayersMetadata) {
    let once = image_trip(metadata);
    let twice = image_trip(&once);
    assert_eq!(
        LifecycleMetadata::from(&once).to_label().ok(),
        LifecycleMetadata::from(&twice).to_label().ok(),
        "the lifecycle label changes from one build to the next"
    );
}

fn image_trip(metadata: &LayersMetadata) -> LayersMetadata {
    // the exporter sets the label; the next analyzer reads it into analyzed.toml
    let label = json_round_trip(&LifecycleMetadata::from(metadata));
    let label = LifecycleMetadata::from_label(&label).expect("checked by json_round_trip");
    let analyzed = Analyzed {
        metadata: LayersMetadata::from(&label),
        ..Analyzed::default()
    };
    let text = round_trip(&analyzed);
    let analyzed = Analyzed::parse(&text, "analyzed.toml".as_ref()).expect("checked by round_trip");
    restore(&analyzed.metadata);
    analyzed.metadata
}

/// What the restorer writes from `metadata`: each layer's `[metadata]` alone, and `store.toml`.
fn restore(metadata: &LayersMetadata) {
    for buildpack in &metadata.buildpacks {
        for layer in buildpack.layers.values() {
            round_trip(&LayerContentMetadata {
                types: None,
                metadata: layer.metadata.clone(),
            });
        }
        if let Some(store) = &buildpack.store {
            round_trip(store);
        }
    }
}
