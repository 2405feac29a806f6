//! The order as the detector walks it: groups of buildpack references, with Platform API 0.15
//! system buildpacks merged into every group and, when `order.toml` has
//! `[[order-extensions]]`, the extension groups in front of every group as one optional slot
//! (Go `PrependExtensions`): each extension group is tried with the rest of the group, then the
//! rest alone.

use std::sync::Arc;

use cnb_buildpack::ModuleKind;
use cnb_files::order::OrderGroup;
use cnb_files::system::{System, SystemBuildpack};

/// A buildpack or extension reference in a group: from `order.toml`, a composite's
/// `[[order]]`, or `system.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) optional: bool,
    /// The execution environments the reference is limited to (`None`: all).
    pub(crate) exec_env: Option<Vec<String>>,
    /// Buildpack or image extension (extensions are always optional).
    pub(crate) kind: ModuleKind,
}

/// One place in a group: a module, or the extension groups tried in front of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A buildpack (component or composite) or an extension.
    Module(Element),
    /// `[[order-extensions]]`, as an optional order of its own.
    Extensions(Arc<[Group]>),
}

impl Element {
    pub(crate) fn display_name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// Whether the reference applies in `exec_env` (its own `exec-env` list, when it has one).
    pub(crate) fn applies_in(&self, exec_env: &str) -> bool {
        self.exec_env
            .as_ref()
            .is_none_or(|list| list.is_empty() || list.iter().any(|e| e == "*" || e == exec_env))
    }
}

/// A group: slots tried together, left to right.
pub(crate) type Group = Vec<Slot>;

/// The groups of an `[[order]]` (buildpacks).
pub(crate) fn groups_of(order: &[OrderGroup]) -> Vec<Group> {
    order
        .iter()
        .map(|group| {
            group
                .group
                .iter()
                .map(|element| {
                    Slot::Module(Element {
                        id: element.id.clone(),
                        version: element.version.clone(),
                        optional: element.is_optional(),
                        exec_env: element.exec_env.clone(),
                        kind: ModuleKind::Buildpack,
                    })
                })
                .collect()
        })
        .collect()
}

/// `order` with the groups of `[[order-extensions]]` (each element an optional extension)
/// as one slot in front of every group; `order` unchanged when there are none.
pub(crate) fn with_extensions(order: Vec<Group>, extensions: &[OrderGroup]) -> Vec<Group> {
    if extensions.is_empty() {
        return order;
    }
    let extension_groups: Arc<[Group]> = groups_of(extensions)
        .into_iter()
        .map(|group| {
            group
                .into_iter()
                .map(|slot| match slot {
                    Slot::Module(element) => Slot::Module(Element {
                        optional: true,
                        kind: ModuleKind::Extension,
                        ..element
                    }),
                    other @ Slot::Extensions(_) => other,
                })
                .collect()
        })
        .collect();
    order
        .into_iter()
        .map(|group| {
            std::iter::once(Slot::Extensions(Arc::clone(&extension_groups)))
                .chain(group)
                .collect()
        })
        .collect()
}

/// The modules in `group` (extension slots left out).
pub(crate) fn modules(group: &[Slot]) -> impl Iterator<Item = &Element> {
    group.iter().filter_map(|slot| match slot {
        Slot::Module(element) => Some(element),
        Slot::Extensions(_) => None,
    })
}

/// Every group with the `pre` system buildpacks prepended and the `post` ones appended, each
/// skipped where the group already names its ID.
pub(crate) fn with_system(order: Vec<Group>, system: &System) -> Vec<Group> {
    let (pre, post) = (system.pre_buildpacks(), system.post_buildpacks());
    if pre.is_empty() && post.is_empty() {
        return order;
    }
    order
        .into_iter()
        .map(|group| {
            let missing = |list: &[SystemBuildpack]| -> Vec<Slot> {
                list.iter()
                    .filter(|system| !modules(&group).any(|element| element.id == system.id))
                    .map(|system| {
                        Slot::Module(Element {
                            id: system.id.clone(),
                            version: system.version.clone(),
                            optional: system.optional.unwrap_or(false),
                            exec_env: None,
                            kind: ModuleKind::Buildpack,
                        })
                    })
                    .collect()
            };
            let (before, after) = (missing(pre), missing(post));
            if !before.is_empty() {
                tracing::debug!("Prepending {} system buildpack(s) to group", before.len());
            }
            if !after.is_empty() {
                tracing::debug!("Appending {} system buildpack(s) to group", after.len());
            }
            before.into_iter().chain(group).chain(after).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use cnb_files::system::SystemBuildpacks;
    use pretty_assertions::assert_eq;

    use super::*;

    fn element(id: &str) -> Element {
        Element {
            id: id.into(),
            version: "1".into(),
            optional: false,
            exec_env: None,
            kind: ModuleKind::Buildpack,
        }
    }

    fn ids(order: &[Group]) -> Vec<Vec<String>> {
        order
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|slot| match slot {
                        Slot::Module(element) => element.id.clone(),
                        Slot::Extensions(groups) => format!("<{} extension groups>", groups.len()),
                    })
                    .collect()
            })
            .collect()
    }

    fn system(id: &str, optional: Option<bool>) -> SystemBuildpack {
        SystemBuildpack {
            id: id.into(),
            version: "9".into(),
            optional,
        }
    }

    #[test]
    fn system_buildpacks_wrap_every_group_unless_already_there() {
        let system = System {
            pre: Some(SystemBuildpacks {
                buildpacks: vec![system("pre", None), system("b", None)],
            }),
            post: Some(SystemBuildpacks {
                buildpacks: vec![system("post", Some(true))],
            }),
        };
        let order = vec![
            vec![Slot::Module(element("a"))],
            vec![Slot::Module(element("b"))],
        ];
        let merged = with_system(order, &system);
        assert_eq!(
            ids(&merged),
            [vec!["pre", "b", "a", "post"], vec!["pre", "b", "post"]]
        );
        assert_eq!(
            modules(&merged[1]).nth(1).unwrap().version,
            "1",
            "the group's own b stays"
        );
        let elements: Vec<&Element> = modules(&merged[0]).collect();
        assert!(elements[3].optional);
        assert!(!elements[0].optional);
    }

    #[test]
    fn extension_groups_go_in_front_of_every_group_as_optional_extensions() {
        use cnb_files::order::OrderElement;
        let order = vec![
            vec![Slot::Module(element("a"))],
            vec![Slot::Module(element("b"))],
        ];
        assert_eq!(with_extensions(order.clone(), &[]), order);
        let extensions = [OrderGroup {
            group: vec![OrderElement {
                id: "ext".into(),
                version: "1".into(),
                ..OrderElement::default()
            }],
        }];
        let order = with_extensions(order, &extensions);
        assert_eq!(
            ids(&order),
            [
                vec!["<1 extension groups>", "a"],
                vec!["<1 extension groups>", "b"]
            ]
        );
        let Slot::Extensions(groups) = &order[0][0] else {
            panic!("no extension slot");
        };
        let ext = modules(&groups[0]).next().unwrap();
        assert_eq!((ext.kind, ext.optional), (ModuleKind::Extension, true));
    }

    #[test]
    fn exec_env_lists_limit_references() {
        let mut limited = element("a");
        assert!(limited.applies_in("test"));
        limited.exec_env = Some(vec!["production".into()]);
        assert!(!limited.applies_in("test"));
        assert!(limited.applies_in("production"));
        limited.exec_env = Some(vec!["*".into()]);
        assert!(limited.applies_in("test"));
    }
}
