//! What one buildpack's `build.toml` and `launch.toml` contribute (buildpack.md › Data
//! Format; Go `readOutputFilesBp`): the plan entries it met, its legacy BOM, labels, processes
//! and slices. Checked as Go checks them: `[[unmet]]` names must be in its plan, at most one
//! default process, the command shape and `direct` by its Buildpack API, no top-level
//! `version` in a BOM entry.

use std::path::Path;

use cnb_buildpack::Module;
use cnb_files::TomlFile;
use cnb_files::bom::BomEntry;
use cnb_files::build::BuildToml;
use cnb_files::buildpack_plan::BuildpackPlan;
use cnb_files::group::GroupElement;
use cnb_files::launch::{Command, Label, LaunchProcess, LaunchToml, Slice};
use cnb_files::metadata::Process;

use crate::Error;
use crate::plan::met_names;

/// One buildpack's contribution to `metadata.toml` and to the plan of later buildpacks.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    /// The names of the plan entries it met.
    pub(crate) met: Vec<String>,
    /// `build.toml` `[[bom]]`, stamped with the buildpack.
    pub(crate) build_bom: Vec<BomEntry>,
    /// `launch.toml` `[[bom]]`, stamped with the buildpack.
    pub(crate) launch_bom: Vec<BomEntry>,
    /// `[[labels]]`.
    pub(crate) labels: Vec<Label>,
    /// `[[processes]]` as `metadata.toml` entries, `default` still set.
    pub(crate) processes: Vec<Process>,
    /// `[[slices]]`.
    pub(crate) slices: Vec<Slice>,
}

/// Reads `build.toml` and `launch.toml` (both optional) in `bp_layers_dir`. `has_sbom_files`
/// silences the legacy BOM's deprecation warning, as Go does for buildpacks migrating to SBOM
/// files.
pub(crate) fn read(
    module: &Module,
    bp_layers_dir: &Path,
    bp_plan: &BuildpackPlan,
    has_sbom_files: bool,
) -> Result<Outputs, Error> {
    let buildpack = module.display_name();
    let output_error = |source| Error::ReadOutput {
        buildpack: buildpack.clone(),
        source: Box::new(source),
    };
    let build = BuildToml::read_optional(&bp_layers_dir.join("build.toml"))
        .map_err(output_error)?
        .unwrap_or_default();
    let mut outputs = Outputs {
        build_bom: stamp(module, build.bom, has_sbom_files)?,
        met: met_names(&buildpack, bp_plan, &build.unmet)?,
        ..Outputs::default()
    };
    let Some(launch) =
        LaunchToml::read_optional(&bp_layers_dir.join("launch.toml")).map_err(output_error)?
    else {
        return Ok(outputs);
    };
    launch
        .check_api(module.api().version())
        .map_err(output_error)?;
    outputs.launch_bom = stamp(module, launch.bom, has_sbom_files)?;
    let defaults = launch
        .processes
        .iter()
        .filter(|process| process.default == Some(true))
        .count();
    if defaults > 1 {
        return Err(Error::MultipleDefaults { buildpack });
    }
    outputs.labels = launch.labels;
    outputs.processes = launch
        .processes
        .into_iter()
        .map(|process| to_metadata_process(module, process))
        .collect();
    outputs.slices = launch.slices;
    Ok(outputs)
}

/// A `launch.toml` process as a `metadata.toml` process of `module`: the command as its
/// entries, `direct` true from Buildpack API 0.9 on (before, as given, default false), and
/// `working-dir` dropped with a warning before Buildpack API 0.8.
fn to_metadata_process(module: &Module, process: LaunchProcess) -> Process {
    let api = module.api();
    let direct = if api.overrides_process_args() {
        true
    } else {
        process.direct.unwrap_or(false)
    };
    let mut working_dir = process.working_dir.filter(|dir| !dir.is_empty());
    if working_dir.is_some() && !api.has_process_working_dir() {
        tracing::warn!(
            "process working directory isn't supported in this buildpack api version. Ignoring working directory for process '{}'",
            process.r#type
        );
        working_dir = None;
    }
    Process {
        r#type: process.r#type,
        command: Command::Array(process.command.entries()),
        args: process.args,
        direct,
        default: process.default.filter(|default| *default),
        buildpack_id: module.id().to_owned(),
        working_dir,
        exec_env: process.exec_env.filter(|envs| !envs.is_empty()),
    }
}

/// Checks legacy BOM entries and stamps them with the buildpack (`id` and `version` only).
fn stamp(
    module: &Module,
    bom: Vec<BomEntry>,
    has_sbom_files: bool,
) -> Result<Vec<BomEntry>, Error> {
    if !bom.is_empty() && !has_sbom_files {
        tracing::warn!(
            "BOM table is deprecated in this buildpack api version, though it remains supported for backwards compatibility. Buildpack authors should write BOM information to <layer>.sbom.<ext>, launch.sbom.<ext>, or build.sbom.<ext>."
        );
    }
    if let Some(entry) = bom.iter().find(|entry| entry.version.is_some()) {
        return Err(Error::BomVersion {
            buildpack: module.display_name(),
            name: entry.name.clone(),
        });
    }
    let buildpack = GroupElement {
        id: module.id().to_owned(),
        version: module.version().to_owned(),
        api: None,
        homepage: None,
    };
    Ok(bom
        .into_iter()
        .map(|entry| BomEntry {
            buildpack: Some(buildpack.clone()),
            ..entry
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use cnb_files::build_plan::Require;
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::test_support::{bp_layers, module};

    fn read_with(api: &str, launch: &str, build: &str) -> Result<Outputs, Error> {
        let root = tempfile::tempdir().unwrap();
        let module = module(root.path(), "bp", api, "");
        let dir = bp_layers(root.path(), "bp");
        fs::write(dir.join("launch.toml"), launch).unwrap();
        fs::write(dir.join("build.toml"), build).unwrap();
        let plan = BuildpackPlan {
            entries: vec![Require {
                name: "dep".into(),
                ..Require::default()
            }],
        };
        read(&module, &dir, &plan, false)
    }

    #[test]
    fn old_buildpacks_write_string_commands_and_may_set_direct() {
        let launch = "[[processes]]\ntype = \"web\"\ncommand = \"run it\"\nargs = [\"a\"]\ndefault = true\n[[processes]]\ntype = \"direct\"\ncommand = \"x\"\ndirect = true\nworking-dir = \"/w\"\n";
        let outputs = read_with("0.8", launch, "").unwrap();
        let web = &outputs.processes[0];
        assert_eq!(web.command, Command::Array(vec!["run it".into()]));
        assert_eq!(web.args, Some(vec!["a".into()]));
        assert!(!web.direct, "direct defaults to false before 0.9");
        assert_eq!(web.default, Some(true));
        assert_eq!(web.buildpack_id, "bp");
        assert!(outputs.processes[1].direct);
        assert_eq!(outputs.processes[1].working_dir.as_deref(), Some("/w"));
        assert_eq!(outputs.met, ["dep"]);

        let outputs = read_with("0.7", launch, "").unwrap();
        assert_eq!(
            outputs.processes[1].working_dir, None,
            "0.7 ignores working-dir"
        );
    }

    #[test]
    fn new_buildpacks_write_arrays_and_are_always_direct() {
        let launch = "[[processes]]\ntype = \"web\"\ncommand = [\"run\", \"--fixed\"]\nexec-env = [\"test\"]\n[[labels]]\nkey = \"k\"\nvalue = \"v\"\n[[slices]]\npaths = [\"*.txt\"]\n";
        let outputs = read_with("0.12", launch, "[[unmet]]\nname = \"dep\"\n").unwrap();
        let web = &outputs.processes[0];
        assert_eq!(web.command.entries(), ["run", "--fixed"]);
        assert!(web.direct);
        assert_eq!(web.exec_env, Some(vec!["test".into()]));
        assert_eq!(outputs.labels[0].key, "k");
        assert_eq!(outputs.slices[0].paths, ["*.txt"]);
        assert!(outputs.met.is_empty(), "dep is unmet");
    }

    #[test]
    fn refuses_what_go_refuses() {
        let string_command = "[[processes]]\ntype = \"web\"\ncommand = \"run\"\n";
        let err = read_with("0.9", string_command, "").unwrap_err();
        assert!(matches!(err, Error::ReadOutput { .. }), "{err}");
        let direct = "[[processes]]\ntype = \"web\"\ncommand = [\"run\"]\ndirect = true\n";
        assert!(read_with("0.9", direct, "").is_err());
        let two_defaults = "[[processes]]\ntype = \"a\"\ncommand = [\"a\"]\ndefault = true\n[[processes]]\ntype = \"b\"\ncommand = [\"b\"]\ndefault = true\n";
        let err = read_with("0.10", two_defaults, "").unwrap_err();
        assert!(matches!(err, Error::MultipleDefaults { .. }), "{err}");
        let versioned_bom = "[[bom]]\nname = \"dep\"\nversion = \"1\"\n";
        let err = read_with("0.10", "", versioned_bom).unwrap_err();
        assert!(matches!(err, Error::BomVersion { .. }), "{err}");
        let err = read_with("0.10", "", "[[unmet]]\nname = \"other\"\n").unwrap_err();
        assert!(matches!(err, Error::UnmetNotInPlan { .. }), "{err}");
    }

    #[test]
    fn legacy_boms_are_stamped_with_the_buildpack() {
        let bom = "[[bom]]\nname = \"dep\"\n[bom.metadata]\nversion = \"1\"\n";
        let outputs = read_with("0.7", bom, bom).unwrap();
        for entries in [&outputs.launch_bom, &outputs.build_bom] {
            let stamped = entries[0].buildpack.as_ref().unwrap();
            assert_eq!((stamped.id.as_str(), stamped.version.as_str()), ("bp", "1"));
            assert_eq!(stamped.api, None);
        }
    }
}
