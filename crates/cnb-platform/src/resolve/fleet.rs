//! The rebaser's fleet inputs (this lifecycle's own): `-images-from`, `-merge-reports`, and
//! the shard: `-shard <index>/<count>` or `CNB_REBASE_SHARD`; else `-shard-count <count>` or
//! `CNB_REBASE_SHARD_COUNT` with the index from `JOB_COMPLETION_INDEX`, which Kubernetes sets in
//! each pod of an Indexed Job. Shard values are checked here, before any work: a bad one is an
//! invalid input (exit 3), whether it came from a flag or a variable.

use std::num::NonZeroU32;
use std::path::PathBuf;

use cnb_api::{Phase, env};

use super::Resolver;
use crate::{Error, RebaseShard};

/// The rebaser's fleet inputs; empty for every other phase.
#[derive(Debug, Default)]
pub(super) struct FleetInputs {
    /// `-images-from`.
    pub(super) images_from: Option<PathBuf>,
    /// `-merge-reports`, absolute.
    pub(super) merge_reports: Vec<PathBuf>,
    /// The share of the `-images-from` list this run takes.
    pub(super) rebase_shard: Option<RebaseShard>,
}

/// Resolves the fleet inputs of `phase`; warnings go to `warnings`.
pub(super) fn fleet_inputs(
    r: &Resolver<'_>,
    phase: Phase,
    warnings: &mut Vec<String>,
) -> Result<FleetInputs, Error> {
    if phase != Phase::Rebaser {
        return Ok(FleetInputs::default());
    }
    let images_from = r.optional_path("images-from");
    let merge_reports = r
        .list("merge-reports", None)
        .iter()
        .map(|path| r.absolute(path))
        .collect();
    let rebase_shard = rebase_shard(r, images_from.is_some(), warnings)?;
    Ok(FleetInputs {
        images_from,
        merge_reports,
        rebase_shard,
    })
}

/// The shard of an `-images-from` run (`list` tells whether there is one), or `None` for the
/// whole list. Adds a warning when `JOB_COMPLETION_INDEX` is set but no count says how to use it.
fn rebase_shard(
    r: &Resolver<'_>,
    list: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<RebaseShard>, Error> {
    let explicit = given(r, "shard", env::REBASE_SHARD);
    let count = given(r, "shard-count", env::REBASE_SHARD_COUNT);
    if (explicit.is_some() || count.is_some()) && !list {
        return Err(Error::ShardWithoutList);
    }
    let count = count
        .map(|(name, value)| {
            number(&value)
                .and_then(NonZeroU32::new)
                .ok_or(Error::InvalidShardCount { name, value })
        })
        .transpose()?;
    if let Some((name, value)) = explicit {
        let shard = parse_shard(&value).map_err(|reason| Error::InvalidShard {
            name,
            value: value.clone(),
            reason,
        })?;
        if let Some(count) = count.filter(|count| *count != shard.count) {
            return Err(Error::ShardCountsDisagree {
                shard: shard.to_string(),
                count: count.get(),
            });
        }
        return Ok(Some(shard));
    }
    let index = r.env.non_empty(env::JOB_COMPLETION_INDEX);
    match (count, index) {
        (None, None) => Ok(None),
        (None, Some(_)) => {
            if list {
                warnings.push(format!(
                    "{} is set but no shard count is given (-shard-count or {}): this run rebases the whole list",
                    env::JOB_COMPLETION_INDEX,
                    env::REBASE_SHARD_COUNT
                ));
            }
            Ok(None)
        }
        (Some(count), None) => Err(Error::ShardIndexMissing { count: count.get() }),
        (Some(count), Some(value)) => match number(&value).filter(|index| *index < count.get()) {
            Some(index) => Ok(Some(RebaseShard { index, count })),
            None => Err(Error::InvalidCompletionIndex {
                value,
                count: count.get(),
            }),
        },
    }
}

/// The flag's value (`-name`) when given and not empty, else the variable's when set and not
/// empty, with the name to quote in an error.
fn given(r: &Resolver<'_>, flag: &str, variable: &str) -> Option<(String, String)> {
    match r.flags.last(flag) {
        Some("") => None,
        Some(value) => Some((format!("-{flag}"), value.to_owned())),
        None => r
            .env
            .non_empty(variable)
            .map(|value| (variable.to_owned(), value)),
    }
}

/// `<index>/<count>`, both decimal, the index below the count.
fn parse_shard(text: &str) -> Result<RebaseShard, &'static str> {
    const SHAPE: &str = "expected <index>/<count>, such as 0/4";
    let (index, count) = text.trim().split_once('/').ok_or(SHAPE)?;
    let (index, count) = (number(index).ok_or(SHAPE)?, number(count).ok_or(SHAPE)?);
    let count = NonZeroU32::new(count).ok_or("the count must be at least 1")?;
    if index >= count.get() {
        return Err("the index must be below the count (shards are numbered from 0)");
    }
    Ok(RebaseShard { index, count })
}

/// A whole decimal number: digits only (no sign, no base prefix), at most `u32::MAX`.
fn number(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use cnb_api::ExitKind;

    use super::super::tests::resolve_in;
    use super::*;

    fn shard_of(args: &[&str], env: &[(&str, &str)]) -> Result<Option<String>, String> {
        let cwd = Path::new("/w");
        let mut all = vec!["-images-from=/list"];
        all.extend(args);
        resolve_in(Phase::Rebaser, 15, &all, env, cwd)
            .map(|inputs| inputs.rebase_shard.map(|shard| shard.to_string()))
            .map_err(|error| {
                assert_eq!(error.kind(), ExitKind::InvalidArgs, "{error}");
                assert_eq!(error.action(), Some("resolve inputs"), "{error}");
                error.to_string()
            })
    }

    #[test]
    fn the_shard_comes_from_the_flag_the_variable_or_the_job_index() {
        assert_eq!(shard_of(&[], &[]), Ok(None));
        assert_eq!(shard_of(&["-shard=1/4"], &[]), Ok(Some("1/4".into())));
        let env = [("CNB_REBASE_SHARD", "3/4")];
        assert_eq!(shard_of(&[], &env), Ok(Some("3/4".into())));
        assert_eq!(shard_of(&["-shard=0/4"], &env), Ok(Some("0/4".into())));
        assert_eq!(shard_of(&["-shard="], &env), Ok(None), "empty is unset");
        let job = [
            ("JOB_COMPLETION_INDEX", "2"),
            ("CNB_REBASE_SHARD_COUNT", "4"),
        ];
        assert_eq!(shard_of(&[], &job), Ok(Some("2/4".into())));
        assert_eq!(
            shard_of(&["-shard-count=3"], &job),
            Ok(Some("2/3".into())),
            "the flag wins over the variable"
        );
        assert_eq!(
            shard_of(&["-shard=1/4"], &job),
            Ok(Some("1/4".into())),
            "an explicit shard wins over the job index"
        );
        let inputs = resolve_in(
            Phase::Rebaser,
            15,
            &["-images-from=/list"],
            &[("JOB_COMPLETION_INDEX", "2")],
            Path::new("/w"),
        )
        .unwrap();
        assert_eq!(inputs.rebase_shard, None);
        assert!(
            inputs.warnings[0].starts_with("JOB_COMPLETION_INDEX is set but no shard count"),
            "{:?}",
            inputs.warnings
        );
    }

    #[test]
    fn bad_shards_are_invalid_inputs_that_name_the_flag_or_variable() {
        assert_eq!(
            shard_of(&["-shard=4/4"], &[]),
            Err(r#"-shard "4/4" is not a shard: the index must be below the count (shards are numbered from 0)"#.into())
        );
        assert_eq!(
            shard_of(&[], &[("CNB_REBASE_SHARD", "0/0")]),
            Err(r#"CNB_REBASE_SHARD "0/0" is not a shard: the count must be at least 1"#.into())
        );
        assert_eq!(
            shard_of(&["-shard=two"], &[]),
            Err(r#"-shard "two" is not a shard: expected <index>/<count>, such as 0/4"#.into())
        );
        for count in ["0", "-1", "x", "4.0"] {
            let error = shard_of(&[], &[("CNB_REBASE_SHARD_COUNT", count)]).unwrap_err();
            assert_eq!(
                error,
                format!(
                    "CNB_REBASE_SHARD_COUNT {count:?} is not a shard count: expected a whole number of at least 1"
                )
            );
        }
        assert_eq!(
            shard_of(&["-shard-count=4"], &[]),
            Err("a shard count of 4 needs the shard's index: give -shard <index>/4, or run in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)".into())
        );
        for index in ["4", "-1", "one", "1/4"] {
            let env = [("JOB_COMPLETION_INDEX", index)];
            assert_eq!(
                shard_of(&["-shard-count=4"], &env),
                Err(format!(
                    "JOB_COMPLETION_INDEX {index:?} is not a shard index below the shard count 4"
                ))
            );
        }
        assert_eq!(
            shard_of(&["-shard=1/4", "-shard-count=3"], &[]),
            Err("-shard 1/4 and the shard count 3 disagree".into())
        );
        let error = resolve_in(
            Phase::Rebaser,
            15,
            &["-shard=0/2", "r/app"],
            &[],
            Path::new("/w"),
        );
        assert_eq!(error, Err(Error::ShardWithoutList));
        let env = [("CNB_REBASE_SHARD_COUNT", "2")];
        let error = resolve_in(Phase::Rebaser, 15, &["r/app"], &env, Path::new("/w"));
        assert_eq!(error, Err(Error::ShardWithoutList));
        let inputs = resolve_in(Phase::Exporter, 15, &["r/app"], &env, Path::new("/w")).unwrap();
        assert_eq!(inputs.rebase_shard, None, "other phases never read it");
    }

    #[test]
    fn merge_reports_needs_no_image_argument() {
        let cwd = Path::new("/w");
        let args = ["-merge-reports=reports", "-merge-reports=/x/one.jsonl"];
        let inputs = resolve_in(Phase::Rebaser, 15, &args, &[], cwd).unwrap();
        assert_eq!(
            inputs.merge_reports,
            [Path::new("/w/reports"), Path::new("/x/one.jsonl")]
        );
        assert_eq!(inputs.output_image, None);
    }

    #[test]
    fn a_shard_is_an_index_below_its_count() {
        let shard = parse_shard("2/4").unwrap();
        assert_eq!((shard.index, shard.count.get()), (2, 4));
        assert_eq!(shard.to_string(), "2/4");
        assert_eq!(parse_shard(" 0/1 ").unwrap().to_string(), "0/1");
        for bad in [
            "", "4", "/4", "2/", "a/4", "2/b", "-1/4", "+1/4", "1/4/5", "0x1/4", "1.0/4",
        ] {
            assert_eq!(
                parse_shard(bad).unwrap_err(),
                "expected <index>/<count>, such as 0/4",
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_shard("0/0").unwrap_err(),
            "the count must be at least 1"
        );
        for bad in ["4/4", "5/4", "4294967295/1"] {
            assert!(
                parse_shard(bad)
                    .unwrap_err()
                    .starts_with("the index must be below")
            );
        }
        assert!(parse_shard("0/4294967296").is_err(), "beyond u32");
    }
}
