//! `order.toml`: the groups the platform offers the detector, buildpacks and extensions apart.
//! The same `[[order]]` shape is a composite buildpack's order in `buildpack.toml`.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `order.toml`: `[[order]]` and `[[order-extensions]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// `[[order]]`: buildpack groups, tried in turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<OrderGroup>,
    /// `[[order-extensions]]`: extension groups, prepended to every buildpack group as an
    /// optional order (extensions are always optional).
    #[serde(
        rename = "order-extensions",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub order_extensions: Vec<OrderGroup>,
}

impl TomlFile for Order {
    const FILE: &'static str = "order.toml";
}

/// One `[[order]]` entry: its `[[order.group]]` elements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderGroup {
    /// `[[order.group]]`.
    #[serde(default)]
    pub group: Vec<OrderElement>,
}

/// A buildpack (or extension) reference in an order group: `id`, `version`, `optional?`, and
/// `exec-env?` (Buildpack API 0.12, in `buildpack.toml` orders; Go ignores it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderElement {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `optional`; absent means `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// `exec-env`: the execution environments the reference applies to.
    #[serde(rename = "exec-env", default, skip_serializing_if = "Option::is_none")]
    pub exec_env: Option<Vec<String>>,
}

impl OrderElement {
    /// Whether the element is optional (`optional = true`).
    pub fn is_optional(&self) -> bool {
        self.optional.unwrap_or(false)
    }
}
