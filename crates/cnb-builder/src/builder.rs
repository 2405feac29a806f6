//! The builder: reads the group and plan, checks every buildpack's API, then runs each
//! `bin/build` in group order with the environment the earlier build layers made, settles its
//! layers, reads its outputs, and finally writes the SBOM files and `metadata.toml`.

use cnb_buildpack::{BuildInputs, RunTarget, Store, build, describe_exit};
use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::bom::BomEntry;
use cnb_files::group::{Group, GroupElement};
use cnb_files::metadata::BuildMetadata;
use cnb_files::plan::Plan;

use crate::layers::SettledLayers;
use crate::processes::Processes;
use crate::sbom::{self, SbomFile};
use crate::{BuilderConfig, Error, outputs};

/// The builder phase.
#[derive(Debug)]
pub struct Builder {
    config: BuilderConfig,
}

/// What the buildpacks contributed so far.
#[derive(Debug, Default)]
struct Collected {
    sbom_files: Vec<SbomFile>,
    build_bom: Vec<BomEntry>,
    launch_bom: Vec<BomEntry>,
    labels: Vec<cnb_files::launch::Label>,
    slices: Vec<cnb_files::launch::Slice>,
    processes: Processes,
}

impl Builder {
    /// A builder for `config`.
    pub fn new(config: BuilderConfig) -> Self {
        Self { config }
    }

    /// Builds, then writes `<layers>/config/metadata.toml`.
    pub fn run(&self) -> Result<BuildMetadata, Error> {
        let config = &self.config;
        let group = Group::read(&config.group_path).map_err(|e| Error::ReadGroup(Box::new(e)))?;
        let plan = Plan::read(&config.plan_path).map_err(|e| Error::ReadPlan(Box::new(e)))?;
        group.check_buildpack_apis()?;
        let analyzed = Analyzed::read_optional(&config.analyzed_path)
            .map_err(|e| Error::ReadAnalyzed(Box::new(e)))?;
        if analyzed.is_none() {
            tracing::warn!(
                "No analyzed metadata found at path {:?}",
                config.analyzed_path.display().to_string()
            );
        }
        let target = RunTarget::resolve(
            analyzed
                .as_ref()
                .and_then(|analyzed| analyzed.run_image.as_ref())
                .and_then(|run_image| run_image.target.as_ref()),
            &config.os_release_path,
        );
        let metadata = self.build(&group, plan, &target)?;
        metadata
            .write(&config.metadata_path())
            .map_err(|e| Error::WriteMetadata(Box::new(e)))?;
        Ok(metadata)
    }

    /// Runs every buildpack of `group` and collects what they contributed.
    fn build(
        &self,
        group: &Group,
        mut plan: Plan,
        target: &RunTarget,
    ) -> Result<BuildMetadata, Error> {
        let config = &self.config;
        let sbom_dir = config.sbom_dir();
        match std::fs::remove_dir_all(&sbom_dir) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::CleanSbom {
                    path: sbom_dir,
                    source,
                });
            }
            _ => {}
        }
        let store = Store::new(Some(config.buildpacks_dir.clone()), None);
        let mut env = Env::for_build(config.environ.iter().cloned());
        let inputs = BuildInputs {
            app_dir: &config.app_dir,
            layers_dir: &config.layers_dir,
            platform_dir: &config.platform_dir,
            build_config_dir: Some(&config.build_config_dir),
            target,
            exec_env: Some(&config.exec_env),
        };
        let mut collected = Collected::default();
        for element in &group.group {
            plan = self.build_one(element, &store, &inputs, &mut env, plan, &mut collected)?;
        }

        let api = config.platform_api;
        if api.copies_sbom_files() {
            sbom::copy_all(&sbom_dir, &collected.sbom_files)?;
        }
        let mut bom = collected.launch_bom;
        if api.moves_legacy_bom_to_sbom() {
            sbom::write_legacy(&sbom_dir, &bom, &collected.build_bom)?;
            bom = Vec::new();
        }
        Ok(BuildMetadata {
            buildpack_default_process_type: collected.processes.default_type(),
            bom,
            buildpacks: group.group.clone(),
            extensions: group.group_extensions.clone(),
            labels: collected.labels,
            processes: collected.processes.list(api),
            slices: collected.slices,
        })
    }

    /// Runs one buildpack and returns the plan left for the next ones.
    fn build_one(
        &self,
        element: &GroupElement,
        store: &Store,
        inputs: &BuildInputs<'_>,
        env: &mut Env,
        plan: Plan,
        collected: &mut Collected,
    ) -> Result<Plan, Error> {
        let buildpack = element.display_name();
        tracing::debug!("Running build for buildpack {buildpack}");
        let module = store
            .buildpack(&element.id, &element.version)
            .map_err(|source| Error::Lookup {
                buildpack: buildpack.clone(),
                source: Box::new(source),
            })?;
        let bp_plan = plan.for_module(&element.id, false);
        let run = build(&module, &bp_plan, env, inputs).map_err(|source| Error::Run {
            buildpack: buildpack.clone(),
            source: Box::new(source),
        })?;
        if !run.status.success() {
            return Err(Error::BuildpackFailed {
                buildpack,
                status: describe_exit(run.status),
            });
        }
        let layers = SettledLayers::settle(&self.config.layers_dir, &element.id, &buildpack)?;
        layers.add_to_build_env(env, &buildpack)?;
        let has_sbom_files = sbom::any_in(&run.layers_dir)?;
        let outputs = outputs::read(&module, &run.layers_dir, &bp_plan, has_sbom_files)?;
        collected
            .sbom_files
            .extend(sbom::collect(&module, &run.layers_dir, &layers)?);
        collected.build_bom.extend(outputs.build_bom);
        collected.launch_bom.extend(outputs.launch_bom);
        collected.labels.extend(outputs.labels);
        collected.slices.extend(outputs.slices);
        collected.processes.add(outputs.processes);
        tracing::debug!("Finished running build for buildpack {buildpack}");
        Ok(plan.without_met(&outputs.met))
    }
}
