//! Which run image the app image's label records (`runImage.image`/`mirrors`, `stack`):
//! platform.md › exporter, Go's `platform.GetRunImageForExport`.

use std::path::Path;

use cnb_api::PlatformApi;
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::metadata::BuildMetadata;
use cnb_files::run::{Run, RunImageForExport};
use cnb_files::stack::Stack;

/// Where the label's run image comes from.
#[derive(Debug, Clone, Copy)]
pub struct RunImageSources<'a> {
    /// `run.toml` (Platform API 0.12 and later; missing is fine).
    pub run_path: &'a Path,
    /// `stack.toml` (before 0.12; missing is fine).
    pub stack_path: &'a Path,
    /// `<layers>`, whose `config/metadata.toml` says whether extensions took part.
    pub layers_dir: &'a Path,
}

/// The run image as the label records it: `stack.toml`'s before Platform API 0.12; after,
/// the `run.toml` entry that names the analyzed run image (as its image or a mirror, names
/// compared as Go's `ParseMaybe` does), else
/// the analyzed name alone when extensions switched the run image, else the first entry.
/// A malformed file is an error (Go: a raw failure, exit 1).
pub fn run_image_for_export(
    api: PlatformApi,
    sources: RunImageSources<'_>,
    analyzed: &Analyzed,
) -> Result<RunImageForExport, cnb_files::Error> {
    if !api.uses_run_toml() {
        return Ok(Stack::read_optional(sources.stack_path)?
            .map(|stack| stack.run_image)
            .unwrap_or_default());
    }
    let run = Run::read_optional(sources.run_path)?.unwrap_or_default();
    let Some(first) = run.images.first() else {
        return Ok(RunImageForExport::default());
    };
    let name = analyzed
        .run_image
        .as_ref()
        .and_then(|run| run.image.as_deref())
        .unwrap_or_default();
    if let Some(entry) = run.find(name, cnb_image::image_name) {
        return Ok(entry.clone());
    }
    let metadata = sources.layers_dir.join("config").join("metadata.toml");
    let extended =
        BuildMetadata::read_optional(&metadata)?.is_some_and(|build| !build.extensions.is_empty());
    if extended {
        return Ok(RunImageForExport {
            image: Some(name.to_owned()),
            mirrors: None,
        });
    }
    Ok(first.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnb_files::analyzed::RunImage;

    const RUN_TOML: &str = r#"
[[images]]
image = "registry.test/run:a"
mirrors = ["mirror.test/run:a"]

[[images]]
image = "registry.test/run:b"
"#;

    fn analyzed(name: &str) -> Analyzed {
        Analyzed {
            run_image: Some(RunImage {
                image: Some(name.to_owned()),
                ..RunImage::default()
            }),
            ..Analyzed::default()
        }
    }

    fn api(version: &str) -> PlatformApi {
        cnb_api::check_platform_api(Some(version)).unwrap()
    }

    struct Dir {
        root: tempfile::TempDir,
    }

    impl Dir {
        fn new() -> Self {
            Self {
                root: tempfile::tempdir().unwrap(),
            }
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }

        fn resolve(&self, api: PlatformApi, analyzed: &Analyzed) -> RunImageForExport {
            let root = self.root.path();
            let sources = RunImageSources {
                run_path: &root.join("run.toml"),
                stack_path: &root.join("stack.toml"),
                layers_dir: &root.join("layers"),
            };
            run_image_for_export(api, sources, analyzed).unwrap()
        }
    }

    #[test]
    fn the_entry_naming_the_analyzed_image_or_one_of_its_mirrors_is_recorded() {
        let dir = Dir::new();
        dir.write("run.toml", RUN_TOML);
        let b = dir.resolve(api("0.12"), &analyzed("registry.test/run:b"));
        assert_eq!(b.image.as_deref(), Some("registry.test/run:b"));
        let mirror = dir.resolve(api("0.12"), &analyzed("mirror.test/run:a"));
        assert_eq!(mirror.image.as_deref(), Some("registry.test/run:a"));
        assert_eq!(mirror.mirrors, Some(vec!["mirror.test/run:a".to_owned()]));
    }

    #[test]
    fn an_unknown_run_image_records_the_first_entry_unless_extensions_switched_it() {
        let dir = Dir::new();
        dir.write("run.toml", RUN_TOML);
        let other = analyzed("other.test/run:x");
        let first = dir.resolve(api("0.12"), &other);
        assert_eq!(first.image.as_deref(), Some("registry.test/run:a"));
        dir.write(
            "layers/config/metadata.toml",
            "[[extensions]]\nid = \"ext\"\nversion = \"1\"\n",
        );
        let switched = dir.resolve(api("0.12"), &other);
        assert_eq!(switched.image.as_deref(), Some("other.test/run:x"));
        assert_eq!(switched.mirrors, None);
    }

    #[test]
    fn before_platform_api_0_12_stack_toml_is_recorded_and_run_toml_ignored() {
        let dir = Dir::new();
        dir.write("run.toml", RUN_TOML);
        dir.write(
            "stack.toml",
            "[run-image]\nimage = \"stack.test/run\"\nmirrors = [\"m.test/run\"]\n",
        );
        let stack = dir.resolve(api("0.11"), &analyzed("registry.test/run:b"));
        assert_eq!(stack.image.as_deref(), Some("stack.test/run"));
        assert_eq!(stack.mirrors, Some(vec!["m.test/run".to_owned()]));
    }

    #[test]
    fn missing_files_record_nothing_and_a_malformed_one_is_an_error() {
        let dir = Dir::new();
        let none = dir.resolve(api("0.12"), &analyzed("registry.test/run:b"));
        assert_eq!(none, RunImageForExport::default());
        dir.write("run.toml", "[[images]\n");
        let root = dir.root.path();
        let sources = RunImageSources {
            run_path: &root.join("run.toml"),
            stack_path: &root.join("stack.toml"),
            layers_dir: &root.join("layers"),
        };
        assert!(run_image_for_export(api("0.12"), sources, &analyzed("x")).is_err());
    }
}
