//! The labels pack, kpack and Tekton read from lifecycle and builder images (clients.md §6,
//! §2.2), as serde types: their JSON is what the Go tools and pack write.

use std::collections::BTreeMap;

use cnb_files::buildpack::{BuildpackDescriptor, StackEntry, Target};
use cnb_files::extension::ExtensionDescriptor;
use cnb_files::lifecycle::{Apis, LifecycleDescriptor};
use cnb_files::order::OrderGroup;
use serde::{Deserialize, Serialize};

/// `io.buildpacks.lifecycle.version`: the lifecycle version.
pub const LIFECYCLE_VERSION: &str = "io.buildpacks.lifecycle.version";
/// `io.buildpacks.lifecycle.apis`: the `[apis]` of `lifecycle.toml` as JSON.
pub const LIFECYCLE_APIS: &str = "io.buildpacks.lifecycle.apis";
/// `io.buildpacks.builder.metadata`: [`LegacyLifecycleLabel`] on a lifecycle image,
/// [`BuilderMetadata`] on a builder.
pub const BUILDER_METADATA: &str = "io.buildpacks.builder.metadata";
/// `io.buildpacks.buildpack.order`: the builder's order as JSON.
pub const BUILDPACK_ORDER: &str = "io.buildpacks.buildpack.order";
/// `io.buildpacks.buildpack.layers`: [`BuildpackLayers`].
pub const BUILDPACK_LAYERS: &str = "io.buildpacks.buildpack.layers";
/// `io.buildpacks.extension.layers`: [`BuildpackLayers`] of the builder's image extensions
/// (Tekton's `buildpacks-phases` runs the extender when it is not `{}`).
pub const EXTENSION_LAYERS: &str = "io.buildpacks.extension.layers";
/// `io.buildpacks.buildpack.order-extensions`: the builder's `[[order-extensions]]` as JSON.
pub const EXTENSION_ORDER: &str = "io.buildpacks.buildpack.order-extensions";
/// `io.buildpacks.stack.id`: the stack of the build base (kpack requires it on builders).
pub const STACK_ID: &str = "io.buildpacks.stack.id";

/// The name builders record as their maker in `createdBy`.
pub const CREATED_BY: &str = "cnb-package";

/// `io.buildpacks.builder.metadata` of a lifecycle image (Go `tools/image`): the version and
/// the lowest supported API of each kind, which kpack's `ClusterLifecycle` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyLifecycleLabel {
    /// `lifecycle`: `{version}`.
    pub lifecycle: LifecycleVersion,
    /// `api`: `{buildpack, platform}`.
    pub api: LegacyApi,
}

/// `{version}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleVersion {
    /// `version`.
    pub version: String,
}

/// `{buildpack, platform}`: one API version of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyApi {
    /// `buildpack`.
    pub buildpack: String,
    /// `platform`.
    pub platform: String,
}

impl LegacyApi {
    /// The first supported version of each kind, as Go's lifecycle image and pack write it.
    pub fn lowest_supported(apis: &Apis) -> Self {
        let first = |list: &[cnb_api::Version]| list.first().map(ToString::to_string);
        Self {
            buildpack: first(&apis.buildpack.supported).unwrap_or_default(),
            platform: first(&apis.platform.supported).unwrap_or_default(),
        }
    }
}

/// `io.buildpacks.builder.metadata` of a builder image (pack `internal/builder/metadata.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuilderMetadata {
    /// `description`.
    pub description: String,
    /// `buildpacks`: every buildpack in the builder.
    pub buildpacks: Vec<ModuleInfo>,
    /// `extensions`: every image extension in the builder (left out when there is none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<ModuleInfo>,
    /// `stack`: `{runImage: {image, mirrors}}` (what kpack and older pack read).
    pub stack: StackMetadata,
    /// `images`: the run images (what newer pack reads).
    pub images: Vec<RunImageMetadata>,
    /// `lifecycle`.
    pub lifecycle: BuilderLifecycle,
    /// `createdBy`: `{name, version}`.
    pub created_by: CreatedBy,
}

/// A buildpack in `buildpacks`: `{id, version, homepage?, name?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `stack`: `{runImage}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackMetadata {
    /// `runImage`.
    pub run_image: RunImageMetadata,
}

/// `{image, mirrors}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImageMetadata {
    /// `image`.
    pub image: String,
    /// `mirrors` (`[]` when none, never `null`).
    #[serde(default)]
    pub mirrors: Vec<String>,
}

/// `lifecycle`: `{version, api, apis}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuilderLifecycle {
    /// `version`.
    pub version: String,
    /// `api`: the lowest supported of each kind (deprecated; older pack reads it).
    pub api: LegacyApi,
    /// `apis`: every deprecated and supported version (kpack and Tekton read
    /// `apis.platform.supported`).
    pub apis: Apis,
}

/// `createdBy`: `{name, version}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedBy {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
}

/// `io.buildpacks.buildpack.layers`: buildpack id → version → [`BuildpackLayer`].
pub type BuildpackLayers = BTreeMap<String, BTreeMap<String, BuildpackLayer>>;

/// One buildpack's entry in `io.buildpacks.buildpack.layers` (pack `dist.ModuleLayerInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildpackLayer {
    /// `api`: the buildpack's Buildpack API.
    pub api: String,
    /// `stacks` (deprecated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<LabelStack>,
    /// `targets`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<LabelTarget>,
    /// `order`: a composite buildpack's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<OrderGroup>,
    /// `layerDiffID`: the diffID of the buildpack's layer in the builder.
    #[serde(rename = "layerDiffID")]
    pub layer_diff_id: String,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A `stacks` entry: `{id, mixins?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelStack {
    /// `id`.
    pub id: String,
    /// `mixins`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mixins: Vec<String>,
}

/// A `targets` entry as pack writes it: `{os, arch, variant?, distros?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelTarget {
    /// `os`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os: String,
    /// `arch`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
    /// `variant`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// `distros`: `{name, version}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distros: Vec<LabelDistro>,
}

/// A `distros` entry: `{name, version}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDistro {
    /// `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `version`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

impl BuildpackLayer {
    /// The entry of an image extension whose layer has diffID `layer_diff_id`.
    pub fn for_extension(descriptor: &ExtensionDescriptor, layer_diff_id: String) -> Self {
        Self {
            api: descriptor.api.clone(),
            stacks: Vec::new(),
            targets: descriptor.targets.iter().map(LabelTarget::from).collect(),
            order: Vec::new(),
            layer_diff_id,
            homepage: descriptor.extension.homepage.clone(),
            name: descriptor.extension.name.clone(),
        }
    }

    /// The entry of a buildpack whose layer has diffID `layer_diff_id`.
    pub fn new(descriptor: &BuildpackDescriptor, layer_diff_id: String) -> Self {
        Self {
            api: descriptor.api.clone(),
            stacks: descriptor.stacks.iter().map(LabelStack::from).collect(),
            targets: descriptor.targets.iter().map(LabelTarget::from).collect(),
            order: descriptor.order.clone(),
            layer_diff_id,
            homepage: descriptor.buildpack.homepage.clone(),
            name: descriptor.buildpack.name.clone(),
        }
    }
}

impl From<&StackEntry> for LabelStack {
    fn from(stack: &StackEntry) -> Self {
        Self {
            id: stack.id.clone(),
            mixins: stack.mixins.clone().unwrap_or_default(),
        }
    }
}

impl From<&Target> for LabelTarget {
    fn from(target: &Target) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Self {
            os: text(&target.os),
            arch: text(&target.arch),
            variant: text(&target.arch_variant),
            distros: target
                .distros
                .iter()
                .map(|distro| LabelDistro {
                    name: text(&distro.name),
                    version: text(&distro.version),
                })
                .collect(),
        }
    }
}

/// The three labels of a lifecycle image (Go `tools/image`): version, APIs and the legacy
/// builder metadata.
pub fn lifecycle_image_labels(descriptor: &LifecycleDescriptor) -> BTreeMap<String, String> {
    let legacy = LegacyLifecycleLabel {
        lifecycle: LifecycleVersion {
            version: descriptor.lifecycle.version.clone(),
        },
        api: LegacyApi::lowest_supported(&descriptor.apis),
    };
    BTreeMap::from([
        (
            LIFECYCLE_VERSION.to_owned(),
            descriptor.lifecycle.version.clone(),
        ),
        (LIFECYCLE_APIS.to_owned(), to_json(&descriptor.apis)),
        (BUILDER_METADATA.to_owned(), to_json(&legacy)),
    ])
}

/// Compact JSON of a label value. The label types hold only strings, lists and string-keyed
/// maps, which always serialise.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnb_files::TomlFile;
    use std::path::Path;

    #[test]
    fn lifecycle_labels_are_what_go_tools_image_writes() {
        let descriptor = LifecycleDescriptor::parse(
            "[apis.buildpack]\ndeprecated = []\nsupported = [\"0.7\", \"0.8\"]\n\
             [apis.platform]\ndeprecated = [\"0.6\"]\nsupported = [\"0.9\", \"0.10\"]\n\
             [lifecycle]\nversion = \"1.2.3\"\n",
            Path::new("lifecycle.toml"),
        )
        .unwrap();
        let labels = lifecycle_image_labels(&descriptor);
        assert_eq!(labels[LIFECYCLE_VERSION], "1.2.3");
        assert_eq!(
            labels[LIFECYCLE_APIS],
            r#"{"buildpack":{"deprecated":[],"supported":["0.7","0.8"]},"platform":{"deprecated":["0.6"],"supported":["0.9","0.10"]}}"#
        );
        assert_eq!(
            labels[BUILDER_METADATA],
            r#"{"lifecycle":{"version":"1.2.3"},"api":{"buildpack":"0.7","platform":"0.9"}}"#
        );
    }

    #[test]
    fn builder_metadata_uses_packs_key_names() {
        let metadata = BuilderMetadata {
            buildpacks: vec![ModuleInfo {
                id: "a/b".to_owned(),
                version: "1".to_owned(),
                homepage: None,
                name: Some("B".to_owned()),
            }],
            stack: StackMetadata {
                run_image: RunImageMetadata {
                    image: "r".to_owned(),
                    mirrors: Vec::new(),
                },
            },
            created_by: CreatedBy {
                name: CREATED_BY.to_owned(),
                version: "0.1.0".to_owned(),
            },
            ..BuilderMetadata::default()
        };
        let json: serde_json::Value = serde_json::from_str(&to_json(&metadata)).unwrap();
        assert_eq!(json["buildpacks"][0]["name"], "B");
        assert!(json["buildpacks"][0].get("homepage").is_none());
        assert_eq!(json["stack"]["runImage"]["image"], "r");
        assert_eq!(json["stack"]["runImage"]["mirrors"], serde_json::json!([]));
        assert_eq!(json["createdBy"]["name"], "cnb-package");
        assert!(json["lifecycle"]["apis"]["platform"]["supported"].is_array());
    }

    #[test]
    fn buildpack_layer_entries_carry_the_diff_id_and_targets() {
        let descriptor = BuildpackDescriptor::parse(
            "api = \"0.10\"\n[buildpack]\nid = \"a/b\"\nversion = \"1\"\n\
             [[targets]]\nos = \"linux\"\narch = \"amd64\"\n",
            Path::new("buildpack.toml"),
        )
        .unwrap();
        let layer = BuildpackLayer::new(&descriptor, "sha256:00".to_owned());
        assert_eq!(
            to_json(&layer),
            r#"{"api":"0.10","targets":[{"os":"linux","arch":"amd64"}],"layerDiffID":"sha256:00"}"#
        );
    }
}
