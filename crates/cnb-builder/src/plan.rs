//! Which plan entries a buildpack met (buildpack.md › Phase #5: Build): all of its Buildpack
//! Plan but those in its `[[unmet]]`; `Plan::without_met` then removes them for later
//! buildpacks.

use cnb_files::build::Unmet;
use cnb_files::buildpack_plan::BuildpackPlan;

use crate::Error;

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use cnb_files::TomlFile;
    use cnb_files::plan::Plan;
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
    fn met_entries_are_removed_for_later_buildpacks() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        let a_plan = plan.for_module("A", false);
        let met = met_names("A@1", &a_plan, &[]).unwrap();
        let after_a = plan.clone().without_met(&met);
        assert_eq!(names(&after_a.for_module("B", false)), ["dep2"]);

        let unmet = [Unmet {
            name: "dep1".into(),
        }];
        let met = met_names("A@1", &a_plan, &unmet).unwrap();
        assert!(met.is_empty());
        let after_a = plan.without_met(&met);
        assert_eq!(
            names(&after_a.for_module("B", false)),
            ["dep1", "dep1", "dep2"]
        );
    }

    #[test]
    fn unmet_names_must_be_in_the_buildpacks_plan() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        let a_plan = plan.for_module("A", false);
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
