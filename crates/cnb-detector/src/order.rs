//! The order as the detector walks it: groups of buildpack references, with Platform API 0.15
//! system buildpacks merged into every group.

use cnb_files::order::OrderGroup;
use cnb_files::system::{System, SystemBuildpack};

/// A buildpack reference in a group: from `order.toml`, a composite's `[[order]]`, or
/// `system.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) optional: bool,
    /// The execution environments the reference is limited to (`None`: all).
    pub(crate) exec_env: Option<Vec<String>>,
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

/// A group: references tried together, left to right.
pub(crate) type Group = Vec<Element>;

/// The groups of an `[[order]]`.
pub(crate) fn groups_of(order: &[OrderGroup]) -> Vec<Group> {
    order
        .iter()
        .map(|group| {
            group
                .group
                .iter()
                .map(|element| Element {
                    id: element.id.clone(),
                    version: element.version.clone(),
                    optional: element.is_optional(),
                    exec_env: element.exec_env.clone(),
                })
                .collect()
        })
        .collect()
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
            let missing = |list: &[SystemBuildpack]| -> Vec<Element> {
                list.iter()
                    .filter(|system| !group.iter().any(|element| element.id == system.id))
                    .map(|system| Element {
                        id: system.id.clone(),
                        version: system.version.clone(),
                        optional: system.optional.unwrap_or(false),
                        exec_env: None,
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
        }
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
        let merged = with_system(vec![vec![element("a")], vec![element("b")]], &system);
        let ids: Vec<Vec<&str>> = merged
            .iter()
            .map(|group| group.iter().map(|e| e.id.as_str()).collect())
            .collect();
        assert_eq!(
            ids,
            [vec!["pre", "b", "a", "post"], vec!["pre", "b", "post"]]
        );
        assert_eq!(merged[1][1].version, "1", "the group's own b stays");
        assert!(merged[0][3].optional);
        assert!(!merged[0][0].optional);
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
