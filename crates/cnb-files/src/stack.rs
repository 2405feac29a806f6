//! `stack.toml` (Platform API < 0.12, replaced by `run.toml`): the run image and its mirrors.
//! The same shape is the deprecated `stack` key of the analyzed metadata.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::run::RunImageForExport;

/// `stack.toml`: `[run-image] image, mirrors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stack {
    /// `[run-image]`.
    #[serde(rename = "run-image", default)]
    pub run_image: RunImageForExport,
}

impl TomlFile for Stack {
    const FILE: &'static str = "stack.toml";
}
