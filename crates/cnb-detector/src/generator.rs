//! The generate step of the detector (`image_extension.md` › Phase: Generation; platform.md ›
//! detector; Go `phase/generator.go`): each extension of the group, in order, gets the plan
//! entries it provides and runs `bin/generate`; what it met leaves the plan. Its Dockerfiles
//! are checked, the last run.Dockerfile whose FROM is not `${base_image}` switches the run
//! image in `analyzed.toml` (earlier run.Dockerfiles become `….ignore`), and the Dockerfiles
//! land in `<generated>` in the layout of the Platform API: `<generated>/<escaped id>/` in place
//! from 0.13, `<generated>/<kind>/<escaped id>/Dockerfile` (with `extend-config.toml`) before.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_buildpack::{GenerateInputs, Store, describe_exit, escape_id, generate};
use cnb_dockerfile::Kind;
use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::analyzed::{Analyzed, RunImage};
use cnb_files::extend_config::ExtendConfig;
use cnb_files::plan::Plan;
use cnb_files::run::Run;

use crate::outputs::{Generated, read_outputs};
use crate::{Detected, Detector, Error};

/// What the generate step decided: the new `analyzed.toml` and `plan.toml`, both written.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateResult {
    /// `analyzed.toml`, with the run image switched or marked for extension.
    pub analyzed: Analyzed,
    /// `plan.toml` without the entries the extensions met.
    pub plan: Plan,
}

impl Detector {
    /// Runs the extensions of `detected`'s group, then writes `analyzed.toml` and `plan.toml`.
    /// A `bin/generate` that fails gives exit 91; any other problem with what an extension
    /// generated, 92.
    pub fn generate(&self, detected: &Detected) -> Result<GenerateResult, Error> {
        let config = &self.config;
        let api = config.platform_api;
        let run = Run::read_optional(&config.run_path)
            .map_err(|source| Error::ReadRun {
                source: Box::new(source),
            })?
            .unwrap_or_else(|| {
                tracing::info!(
                    "No run metadata found at path {:?}",
                    config.run_path.display().to_string()
                );
                Run::default()
            });
        // Before Platform API 0.13 extensions write to a temporary directory; their Dockerfiles
        // are copied to `<generated>` afterwards.
        let temp = if api.extensions_are_stable() {
            None
        } else {
            Some(
                tempfile::Builder::new()
                    .prefix("cnb-extensions-generated.")
                    .tempdir()
                    .map_err(|source| Error::CreateOutput {
                        path: std::env::temp_dir(),
                        source,
                    })?,
            )
        };
        let output_parent = temp
            .as_ref()
            .map_or(config.generated_dir.as_path(), tempfile::TempDir::path);
        let base_env = Env::for_build(config.environ.iter().cloned());
        let inputs = GenerateInputs {
            app_dir: &config.app_dir,
            platform_dir: &config.platform_dir,
            build_config_dir: Some(&config.build_config_dir),
            base_env: &base_env,
            target: &detected.target,
            output_parent,
        };
        let store = Store::new(None, Some(config.extensions_dir.clone()));
        let mut plan = detected.plan.clone();
        let mut dockerfiles = Vec::new();
        for extension in &detected.group.group_extensions {
            let (found, met) = Self::generate_one(&store, extension, &plan, &inputs)?;
            dockerfiles.extend(found);
            plan = plan.without_met(&met);
        }
        tracing::debug!("Checking run image");
        let analyzed = self.switch_run_image(&detected.analyzed, &mut dockerfiles, &run);
        tracing::debug!("Copying Dockerfiles");
        self.place(&dockerfiles)?;
        analyzed
            .write(&config.analyzed_path)
            .map_err(|source| Error::WriteAnalyzed {
                source: Box::new(source),
            })?;
        plan.write(&config.plan_path)
            .map_err(|source| Error::WritePlan {
                source: Box::new(source),
            })?;
        Ok(GenerateResult { analyzed, plan })
    }

    /// One extension: its plan, `bin/generate`, its outputs. Returns its Dockerfiles and the
    /// names it met.
    fn generate_one(
        store: &Store,
        extension: &cnb_files::group::GroupElement,
        plan: &Plan,
        inputs: &GenerateInputs<'_>,
    ) -> Result<(Vec<Generated>, Vec<String>), Error> {
        tracing::debug!(
            "Running generate for extension {}",
            extension.display_name()
        );
        let module = store
            .extension(&extension.id, &extension.version)
            .map_err(|source| Error::LookupExtension { source })?;
        let ext_plan = plan.for_module(&extension.id, true);
        let run = generate(&module, &ext_plan, inputs).map_err(|source| {
            if matches!(source, cnb_buildpack::Error::Spawn { .. }) {
                Error::RunGenerate {
                    extension: module.display_name(),
                    source: Box::new(source),
                }
            } else {
                Error::PrepareGenerate {
                    extension: module.display_name(),
                    source: Box::new(source),
                }
            }
        })?;
        if let Some(status) = run.status.filter(|status| !status.success()) {
            return Err(Error::GenerateFailed {
                extension: module.display_name(),
                status: describe_exit(status),
            });
        }
        let found = read_outputs(&extension.id, &module.display_name(), &run.output_dir)?;
        let met = ext_plan
            .entries
            .iter()
            .map(|entry| entry.name.clone())
            .collect();
        tracing::debug!(
            "Finished running generate for extension {}",
            extension.display_name()
        );
        Ok((found, met))
    }

    /// The run image after the run.Dockerfiles (Go `runImageFrom`, `isNew`): the last one
    /// whose FROM is not `${base_image}` names the new run image (earlier ones are marked to be
    /// ignored); any run.Dockerfile with instructions, not ignored, extends it.
    fn switch_run_image(
        &self,
        analyzed: &Analyzed,
        dockerfiles: &mut [Generated],
        run: &Run,
    ) -> Analyzed {
        let config = &self.config;
        let mut new_base: Option<String> = None;
        let mut extend = false;
        for dockerfile in dockerfiles.iter_mut().rev() {
            if dockerfile.kind != Kind::Run {
                continue;
            }
            if new_base.is_some() {
                dockerfile.ignore = true;
                continue;
            }
            extend |= dockerfile.extend;
            if let Some(base) = &dockerfile.new_base {
                tracing::debug!(
                    "Found a run.Dockerfile from extension '{}' setting run image to '{base}' ",
                    dockerfile.extension
                );
                new_base = Some(base.clone());
            }
        }
        let mut analyzed = analyzed.clone();
        let current = analyzed
            .run_image
            .as_ref()
            .and_then(|image| image.image.as_deref())
            .unwrap_or_default();
        let switched = new_base.filter(|base| {
            // Before Platform API 0.12 any switch counts; after, only one to another image
            // (compared as written: a digest the extension wrote is kept).
            !config.platform_api.uses_run_toml() || base != current
        });
        if let Some(base) = switched {
            if run.find(&base, config.image_name).is_none() {
                tracing::warn!("new runtime base image '{base}' not found in run metadata");
            }
            tracing::debug!("Updating analyzed metadata with new run image '{base}'");
            analyzed.run_image = Some(RunImage {
                reference: base.clone(),
                image: Some(base),
                extend: extend.then_some(true),
                target: None,
            });
        }
        if extend && let Some(run_image) = analyzed.run_image.as_mut() {
            tracing::debug!("Updating analyzed metadata to indicate run image extension");
            run_image.extend = Some(true);
        }
        analyzed
    }

    /// Puts the Dockerfiles where the extender reads them: from Platform API 0.13 they are
    /// there already (an ignored run.Dockerfile is renamed `run.Dockerfile.ignore`); before,
    /// each is copied to `<generated>/<kind>/<escaped id>/Dockerfile` (or `Dockerfile.ignore`)
    /// with the extension's `extend-config.toml` beside it.
    fn place(&self, dockerfiles: &[Generated]) -> Result<(), Error> {
        let config = &self.config;
        for dockerfile in dockerfiles {
            let ignore = dockerfile.kind == Kind::Run && dockerfile.ignore;
            if config.platform_api.extensions_are_stable() {
                if ignore {
                    let target = suffixed(&dockerfile.path);
                    fs::rename(&dockerfile.path, &target).map_err(|source| Error::Place {
                        path: target,
                        source,
                    })?;
                }
                continue;
            }
            let dir = config
                .generated_dir
                .join(dockerfile.kind.as_str())
                .join(escape_id(&dockerfile.extension));
            let mut target = dir.join("Dockerfile");
            if ignore {
                target = suffixed(&target);
            }
            let place_error = |path: &Path| {
                let path = path.to_path_buf();
                move |source| Error::Place { path, source }
            };
            fs::create_dir_all(&dir).map_err(place_error(&dir))?;
            tracing::debug!(
                "Copying {} to {}",
                dockerfile.path.display(),
                target.display()
            );
            fs::copy(&dockerfile.path, &target).map_err(place_error(&target))?;
            let extend_config = dockerfile.path.with_file_name(ExtendConfig::FILE);
            if extend_config.exists() {
                let target = dir.join(ExtendConfig::FILE);
                fs::copy(&extend_config, &target).map_err(place_error(&target))?;
            }
        }
        Ok(())
    }
}

/// `<path>.ignore`.
fn suffixed(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".ignore");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
