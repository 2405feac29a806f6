//! One serde type per file of the Cloud Native Buildpacks specs (`analyzed.toml`,
//! `group.toml`, `launch.toml`, `buildpack.toml`, …) and per image label
//! (`io.buildpacks.lifecycle.metadata`, …), with exactly the keys the Go lifecycle reads and
//! writes, plus small read/write helpers whose errors carry the path. Pure parse and
//! serialize: no phase logic.
//!
//! Layer 1: depends only on `cnb-api` (and `serde`, `toml`, `serde_json`, `thiserror`).
//!
//! Conventions, so that re-writing a file keeps the keys that were read:
//! - a key Go omits when empty is an `Option` (scalars, inline arrays, tables) or a `Vec`
//!   skipped when empty (arrays of tables, `[[…]]`); a key Go always writes is a plain field
//!   with a default, so Go-shaped output needs no caller knowledge;
//! - unknown keys are tolerated on read (and dropped);
//! - free-form `metadata` is a `toml::Table` in files and a `serde_json::Value` in labels;
//!   [`value`] converts between them;
//! - shapes that depend on an API version (a string or array `command`) all parse, and
//!   methods such as [`launch::LaunchToml::check_api`] say which one a version allows.
//!
//! Modules are named after the files; [`TomlFile`] reads, parses, encodes and writes each
//! TOML file, and [`JsonLabel`] does the same for labels.

mod error;
mod file;

pub mod analyzed;
pub mod bom;
pub mod build;
pub mod build_plan;
pub mod buildpack;
pub mod buildpack_plan;
pub mod exec_d;
pub mod extend_config;
pub mod extension;
pub mod group;
pub mod labels;
pub mod launch;
pub mod layer;
pub mod lifecycle;
pub mod metadata;
pub mod order;
pub mod plan;
pub mod project_metadata;
pub mod report;
pub mod run;
pub mod stack;
pub mod store;
pub mod system;
pub mod value;

pub use error::{Error, Result};
pub use file::{JsonLabel, TomlFile};
