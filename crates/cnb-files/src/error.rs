//! The one error type of this crate. Each variant names the action that failed and carries the
//! path (or label name) it failed on; the message never repeats the source's text, which
//! `cnb-cli` appends when it joins the chain.

use std::io;
use std::path::PathBuf;

use cnb_api::Version;

/// A failure to read, parse, encode or write a spec file or label.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file is not valid TOML, or not of the expected shape.
    #[error("parsing {}", path.display())]
    Parse {
        /// The file (or, for text that came from elsewhere, what it stands for).
        path: PathBuf,
        /// What the TOML parser said.
        source: toml::de::Error,
    },
    /// The JSON file is not valid JSON, or not of the expected shape.
    #[error("parsing {}", path.display())]
    ParseJson {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// An image label is not valid JSON, or not of the expected shape.
    #[error("parsing label '{label}'")]
    ParseLabel {
        /// The label name, such as `io.buildpacks.lifecycle.metadata`.
        label: &'static str,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A value could not be encoded as TOML.
    #[error("encoding {file}")]
    Encode {
        /// The spec file name, such as `analyzed.toml`.
        file: &'static str,
        /// What the TOML encoder said.
        source: toml::ser::Error,
    },
    /// A value could not be encoded as JSON.
    #[error("encoding {name}")]
    EncodeJson {
        /// The label name or file name.
        name: &'static str,
        /// What the JSON encoder said.
        source: serde_json::Error,
    },
    /// The parent directory of a file could not be created.
    #[error("creating directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// A `<layer>.toml` sets `launch`, `build` or `cache` at the top level instead of in `[types]`
    /// (the Go lifecycle refuses such a layer).
    #[error("the launch, cache and build flags should be in the types table of {}", path.display())]
    MisplacedLayerFlags {
        /// The `<layer>.toml`.
        path: PathBuf,
    },
    /// A `launch.toml` process `command` has the shape another Buildpack API uses.
    #[error(
        "process type '{process}' has a command that is not {expected}, as buildpack API {api} requires"
    )]
    CommandShape {
        /// The process type.
        process: String,
        /// The buildpack's declared API.
        api: Version,
        /// `a string` or `an array`.
        expected: &'static str,
    },
    /// A `launch.toml` process sets `direct`, which Buildpack API 0.9 and later removed.
    #[error("process type '{process}' sets 'direct', which buildpack API {api} does not support")]
    DirectNotAllowed {
        /// The process type.
        process: String,
        /// The buildpack's declared API.
        api: Version,
    },
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
