//! Which phases hand volumes to the build user and drop root, and which refuse root outright
//! (spec-matrix.md §0; Go `cmd/lifecycle/*.go` `Privileges`). Registry credentials are to be
//! resolved before [`prepare`] drops privileges.

use std::ffi::OsString;
use std::path::Path;

use cnb_api::{ExitKind, Phase};
use cnb_platform::Inputs;

use crate::Failure;

/// Prepares the process for running `inputs.phase`.
pub(crate) fn prepare(inputs: &Inputs) -> Result<(), Failure> {
    let volumes: Vec<&Path> = match inputs.phase {
        Phase::Detector | Phase::Builder => return refuse_root(inputs.phase),
        Phase::Extender => return Ok(()),
        Phase::Rebaser => Vec::new(),
        Phase::Analyzer => [
            Some(inputs.layers_dir.as_path()),
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Restorer => [
            Some(inputs.layers_dir.as_path()),
            inputs.cache_dir.as_deref(),
            Some(inputs.kaniko_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Exporter => [
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Phase::Creator => [
            inputs.cache_dir.as_deref(),
            inputs.launch_cache_dir.as_deref(),
            Some(inputs.layers_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    drop_to(inputs, &volumes)
}

/// Gives `volumes` to `-uid`:`-gid` and drops privileges to them.
fn drop_to(inputs: &Inputs, volumes: &[&Path]) -> Result<(), Failure> {
    let (uid, gid) = (inputs.uid, inputs.gid);
    if cnb_sys::is_root() {
        cnb_sys::ensure_owner(uid, gid, volumes)
            .map_err(|error| Failure::new(ExitKind::Failed, Some("chown volumes"), &error))?;
    }
    cnb_sys::run_as(uid, gid).map_err(|error| {
        Failure::new(
            ExitKind::Failed,
            Some(&format!("exec as user {uid}:{gid}")),
            &error,
        )
    })?;
    tracing::debug!("Running as user {uid}:{gid}");
    Ok(())
}

/// The extender's hand-over to the build (Go's extender): `<layers>` to the build user,
/// privileges dropped to it, and root refused as the builder refuses it.
pub(crate) fn drop_for_build(inputs: &Inputs) -> Result<(), Failure> {
    drop_to(inputs, &[inputs.layers_dir.as_path()])?;
    refuse_root(Phase::Builder)
}

/// Where users are looked up.
pub(crate) const PASSWD: &str = "/etc/passwd";

/// The inputs with `HOME` and `USER` of the user the process now runs as (the creator's and
/// the extender's build), from `passwd`, as
/// Go sets them for the buildpacks (`USER` is the passwd entry's name field, as Go's
/// `user.Name`). An unknown user keeps the environment as it is (Go fails instead).
pub(crate) fn with_user_environment(inputs: &Inputs, passwd: &Path) -> Inputs {
    let mut inputs = inputs.clone();
    let Ok(text) = std::fs::read_to_string(passwd) else {
        return inputs;
    };
    let uid = inputs.uid.to_string();
    let Some(fields) = text
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() >= 6 && fields[2] == uid)
    else {
        tracing::debug!("No passwd entry for user {uid}");
        return inputs;
    };
    let name = fields[4].split(',').next().unwrap_or_default();
    for (key, value) in [("HOME", fields[5]), ("USER", name)] {
        inputs.environ.retain(|(existing, _)| existing != key);
        inputs
            .environ
            .push((OsString::from(key), OsString::from(value)));
    }
    inputs
}

fn refuse_root(phase: Phase) -> Result<(), Failure> {
    if cnb_sys::is_root() {
        return Err(Failure::message(
            ExitKind::Failed,
            format!("failed to {}: refusing to run as root", phase.verb()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_user_come_from_the_passwd_entry_of_the_uid() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:CNB User,,,:/home/cnb:/bin/sh\n",
        )
        .unwrap();
        let api = cnb_api::check_platform_api(Some("0.15")).unwrap();
        let env: &[(&str, &str)] = &[];
        let mut flags = cnb_platform::FlagValues::default();
        flags.set_positionals(vec!["registry.test/app".into()]);
        let mut inputs =
            cnb_platform::resolve(cnb_api::Phase::Creator, api, &flags, &env, Path::new("/"))
                .unwrap();
        inputs.uid = 1000;
        inputs.environ = cnb_platform::Environ(vec![
            ("HOME".into(), "/root".into()),
            ("A".into(), "b".into()),
        ]);
        let env = with_user_environment(&inputs, &passwd).environ.0;
        assert!(
            env.contains(&("HOME".into(), "/home/cnb".into())),
            "{env:?}"
        );
        assert!(env.contains(&("USER".into(), "CNB User".into())), "{env:?}");
        assert!(env.contains(&("A".into(), "b".into())));
        assert_eq!(env.iter().filter(|(key, _)| key == "HOME").count(), 1);
        inputs.uid = 4242;
        assert_eq!(
            with_user_environment(&inputs, &passwd).environ,
            inputs.environ
        );
    }
}
