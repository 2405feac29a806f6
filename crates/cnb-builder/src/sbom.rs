//! SBOM files (buildpack.md › Software-Bill-of-Materials; platform.md › builder › Outputs):
//! `launch.sbom.<ext>`, `build.sbom.<ext>` and `<layer>.sbom.<ext>` in a buildpack's layers
//! directory, checked against its `sbom-formats`, and copied once every buildpack is done to
//! `<layers>/sbom/{launch,build,cache}/<escaped id>/[<layer>/]sbom.<ext>`. Also the legacy
//! `[[bom]]` as `sbom.legacy.json` (Platform API 0.9).

use std::path::{Path, PathBuf};

use cnb_api::SbomFormat;
use cnb_buildpack::{Module, escape_id};
use cnb_files::bom::BomEntry;

use crate::Error;
use crate::layers::SettledLayers;

/// Where an SBOM file goes under `<layers>/sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Destination {
    /// `sbom/launch`: `launch.sbom.*` and launch layers.
    Launch,
    /// `sbom/build`: `build.sbom.*` and every other layer.
    Build,
    /// `sbom/cache`: cached layers (in addition to launch or build).
    Cache,
}

impl Destination {
    fn dir_name(self) -> &'static str {
        match self {
            Self::Launch => "launch",
            Self::Build => "build",
            Self::Cache => "cache",
        }
    }
}

/// One SBOM file a buildpack wrote, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SbomFile {
    buildpack_id: String,
    layer: Option<String>,
    destination: Destination,
    format: SbomFormat,
    path: PathBuf,
}

/// The SBOM files in `bp_layers_dir`: every `*.sbom.*.json`, in file-name order. Files of a
/// layer without a `<layer>.toml` are skipped; an unknown format, or one the buildpack did not
/// declare, is an error.
pub(crate) fn collect(
    module: &Module,
    bp_layers_dir: &Path,
    layers: &SettledLayers,
) -> Result<Vec<SbomFile>, Error> {
    let mut files = Vec::new();
    for (name, path) in candidates(bp_layers_dir)? {
        let Some((prefix, _)) = name.split_once(".sbom.") else {
            continue;
        };
        let Some(format) = SbomFormat::of_file(&name) else {
            return Err(Error::UnsupportedSbom { path });
        };
        if !declares(module, format) {
            return Err(Error::UndeclaredSbom {
                buildpack: module.display_name(),
                path,
                media_type: format.media_type(),
            });
        }
        let file = |layer: Option<&str>, destination| SbomFile {
            buildpack_id: module.id().to_owned(),
            layer: layer.map(str::to_owned),
            destination,
            format,
            path: path.clone(),
        };
        match prefix {
            "launch" => files.push(file(None, Destination::Launch)),
            "build" => files.push(file(None, Destination::Build)),
            layer => {
                let Some(metadata) = layers.metadata(layer) else {
                    continue;
                };
                let main = if metadata.launch() {
                    Destination::Launch
                } else {
                    Destination::Build
                };
                files.push(file(Some(layer), main));
                if metadata.cache() {
                    files.push(file(Some(layer), Destination::Cache));
                }
            }
        }
    }
    Ok(files)
}

/// Whether any SBOM file sits in `bp_layers_dir` (the legacy BOM warning is dropped then).
pub(crate) fn any_in(bp_layers_dir: &Path) -> Result<bool, Error> {
    Ok(!candidates(bp_layers_dir)?.is_empty())
}

/// Copies every file to `<sbom_dir>/<destination>/<escaped id>/[<layer>/]sbom.<ext>`.
pub(crate) fn copy_all(sbom_dir: &Path, files: &[SbomFile]) -> Result<(), Error> {
    for file in files {
        let mut dir = sbom_dir
            .join(file.destination.dir_name())
            .join(escape_id(&file.buildpack_id));
        if let Some(layer) = &file.layer {
            dir.push(layer);
        }
        let to = dir.join(format!("sbom.{}", file.format.extension()));
        let copy_error = |source| Error::CopySbom {
            from: file.path.clone(),
            to: to.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(copy_error)?;
        std::fs::copy(&file.path, &to).map_err(copy_error)?;
    }
    Ok(())
}

/// Writes `<sbom_dir>/launch/sbom.legacy.json` and `<sbom_dir>/build/sbom.legacy.json`: the
/// buildpacks' legacy BOM entries as a JSON array, `null` when there are none (as Go encodes an
/// empty list).
pub(crate) fn write_legacy(
    sbom_dir: &Path,
    launch: &[BomEntry],
    build: &[BomEntry],
) -> Result<(), Error> {
    for (kind, entries) in [("launch", launch), ("build", build)] {
        let path = sbom_dir.join(kind).join("sbom.legacy.json");
        let mut text = legacy_json(entries).to_string();
        text.push('\n');
        let write_error = |source| Error::WriteLegacyBom {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(sbom_dir.join(kind)).map_err(write_error)?;
        cnb_sys::replace_file(&path, text.as_bytes()).map_err(write_error)?;
    }
    Ok(())
}

/// The Go JSON shape of a legacy BOM: `[{name, version?, metadata, buildpack: {id, version}}]`.
fn legacy_json(entries: &[BomEntry]) -> serde_json::Value {
    use serde_json::{Map, Value};
    if entries.is_empty() {
        return Value::Null;
    }
    let entries = entries.iter().map(|entry| {
        let mut object = Map::new();
        object.insert("name".into(), entry.name.clone().into());
        if let Some(version) = &entry.version {
            object.insert("version".into(), version.clone().into());
        }
        let metadata = entry.metadata.as_ref().map_or(Value::Null, |table| {
            Value::Object(cnb_files::value::table_to_object(table))
        });
        object.insert("metadata".into(), metadata);
        let mut buildpack = Map::new();
        if let Some(element) = &entry.buildpack {
            buildpack.insert("id".into(), element.id.clone().into());
            buildpack.insert("version".into(), element.version.clone().into());
        }
        object.insert("buildpack".into(), Value::Object(buildpack));
        Value::Object(object)
    });
    Value::Array(entries.collect())
}

/// `(file name, path)` of every `*.sbom.*.json` file in `dir` (Go's glob), sorted by name.
fn candidates(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::ListSbom {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ListSbom {
            path: dir.to_path_buf(),
            source,
        })?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if matches_glob(&name) {
            found.push((name, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Whether `name` matches `*.sbom.*.json`.
fn matches_glob(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(|stem| stem.contains(".sbom."))
}

/// Whether the buildpack's `sbom-formats` lists `format` (media type parameters ignored).
fn declares(module: &Module, format: SbomFormat) -> bool {
    module.info().sbom_formats.iter().flatten().any(|declared| {
        let essence = declared.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(format.media_type())
    })
}

#[cfg(test)]
mod tests;
