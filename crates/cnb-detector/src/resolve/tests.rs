//! Ported from the Go lifecycle's resolver cases (`phase/detector_test.go`), rewritten.

use cnb_buildpack::{DetectCode, DetectRun};
use cnb_files::build_plan::{BuildPlan, PlanSections, Provide, Require};
use cnb_files::group::GroupElement;
use pretty_assertions::assert_eq;

use super::*;

fn sections(provides: &[&str], requires: &[&str]) -> PlanSections {
    PlanSections {
        provides: provides
            .iter()
            .map(|name| Provide {
                name: (*name).into(),
            })
            .collect(),
        requires: requires
            .iter()
            .map(|name| Require {
                name: (*name).into(),
                ..Require::default()
            })
            .collect(),
    }
}

fn pass(top: PlanSections, or: Vec<PlanSections>) -> DetectRun {
    DetectRun {
        code: DetectCode::Pass,
        output: Vec::new(),
        plan: BuildPlan {
            provides: top.provides,
            requires: top.requires,
            or,
        },
        error: None,
    }
}

fn exited(code: DetectCode, output: &str) -> DetectRun {
    DetectRun {
        code,
        output: output.as_bytes().to_vec(),
        plan: BuildPlan::default(),
        error: None,
    }
}

fn element(id: &str) -> GroupElement {
    GroupElement {
        id: id.into(),
        version: "v1".into(),
        api: Some("0.10".into()),
        homepage: None,
    }
}

fn participants<'a>(items: &[(&str, bool, &'a DetectRun)]) -> Vec<Participant<'a>> {
    items
        .iter()
        .map(|(id, optional, run)| Participant {
            element: element(id),
            optional: *optional,
            extension: id.starts_with("ext"),
            run,
        })
        .collect()
}

fn log_text(log: &Log) -> String {
    log.lines().fold(String::new(), |mut text, (_, line)| {
        text.push_str(line);
        text.push('\n');
        text
    })
}

fn ids(verdict: &Verdict) -> Vec<&str> {
    match verdict {
        Verdict::Pass { group, .. } => group.iter().map(|e| e.id.as_str()).collect(),
        Verdict::Fail { .. } => panic!("the group failed"),
    }
}

fn plan_summary(verdict: &Verdict) -> Vec<(Vec<&str>, Vec<&str>)> {
    let Verdict::Pass { plan, .. } = verdict else {
        panic!("the group failed")
    };
    plan.iter()
        .map(|entry| {
            (
                entry.providers.iter().map(|p| p.id.as_str()).collect(),
                entry.requires.iter().map(|r| r.name.as_str()).collect(),
            )
        })
        .collect()
}

#[test]
fn matched_dependencies_make_one_entry_per_name_in_order_of_mention() {
    let a = pass(sections(&["dep1", "dep2"], &["dep2"]), vec![]);
    let c = pass(sections(&["dep1", "dep2"], &[]), vec![]);
    let d = pass(sections(&["dep2"], &["dep1", "dep2"]), vec![]);
    let b = pass(sections(&[], &["dep1", "dep2"]), vec![]);
    let group = participants(&[
        ("A", false, &a),
        ("C", false, &c),
        ("D", false, &d),
        ("B", false, &b),
    ]);
    let mut log = Log::default();
    let verdict = resolve(&group, &mut log);
    assert_eq!(ids(&verdict), ["A", "C", "D", "B"]);
    assert_eq!(
        plan_summary(&verdict),
        [
            (vec!["A", "C"], vec!["dep1", "dep1"]),
            (vec!["A", "C", "D"], vec!["dep2", "dep2", "dep2"]),
        ]
    );
    assert!(
        log_text(&log).ends_with(
            "======== Results ========\npass: A@v1\npass: C@v1\npass: D@v1\npass: B@v1\n\
             Resolving plan... (try #1)\nA v1\nC v1\nD v1\nB v1\n"
        ),
        "{}",
        log_text(&log)
    );
}

#[test]
fn a_require_before_any_provide_fails_the_group() {
    let a = pass(sections(&[], &[]), vec![]);
    let b = pass(sections(&[], &["dep1"]), vec![]);
    let c = pass(sections(&["dep1"], &[]), vec![]);
    let group = participants(&[("A", true, &a), ("B", false, &b), ("C", false, &c)]);
    let mut log = Log::default();
    assert_eq!(resolve(&group, &mut log), Verdict::Fail { errored: false });
    assert!(
        log_text(&log).contains("fail: B@v1 requires dep1\n"),
        "{}",
        log_text(&log)
    );
}

#[test]
fn a_provide_without_a_later_require_fails_the_group() {
    let a = pass(sections(&["dep1"], &[]), vec![]);
    let b = pass(sections(&[], &[]), vec![]);
    let group = participants(&[("A", false, &a), ("B", false, &b)]);
    let mut log = Log::default();
    assert_eq!(resolve(&group, &mut log), Verdict::Fail { errored: false });
    assert!(log_text(&log).contains("fail: A@v1 provides unused dep1\n"));
}

#[test]
fn optional_misfits_are_dropped() {
    let a = pass(sections(&[], &["dep-missing"]), vec![]);
    let b = pass(sections(&["dep-present"], &["dep-present"]), vec![]);
    let c = pass(sections(&["dep-missing"], &[]), vec![]);
    let group = participants(&[("A", true, &a), ("B", false, &b), ("C", true, &c)]);
    let mut log = Log::default();
    let verdict = resolve(&group, &mut log);
    assert_eq!(ids(&verdict), ["B"]);
    assert_eq!(plan_summary(&verdict), [(vec!["B"], vec!["dep-present"])]);
    assert!(
        log_text(&log).ends_with(
            "Resolving plan... (try #1)\nskip: A@v1 requires dep-missing\n\
             skip: C@v1 provides unused dep-missing\n1 of 3 buildpacks participating\nB v1\n"
        ),
        "{}",
        log_text(&log)
    );
}

#[test]
fn or_alternatives_are_tried_depth_first_and_the_first_valid_trial_wins() {
    let a = pass(
        sections(&["dep2-missing"], &[]),
        vec![sections(&["dep1-present"], &[])],
    );
    let b = pass(
        sections(&[], &["dep3-missing"]),
        vec![sections(&[], &["dep1-present"])],
    );
    let c = pass(
        sections(&["dep5-missing"], &["dep4-missing"]),
        vec![sections(&["dep6-present"], &["dep6-present"])],
    );
    let d = pass(
        sections(&["dep8-missing"], &["dep7-missing"]),
        vec![sections(&["dep10-missing"], &["dep9-missing"])],
    );
    let group = participants(&[
        ("A", true, &a),
        ("B", true, &b),
        ("C", false, &c),
        ("D", true, &d),
    ]);
    let mut log = Log::default();
    let verdict = resolve(&group, &mut log);
    assert_eq!(ids(&verdict), ["A", "B", "C"]);
    assert_eq!(
        plan_summary(&verdict),
        [
            (vec!["A"], vec!["dep1-present"]),
            (vec!["C"], vec!["dep6-present"])
        ]
    );
    assert!(
        log_text(&log).ends_with(
            "Resolving plan... (try #16)\nskip: D@v1 requires dep9-missing\n\
             skip: D@v1 provides unused dep10-missing\n3 of 4 buildpacks participating\n\
             A v1\nB v1\nC v1\n"
        ),
        "{}",
        log_text(&log)
    );
}

#[test]
fn failures_and_errors_are_reported_with_outputs_at_the_right_level() {
    let a = pass(sections(&[], &[]), vec![]);
    let b = exited(DetectCode::Error(Some(127)), "boom\n");
    let c = exited(DetectCode::Fail, "not mine\n");
    let group = participants(&[("A", false, &a), ("B", true, &b), ("C", false, &c)]);
    let mut log = Log::default();
    assert_eq!(resolve(&group, &mut log), Verdict::Fail { errored: true });
    let lines: Vec<(Level, &str)> = log.lines().collect();
    assert!(lines.contains(&(Level::Info, "======== Output: B@v1 ========")));
    assert!(lines.contains(&(Level::Info, "boom\n")));
    assert!(lines.contains(&(Level::Debug, "======== Output: C@v1 ========")));
    assert!(lines.contains(&(Level::Debug, "pass: A@v1")));
    assert!(lines.contains(&(Level::Info, "err:  B@v1 (127)")));
    assert!(lines.contains(&(Level::Debug, "fail: C@v1")));
}

#[test]
fn a_group_of_optional_failures_or_no_buildpack_fails() {
    let a = exited(DetectCode::Fail, "");
    let b = exited(DetectCode::Fail, "");
    let group = participants(&[("A", true, &a), ("B", true, &b)]);
    let mut log = Log::default();
    assert_eq!(resolve(&group, &mut log), Verdict::Fail { errored: false });
    assert!(
        log_text(&log).ends_with("skip: A@v1\nskip: B@v1\nfail: no viable buildpacks in group\n")
    );
    let mut log = Log::default();
    assert_eq!(resolve(&[], &mut log), Verdict::Fail { errored: false });
}

#[test]
fn an_empty_plan_passes_with_no_entries() {
    let a = pass(sections(&[], &[]), vec![]);
    let group = participants(&[("A", false, &a)]);
    let verdict = resolve(&group, &mut Log::default());
    assert_eq!(ids(&verdict), ["A"]);
    assert!(plan_summary(&verdict).is_empty());
}

#[test]
fn extensions_join_the_group_apart_and_provide_as_extensions() {
    let ext = pass(sections(&["tool"], &[]), vec![]);
    let unused = pass(sections(&["other"], &[]), vec![]);
    let failing = exited(DetectCode::Fail, "");
    let bp = pass(sections(&[], &["tool"]), vec![]);
    let group = participants(&[
        ("ext-a", true, &ext),
        ("ext-b", true, &unused),
        ("ext-c", true, &failing),
        ("B", false, &bp),
    ]);
    let mut log = Log::default();
    let verdict = resolve(&group, &mut log);
    let Verdict::Pass {
        group: buildpacks,
        extensions,
        plan,
    } = verdict
    else {
        panic!("the group failed: {}", log_text(&log));
    };
    let names = |elements: &[GroupElement]| -> Vec<String> {
        elements.iter().map(|e| e.id.clone()).collect()
    };
    assert_eq!(names(&buildpacks), ["B"]);
    assert_eq!(names(&extensions), ["ext-a"]);
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].providers[0].id, "ext-a");
    assert_eq!(plan[0].providers[0].extension, Some(true));
    let text = log_text(&log);
    for line in [
        "skip: ext-c@v1\n",
        "skip: ext-b@v1 provides unused other\n",
        "2 of 4 buildpacks participating\n",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
}

#[test]
fn extensions_alone_do_not_make_a_group_pass() {
    let ext = pass(sections(&[], &[]), vec![]);
    let failing = exited(DetectCode::Fail, "");
    let group = participants(&[("ext", true, &ext), ("B", true, &failing)]);
    let mut log = Log::default();
    assert_eq!(resolve(&group, &mut log), Verdict::Fail { errored: false });
    assert!(
        log_text(&log).contains("fail: no viable buildpacks in group"),
        "{}",
        log_text(&log)
    );
}
