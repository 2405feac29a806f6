//! The Buildpack Plan each buildpack gets (buildpack.md › Phase #5: Build; Go `Plan.Find` and
//! `Plan.Filter`): the requirements of every plan entry it provides, and afterwards the plan
//! without the entries it met, so that later buildpacks only see what was left unmet.

use cnb_files::build::Unmet;
use cnb_files::buildpack_plan::BuildpackPlan;
use cnb_files::plan::Plan;

use crate::Error;

/// The requirements of every entry `id` provides as a buildpack (not as an extension), in plan
/// order. Providers match by ID alone, as in Go.
pub(crate) fn plan_for(plan: &Plan, id: &str) -> BuildpackPlan {
    let entries = plan
        .entries
        .iter()
        .filter(|entry| {
            entry
                .providers
                .iter()
                .any(|provider| provider.id == id && !provider.is_extension())
        })
        .flat_map(|entry| entry.requires.iter().cloned())
        .collect();
    BuildpackPlan { entries }
}

/// The names in `bp_plan` the buildpack met: all but those in its `[[unmet]]`, each of which
/// must name an entry of its plan.
pub(crate) fn met_names(
    buildpack: &str,
    bp_plan: &BuildpackPlan,
    unmet: &[Unmet],
) -> Result<Vec<String>, Error> {
    for entry in unmet {
        if entry.name.is_empty() {
            return Err(Error::UnmetWithoutName {
                buildpack: buildpack.to_owned(),
            });
        }
        if !bp_plan.entries.iter().any(|req| req.name == entry.name) {
            return Err(Error::UnmetNotInPlan {
                buildpack: buildpack.to_owned(),
                name: entry.name.clone(),
            });
        }
    }
    Ok(bp_plan
        .entries
        .iter()
        .filter(|req| !unmet.iter().any(|entry| entry.name == req.name))
        .map(|req| req.name.clone())
        .collect())
}

/// `plan` without the entries that require any of the `met` names.
pub(crate) fn without_met(plan: Plan, met: &[String]) -> Plan {
    let entries = plan
        .entries
        .into_iter()
        .filter(|entry| !entry.requires.iter().any(|req| met.contains(&req.name)))
        .collect();
    Plan { entries }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use cnb_files::TomlFile;
    use pretty_assertions::assert_eq;

    use super::*;

    const PLAN: &str = r#"
[[entries]]
providers = [{ id = "A", version = "1" }, { id = "B", version = "1" }]
requires = [{ name = "dep1", metadata = { v = "a" } }, { name = "dep1", metadata = { v = "b" } }]
[[entries]]
providers = [{ id = "B", version = "1" }]
requires = [{ name = "dep2" }]
[[entries]]
providers = [{ id = "A", version = "1", extension = true }]
requires = [{ name = "ext-dep" }]
"#;

    fn names(plan: &BuildpackPlan) -> Vec<&str> {
        plan.entries.iter().map(|req| req.name.as_str()).collect()
    }

    #[test]
    fn each_buildpack_gets_the_requirements_it_provides() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        assert_eq!(names(&plan_for(&plan, "A")), ["dep1", "dep1"]);
        assert_eq!(names(&plan_for(&plan, "B")), ["dep1", "dep1", "dep2"]);
        assert!(plan_for(&plan, "C").entries.is_empty());
    }

    #[test]
    fn met_entries_are_removed_for_later_buildpacks() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        let a_plan = plan_for(&plan, "A");
        let met = met_names("A@1", &a_plan, &[]).unwrap();
        let after_a = without_met(plan.clone(), &met);
        assert_eq!(names(&plan_for(&after_a, "B")), ["dep2"]);

        let unmet = [Unmet {
            name: "dep1".into(),
        }];
        let met = met_names("A@1", &a_plan, &unmet).unwrap();
        assert!(met.is_empty());
        let after_a = without_met(plan, &met);
        assert_eq!(names(&plan_for(&after_a, "B")), ["dep1", "dep1", "dep2"]);
    }

    #[test]
    fn unmet_names_must_be_in_the_buildpacks_plan() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        let a_plan = plan_for(&plan, "A");
        let err = met_names(
            "A@1",
            &a_plan,
            &[Unmet {
                name: "dep2".into(),
            }],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "reading the output of A@1: unmet.name 'dep2' must match a requested dependency"
        );
        let err = met_names("A@1", &a_plan, &[Unmet::default()]).unwrap_err();
        assert!(matches!(err, Error::UnmetWithoutName { .. }), "{err}");
    }
}
