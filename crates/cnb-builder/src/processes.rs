//! The processes of every buildpack merged into `metadata.toml` (buildpack.md › launch.toml;
//! Go `processMap`): a later buildpack's process replaces an earlier one of the same type, the
//! last `default = true` wins, and a later non-default process of the default type leaves no
//! default (with a warning). Listed sorted by type, `default` dropped, and shaped for the
//! Platform API: before 0.10 the command is one string and its further entries move to the
//! front of `args`.

use std::collections::BTreeMap;

use cnb_api::PlatformApi;
use cnb_files::launch::Command;
use cnb_files::metadata::Process;

/// Processes by type, and the default type.
#[derive(Debug, Default)]
pub(crate) struct Processes {
    by_type: BTreeMap<String, Process>,
    default_type: Option<String>,
}

impl Processes {
    /// Adds one buildpack's processes, in its order.
    pub(crate) fn add(&mut self, processes: Vec<Process>) {
        let mut redefined = None;
        for process in processes {
            if process.default == Some(true) {
                self.default_type = Some(process.r#type.clone());
                redefined = None;
            } else if self.default_type.as_deref() == Some(process.r#type.as_str()) {
                self.default_type = None;
                redefined = Some(process.r#type.clone());
            }
            self.by_type.insert(process.r#type.clone(), process);
        }
        if let Some(kind) = redefined {
            tracing::warn!(
                "redefining the following default process type with a process not marked as default: {kind}"
            );
        }
    }

    /// `buildpack-default-process-type`.
    pub(crate) fn default_type(&self) -> Option<String> {
        self.default_type.clone()
    }

    /// The processes sorted by type, without `default`, shaped for `api`.
    pub(crate) fn list(&self, api: PlatformApi) -> Vec<Process> {
        self.by_type
            .values()
            .map(|process| {
                let mut process = process.clone();
                process.default = None;
                if !api.has_command_arrays() {
                    let mut entries = process.command.entries().into_iter();
                    let first = entries.next().unwrap_or_default();
                    let mut args: Vec<String> = entries.collect();
                    args.extend(process.args.take().unwrap_or_default());
                    process.command = Command::String(first);
                    process.args = Some(args);
                }
                process
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use cnb_api::check_platform_api;
    use pretty_assertions::assert_eq;

    use super::*;

    fn process(kind: &str, buildpack: &str, default: bool) -> Process {
        Process {
            r#type: kind.into(),
            command: Command::Array(vec![format!("{kind}-cmd"), "always".into()]),
            args: Some(vec!["arg".into()]),
            direct: true,
            default: default.then_some(true),
            buildpack_id: buildpack.into(),
            ..Process::default()
        }
    }

    fn types(list: &[Process]) -> Vec<(&str, &str)> {
        list.iter()
            .map(|p| (p.r#type.as_str(), p.buildpack_id.as_str()))
            .collect()
    }

    #[test]
    fn later_buildpacks_replace_types_and_the_list_is_sorted() {
        let mut processes = Processes::default();
        processes.add(vec![
            process("web", "A", false),
            process("worker", "A", false),
        ]);
        processes.add(vec![
            process("web", "B", false),
            process("admin", "B", false),
        ]);
        let list = processes.list(check_platform_api(Some("0.15")).unwrap());
        assert_eq!(
            types(&list),
            [("admin", "B"), ("web", "B"), ("worker", "A")]
        );
        assert!(list.iter().all(|p| p.default.is_none()));
        assert_eq!(
            processes.default_type(),
            None,
            "web is not implicitly the default"
        );
    }

    #[test]
    fn the_last_default_wins_and_a_non_default_redefinition_clears_it() {
        let mut processes = Processes::default();
        processes.add(vec![process("web", "A", true)]);
        processes.add(vec![process("worker", "B", true)]);
        assert_eq!(processes.default_type().as_deref(), Some("worker"));
        processes.add(vec![process("worker", "C", false)]);
        assert_eq!(processes.default_type(), None);
        processes.add(vec![process("web", "D", false), process("web", "D", true)]);
        assert_eq!(processes.default_type().as_deref(), Some("web"));
    }

    #[test]
    fn old_platforms_get_a_string_command_and_its_extra_entries_as_args() {
        let mut processes = Processes::default();
        processes.add(vec![process("web", "A", false)]);
        let old = processes.list(check_platform_api(Some("0.9")).unwrap());
        assert_eq!(old[0].command, Command::String("web-cmd".into()));
        assert_eq!(old[0].args, Some(vec!["always".into(), "arg".into()]));
        let new = processes.list(check_platform_api(Some("0.10")).unwrap());
        assert_eq!(new[0].command.entries(), ["web-cmd", "always"]);
        assert_eq!(new[0].args, Some(vec!["arg".into()]));
    }
}
