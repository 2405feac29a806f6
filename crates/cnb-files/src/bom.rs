//! The legacy bill of materials (deprecated since Buildpack API 0.7): `[[bom]]` in
//! `launch.toml` and `build.toml`, and, stamped with the buildpack, in `metadata.toml` and
//! `report.toml` `[build]`.

use serde::{Deserialize, Serialize};

use crate::group::GroupElement;

/// A `[[bom]]` entry: `name`, `version?` (Go rejects it), `metadata?`, and `buildpack` once the
/// lifecycle has stamped it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BomEntry {
    /// `name`.
    pub name: String,
    /// `version` at the top level (not allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `[bom.metadata]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
    /// `[bom.buildpack]`: who contributed it (id and version only, in Go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpack: Option<GroupElement>,
}
