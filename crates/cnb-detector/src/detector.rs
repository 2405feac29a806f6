//! The detector: reads the order, verifies every buildpack and extension it names, walks the
//! groups as the Go lifecycle does (composites expanded in place, the extension groups tried in
//! front of the rest and then the rest alone, an ID already in the group skipped, an optional
//! composite also tried without), runs each group's pending `bin/detect`s at once, and stops at
//! the first group that resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cnb_buildpack::{DetectInputs, DetectRun, Module, ModuleKind, RunTarget, Store, detect};
use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::group::{Group as GroupToml, GroupElement};
use cnb_files::order::Order;
use cnb_files::plan::Plan;
use cnb_files::system::SystemToml;

use crate::log::Log;
use crate::order::{Element, Group, Slot, groups_of, modules, with_extensions, with_system};
use crate::resolve::{Participant, Verdict, resolve};
use crate::{DetectorConfig, Error};

/// The group and plan detection chose.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// `group.toml`: `[[group]]` and `[[group-extensions]]`.
    pub group: GroupToml,
    /// `plan.toml`.
    pub plan: Plan,
    /// `analyzed.toml` as detection read it (empty when missing), for the generate step.
    pub analyzed: Analyzed,
    /// The run image's target as modules saw it (`CNB_TARGET_*`).
    pub target: RunTarget,
}

/// The detector phase.
#[derive(Debug)]
pub struct Detector {
    pub(crate) config: DetectorConfig,
}

/// `(kind, id, version)`: how modules and their runs are remembered across groups.
type Key = (ModuleKind, String, String);

/// An element placed in a group, with its module.
#[derive(Debug, Clone)]
struct Placed {
    element: Element,
    module: Arc<Module>,
}

impl Placed {
    fn key(&self) -> Key {
        key_of(&self.element)
    }
}

fn key_of(element: &Element) -> Key {
    (element.kind, element.id.clone(), element.version.clone())
}

/// The state of one detection.
struct Walk<'c> {
    config: &'c DetectorConfig,
    store: Store,
    modules: BTreeMap<Key, Arc<Module>>,
    runs: BTreeMap<Key, Arc<DetectRun>>,
    base_env: Env,
    target: RunTarget,
    log: Log,
    errored: bool,
}

impl Detector {
    /// A detector for `config`.
    pub fn new(config: DetectorConfig) -> Self {
        Self { config }
    }

    /// Detects, then writes `group.toml` and `plan.toml`. When no group passes, the resolver's
    /// log is shown in full and the error says whether a buildpack errored (exit 21) or all
    /// merely failed (exit 20). When the group has extensions, [`Detector::generate`] comes
    /// next (the creator refuses them instead).
    pub fn run(&self) -> Result<Detected, Error> {
        let detected = self.detect()?;
        detected
            .group
            .write(&self.config.group_path)
            .map_err(|source| Error::WriteGroup {
                source: Box::new(source),
            })?;
        detected
            .plan
            .write(&self.config.plan_path)
            .map_err(|source| Error::WritePlan {
                source: Box::new(source),
            })?;
        Ok(detected)
    }

    /// Detects without writing anything.
    pub fn detect(&self) -> Result<Detected, Error> {
        let config = &self.config;
        let order = self.read_order()?;
        let analyzed = read_analyzed(config)?;
        let target = RunTarget::resolve(
            analyzed
                .run_image
                .as_ref()
                .and_then(|run| run.target.as_ref()),
            &config.os_release_path,
        );
        let mut walk = Walk {
            config,
            store: Store::new(
                Some(config.buildpacks_dir.clone()),
                Some(config.extensions_dir.clone()),
            ),
            modules: BTreeMap::new(),
            runs: BTreeMap::new(),
            base_env: Env::for_build(config.environ.iter().cloned()),
            target,
            log: Log::default(),
            errored: false,
        };
        walk.verify(&order)?;
        let found = walk.detect_order(&order, &[], &[], false);
        let errored = walk.errored;
        walk.log.flush(found.is_none());
        let Some((group, plan)) = found else {
            tracing::error!("No buildpack groups passed detection.");
            if !errored {
                tracing::error!("Please check that you are running against the correct path.");
            }
            return Err(Error::NoGroupPassed { errored });
        };
        Ok(Detected {
            group,
            plan,
            analyzed,
            target: walk.target,
        })
    }

    /// The order's groups, with system buildpacks merged (Platform API 0.15), then the
    /// `[[order-extensions]]` groups in front of each.
    fn read_order(&self) -> Result<Vec<Group>, Error> {
        let config = &self.config;
        let order = Order::read(&config.order_path).map_err(|source| Error::ReadOrder {
            source: Box::new(source),
        })?;
        let mut groups = groups_of(&order.order);
        if config.platform_api.has_system_buildpacks() {
            let system = SystemToml::read_optional(&config.system_path)
                .map_err(|source| Error::ReadSystem {
                    source: Box::new(source),
                })?
                .unwrap_or_default();
            groups = with_system(groups, &system.system);
        }
        Ok(with_extensions(groups, &order.order_extensions))
    }
}

fn read_analyzed(config: &DetectorConfig) -> Result<Analyzed, Error> {
    let analyzed =
        Analyzed::read_optional(&config.analyzed_path).map_err(|source| Error::ReadAnalyzed {
            source: Box::new(source),
        })?;
    Ok(analyzed.unwrap_or_else(|| {
        tracing::warn!(
            "No analyzed metadata found at path {:?}",
            config.analyzed_path.display().to_string()
        );
        Analyzed::default()
    }))
}

impl Walk<'_> {
    /// Loads every buildpack the order can reach (composites' orders included) before anything
    /// runs, so that a missing buildpack or an unsupported API fails the phase up front.
    fn verify(&mut self, order: &[Group]) -> Result<(), Error> {
        let mut verified = BTreeSet::new();
        for slot in order.iter().flatten() {
            match slot {
                Slot::Module(element) => {
                    self.verify_element(element, &mut Vec::new(), &mut verified)?;
                }
                Slot::Extensions(groups) => {
                    for element in groups.iter().flat_map(|group| modules(group)) {
                        self.verify_element(element, &mut Vec::new(), &mut verified)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn verify_element(
        &mut self,
        element: &Element,
        path: &mut Vec<Key>,
        verified: &mut BTreeSet<Key>,
    ) -> Result<(), Error> {
        let key = key_of(element);
        if verified.contains(&key) {
            return Ok(());
        }
        if path.contains(&key) {
            return Err(Error::Cycle {
                module: element.display_name(),
            });
        }
        let module = self.module(element)?;
        path.push(key.clone());
        for child in groups_of(module.order())
            .iter()
            .flat_map(|group| modules(group))
        {
            self.verify_element(child, path, verified)?;
        }
        path.pop();
        verified.insert(key);
        Ok(())
    }

    fn module(&mut self, element: &Element) -> Result<Arc<Module>, Error> {
        let key = key_of(element);
        if let Some(module) = self.modules.get(&key) {
            return Ok(Arc::clone(module));
        }
        let module = Arc::new(
            self.store
                .lookup(element.kind, &element.id, &element.version)
                .map_err(|source| Error::Verify { source })?,
        );
        self.modules.insert(key, Arc::clone(&module));
        Ok(module)
    }

    /// Tries each group of `order` followed by `next`; when `optional`, finally `next` alone.
    fn detect_order(
        &mut self,
        order: &[Group],
        done: &[Placed],
        next: &[Slot],
        optional: bool,
    ) -> Option<(GroupToml, Plan)> {
        for group in order {
            let candidate: Vec<Slot> = group.iter().chain(next).cloned().collect();
            if let Some(found) = self.detect_group(&candidate, done) {
                return Some(found);
            }
        }
        if optional {
            return self.detect_group(next, done);
        }
        None
    }

    /// Places the elements of `group` after `done` (expanding the first composite or
    /// extension slot met), runs the detects not run yet, and resolves.
    fn detect_group(&mut self, group: &[Slot], done: &[Placed]) -> Option<(GroupToml, Plan)> {
        let mut done = done.to_vec();
        for (index, slot) in group.iter().enumerate() {
            let element = match slot {
                Slot::Module(element) => element,
                Slot::Extensions(groups) => {
                    return self.detect_order(groups, &done, &group[index + 1..], true);
                }
            };
            let seen = done.iter().any(|placed| {
                placed.element.kind == element.kind && placed.element.id == element.id
            });
            if seen {
                continue;
            }
            let Ok(module) = self.module(element) else {
                continue; // unreachable: `verify` loaded every module
            };
            if module.is_composite() {
                let order = groups_of(module.order());
                return self.detect_order(&order, &done, &group[index + 1..], element.optional);
            }
            if !self.placeable(element, &module) {
                continue;
            }
            done.push(Placed {
                element: element.clone(),
                module,
            });
        }
        self.run_pending(&done);
        let participants: Vec<Participant<'_>> = done
            .iter()
            .map(|placed| Participant {
                element: GroupElement {
                    id: placed.element.id.clone(),
                    version: placed.element.version.clone(),
                    api: Some(placed.module.api().to_string()),
                    homepage: placed.module.info().homepage.clone(),
                },
                optional: placed.element.optional,
                extension: placed.element.kind == ModuleKind::Extension,
                run: &self.runs[&placed.key()],
            })
            .collect();
        match resolve(&participants, &mut self.log) {
            Verdict::Pass {
                group,
                extensions,
                plan,
            } => Some((
                GroupToml {
                    group,
                    group_extensions: extensions,
                },
                Plan { entries: plan },
            )),
            Verdict::Fail { errored } => {
                self.errored |= errored;
                None
            }
        }
    }

    /// Whether an element joins the group: execution environment and target permitting
    /// (Platform API 0.15 and 0.12). A required element whose targets miss the run image joins
    /// as an error; an optional one is left out.
    fn placeable(&mut self, element: &Element, module: &Module) -> bool {
        let api = self.config.platform_api;
        if api.checks_targets() && !module.supports(&self.target) {
            if element.optional {
                tracing::debug!(
                    "Skipping optional {} whose targets do not match the run image ({})",
                    element.display_name(),
                    self.target
                );
                return false;
            }
            let key = key_of(element);
            let error = module.unsupported_target(&self.target);
            self.runs
                .entry(key)
                .or_insert_with(|| Arc::new(DetectRun::failed(error, Vec::new())));
            return true;
        }
        let exec_env = self.config.exec_env.as_str();
        if api.has_system_buildpacks() && !exec_env.is_empty() {
            let supported = module
                .exec_envs()
                .is_none_or(|list| list.iter().any(|name| *name == "*" || *name == exec_env));
            if !supported || !element.applies_in(exec_env) {
                tracing::debug!(
                    "Skipping {} due to execution environment mismatch; current: {exec_env}",
                    element.display_name()
                );
                return false;
            }
        }
        true
    }

    /// Runs, concurrently, the detects of `done` that no earlier group ran.
    fn run_pending(&mut self, done: &[Placed]) {
        let pending: Vec<&Placed> = done
            .iter()
            .filter(|placed| !self.runs.contains_key(&placed.key()))
            .collect();
        if pending.is_empty() {
            return;
        }
        let exec_env = Some(self.config.exec_env.as_str()).filter(|value| !value.is_empty());
        let inputs = DetectInputs {
            app_dir: &self.config.app_dir,
            platform_dir: &self.config.platform_dir,
            build_config_dir: Some(&self.config.build_config_dir),
            base_env: &self.base_env,
            target: &self.target,
            exec_env,
        };
        let runs: Vec<DetectRun> = if let [only] = pending.as_slice() {
            vec![detect(&only.module, &inputs)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = pending
                    .iter()
                    .map(|placed| scope.spawn(|| detect(&placed.module, &inputs)))
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            })
        };
        for (placed, run) in pending.iter().zip(runs) {
            self.runs.insert(placed.key(), Arc::new(run));
        }
    }
}
