//! Whether a group passes, and its build plan (buildpack.md › Detection; spec-matrix.md §5.2):
//! every non-optional element passed and at least one buildpack did; then trials pick one
//! alternative (top level, then each `[[or]]`) per passing element, left to right, depth first,
//! and the first trial whose requires and provides balance wins. Optional elements that break a
//! trial are dropped from it (an optional element only in its last alternative, as in Go).

use cnb_buildpack::{DetectCode, DetectRun};
use cnb_files::build_plan::{PlanSections, Require};
use cnb_files::group::GroupElement;
use cnb_files::plan::{PlanEntry, Provider};

use crate::log::{Level, Log};

/// A group element that was placed in the group, with its detect run.
pub(crate) struct Participant<'a> {
    pub(crate) element: GroupElement,
    pub(crate) optional: bool,
    /// An image extension (its pass alone does not make a group pass).
    pub(crate) extension: bool,
    pub(crate) run: &'a DetectRun,
}

/// The outcome of one group.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// The group passed: its buildpacks and extensions (only those that participate) and the
    /// plan.
    Pass {
        group: Vec<GroupElement>,
        extensions: Vec<GroupElement>,
        plan: Vec<PlanEntry>,
    },
    /// The group failed; `errored` when any element's detect errored.
    Fail { errored: bool },
}

/// Decides the group made of `participants`, logging as the Go lifecycle does.
pub(crate) fn resolve(participants: &[Participant<'_>], log: &mut Log) -> Verdict {
    for participant in participants {
        log_output(participant, log);
    }
    log.debug("======== Results ========");
    let mut detected = true;
    let mut any_buildpack = false;
    let mut errored = false;
    let mut passed = Vec::new();
    for (index, participant) in participants.iter().enumerate() {
        let name = participant.element.display_name();
        match participant.run.code {
            DetectCode::Pass => {
                log.debug(format!("pass: {name}"));
                any_buildpack |= !participant.extension;
                passed.push(index);
            }
            DetectCode::Fail if participant.optional => log.debug(format!("skip: {name}")),
            DetectCode::Fail => log.debug(format!("fail: {name}")),
            DetectCode::Error(None) => log.info(format!("err:  {name}")),
            DetectCode::Error(Some(code)) => log.info(format!("err:  {name} ({code})")),
        }
        if participant.run.code != DetectCode::Pass {
            detected &= participant.optional;
            errored |= matches!(participant.run.code, DetectCode::Error(_));
        }
    }
    if !detected {
        return Verdict::Fail { errored };
    }
    if !any_buildpack {
        log.debug("fail: no viable buildpacks in group");
        return Verdict::Fail { errored };
    }
    let alternatives: Vec<Vec<PlanSections>> = participants
        .iter()
        .map(|participant| participant.run.plan.alternatives())
        .collect();
    let mut search = Search {
        participants,
        alternatives: &alternatives,
        tries: 0,
        log,
    };
    let Some((trial, deps)) = search.first_valid(&passed, &mut Vec::new()) else {
        return Verdict::Fail { errored };
    };
    if trial.len() != participants.len() {
        log.info(format!(
            "{} of {} buildpacks participating",
            trial.len(),
            participants.len()
        ));
    }
    let width = trial
        .iter()
        .map(|option| participants[option.index].element.id.len())
        .max()
        .unwrap_or(0);
    for option in &trial {
        let element = &participants[option.index].element;
        log.info(format!("{:<width$} {}", element.id, element.version));
    }
    let (extensions, group): (Vec<&TrialOption<'_>>, Vec<&TrialOption<'_>>) = trial
        .iter()
        .partition(|option| participants[option.index].extension);
    let elements = |options: Vec<&TrialOption<'_>>| {
        options
            .into_iter()
            .map(|option| participants[option.index].element.clone())
            .collect()
    };
    let plan = deps
        .entries
        .into_iter()
        .map(|(_, entry)| PlanEntry {
            providers: entry
                .providers
                .iter()
                .map(|index| {
                    let participant = &participants[*index];
                    Provider {
                        id: participant.element.id.clone(),
                        version: participant.element.version.clone(),
                        extension: participant.extension.then_some(true),
                    }
                })
                .collect(),
            requires: entry.requires,
        })
        .collect();
    Verdict::Pass {
        group: elements(group),
        extensions: elements(extensions),
        plan,
    }
}

/// Shows a run's output and error: at debug for a pass or fail, at info for an error.
fn log_output(participant: &Participant<'_>, log: &mut Log) {
    let name = participant.element.display_name();
    let run = participant.run;
    let level = match run.code {
        DetectCode::Pass | DetectCode::Fail => Level::Debug,
        DetectCode::Error(_) => Level::Info,
    };
    if !run.output.is_empty() {
        log.at(level, format!("======== Output: {name} ========"));
        log.at(level, String::from_utf8_lossy(&run.output));
    }
    if let Some(error) = &run.error {
        log.at(level, format!("======== Error: {name} ========"));
        log.at(level, cnb_api::one_line(error));
    }
}

/// One element's chosen alternative in a trial.
#[derive(Debug, Clone, Copy)]
struct TrialOption<'a> {
    /// Index into the participants.
    index: usize,
    /// Whether the element may be dropped from this trial.
    optional: bool,
    sections: &'a PlanSections,
}

/// The search for the first valid trial.
struct Search<'s, 'a, 'l> {
    participants: &'s [Participant<'a>],
    alternatives: &'s [Vec<PlanSections>],
    tries: usize,
    log: &'l mut Log,
}

impl<'s> Search<'s, '_, '_> {
    /// Tries every combination of alternatives of the passing elements (`passed`), depth
    /// first, after the choices already in `prefix`; the first valid trial wins.
    fn first_valid(
        &mut self,
        passed: &[usize],
        prefix: &mut Vec<TrialOption<'s>>,
    ) -> Option<(Vec<TrialOption<'s>>, Deps)> {
        let Some((&index, rest)) = passed.split_first() else {
            self.tries += 1;
            return self.run_trial(prefix.clone());
        };
        let optional = self.participants[index].optional;
        let alternatives = &self.alternatives[index];
        for (position, sections) in alternatives.iter().enumerate() {
            prefix.push(TrialOption {
                index,
                optional: optional && position + 1 == alternatives.len(),
                sections,
            });
            let found = self.first_valid(rest, prefix);
            prefix.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Checks one trial: a require needs a provide from the same or an earlier element, a
    /// provide a require from the same or a later one. A non-optional violator fails the
    /// trial; optional violators are dropped and the check repeats.
    fn run_trial(
        &mut self,
        mut trial: Vec<TrialOption<'s>>,
    ) -> Option<(Vec<TrialOption<'s>>, Deps)> {
        self.log
            .debug(format!("Resolving plan... (try #{})", self.tries));
        loop {
            let deps = Deps::new(&trial);
            let mut dropped = Vec::new();
            let unmet = deps
                .entries
                .iter()
                .flat_map(|(name, entry)| {
                    entry
                        .early_requires
                        .iter()
                        .map(move |i| (name, *i, "requires"))
                })
                .chain(deps.entries.iter().flat_map(|(name, entry)| {
                    entry
                        .extra_provides
                        .iter()
                        .map(move |i| (name, *i, "provides unused"))
                }));
            for (name, index, what) in unmet {
                let display = self.participants[index].element.display_name();
                let optional = trial
                    .iter()
                    .any(|option| option.index == index && option.optional);
                if !optional {
                    self.log.debug(format!("fail: {display} {what} {name}"));
                    return None;
                }
                self.log.debug(format!("skip: {display} {what} {name}"));
                dropped.push(index);
            }
            if dropped.is_empty() {
                if trial.is_empty() {
                    self.log.debug("fail: no viable buildpacks in group");
                    return None;
                }
                return Some((trial, deps));
            }
            trial.retain(|option| !dropped.contains(&option.index));
        }
    }
}

/// One dependency name in a trial.
#[derive(Debug, Default)]
struct Entry {
    /// Elements whose provide a later require consumed.
    providers: Vec<usize>,
    /// Requires that had a provider.
    requires: Vec<Require>,
    /// Elements that required it before anything provided it.
    early_requires: Vec<usize>,
    /// Elements whose provide no later require consumed (yet).
    extra_provides: Vec<usize>,
}

/// The dependencies of a trial, by name in order of first mention.
#[derive(Debug, Default)]
struct Deps {
    entries: Vec<(String, Entry)>,
}

impl Deps {
    fn new(trial: &[TrialOption<'_>]) -> Self {
        let mut deps = Self::default();
        for option in trial {
            for provide in &option.sections.provides {
                deps.entry(&provide.name).extra_provides.push(option.index);
            }
            for require in &option.sections.requires {
                let entry = deps.entry(&require.name);
                let mut extra = std::mem::take(&mut entry.extra_provides);
                entry.providers.append(&mut extra);
                if entry.providers.is_empty() {
                    entry.early_requires.push(option.index);
                } else {
                    entry.requires.push(require.clone());
                }
            }
        }
        deps
    }

    fn entry(&mut self, name: &str) -> &mut Entry {
        if let Some(at) = self.entries.iter().position(|(known, _)| known == name) {
            return &mut self.entries[at].1;
        }
        self.entries.push((name.to_owned(), Entry::default()));
        let last = self.entries.len() - 1;
        &mut self.entries[last].1
    }
}

#[cfg(test)]
mod tests;
