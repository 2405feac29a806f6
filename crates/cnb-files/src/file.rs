//! Reading and writing: [`TomlFile`] for the spec's TOML files and [`JsonLabel`] for the image
//! labels. Every error names the file or label.
//!
//! `std::fs` is used directly: our errors already carry the path, so `fs-err`'s decorated
//! messages would print it twice in the joined chain.

use std::io;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// A spec file in TOML. Implementors only name the file; parsing and encoding default to serde
/// and may be overridden where the spec or Go need more (`report.toml`, `<layer>.toml`).
pub trait TomlFile: Serialize + DeserializeOwned + Sized {
    /// The file's usual name, such as `analyzed.toml`, used in encoding errors.
    const FILE: &'static str;

    /// Parses `text`; `path` names its origin in the error.
    fn parse(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|source| Error::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Encodes `self` as the text Go would write.
    fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|source| Error::Encode {
            file: Self::FILE,
            source,
        })
    }

    /// Reads and parses the file at `path`.
    fn read(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        Self::parse(&text, path)
    }

    /// Like [`TomlFile::read`], but a missing file is `None` (many files are optional inputs;
    /// the caller decides whether to log that).
    fn read_optional(path: &Path) -> Result<Option<Self>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path).map(Some),
            Err(source) if source.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Encodes `self` and writes it to `path`, creating parent directories as Go does. The
    /// file is replaced whole (a reader never sees half of it, whenever the writer stops).
    fn write(&self, path: &Path) -> Result<()> {
        write_text(path, &self.to_toml()?)
    }
}

/// An image label holding JSON. The same JSON is also a file in the volume cache
/// (`committed/io.buildpacks.lifecycle.cache.metadata`), hence the file helpers.
pub trait JsonLabel: Serialize + DeserializeOwned + Default {
    /// The label name, such as `io.buildpacks.lifecycle.metadata`.
    const LABEL: &'static str;

    /// Parses a label's value. An empty value reads as the default, as in Go.
    fn from_label(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(text).map_err(|source| Error::ParseLabel {
            label: Self::LABEL,
            source,
        })
    }

    /// Encodes `self` as compact JSON, the form set on the image.
    fn to_label(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|source| Error::EncodeJson {
            name: Self::LABEL,
            source,
        })
    }

    /// Reads the JSON file at `path`.
    fn read_json(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        serde_json::from_str(&text).map_err(|source| Error::ParseJson {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes `self` as compact JSON plus a newline (Go's `json.Encoder` form) to `path`,
    /// creating parent directories.
    fn write_json(&self, path: &Path) -> Result<()> {
        let mut text = self.to_label()?;
        text.push('\n');
        write_text(path, &text)
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| Error::CreateDir {
            path: parent.to_owned(),
            source,
        })?;
    }
    // Whole or not at all: the next phase or the platform reads it, maybe after a kill.
    cnb_sys::replace_file(path, text.as_bytes()).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}
