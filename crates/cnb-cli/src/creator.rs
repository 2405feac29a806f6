//! The creator: analyze → detect → restore → build → export in one process (platform.md ›
//! creator; Go's order, spec-matrix.md §2). Credentials are resolved and the stores opened
//! first; then volumes go to the build user and privileges drop, so that detect and build
//! never run as root. `-skip-restore` skips the restore (Platform API 0.10 and later keep
//! restoring `store.toml`, as Go does, through the restorer's skip-layers mode).

use std::ffi::OsString;
use std::path::Path;

use cnb_api::ExitKind;
use cnb_files::TomlFile;
use cnb_files::group::Group;
use cnb_platform::Inputs;

use crate::analyze::{self, AnalyzeTargets};
use crate::export::{self, ExportTargets};
use crate::restore::{self, RestoreTargets};
use crate::stores::Stores;
use crate::{Failure, phases, privileges};

/// Runs the creator: every phase through the same wiring as its own command, with one set
/// of stores and one privilege drop.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let analyze_targets = AnalyzeTargets::resolve(inputs)?;
    let restore_targets = RestoreTargets::resolve(inputs)?;
    let export_targets = ExportTargets::resolve(inputs)?;
    let mut images = analyze_targets.images();
    images.extend(restore_targets.images());
    let stores = Stores::connect(inputs, &images, ExitKind::AnalyzeError)?;
    privileges::prepare(inputs)?;
    let inputs = &with_user_environment(inputs, Path::new(PASSWD));

    tracing::info!("===> ANALYZING");
    let analyzed = analyze::analyze(inputs, &analyze_targets, &stores)?;

    tracing::info!("===> DETECTING");
    phases::detect(inputs)?;
    let group = Group::read(&inputs.group_path)
        .map_err(|error| Failure::new(ExitKind::Failed, Some("read group"), &error))?;
    if !group.group_extensions.is_empty() {
        return Err(Failure::message(
            ExitKind::DetectError,
            "failed to detect: detected order contains extensions which is not supported by the creator",
        ));
    }

    if !inputs.skip_layers || inputs.platform_api.restores_store_when_skipping() {
        tracing::info!("===> RESTORING");
        restore::restore(inputs, &restore_targets, &stores)?;
    }

    tracing::info!("===> BUILDING");
    phases::build(inputs)?;

    tracing::info!("===> EXPORTING");
    export::export(inputs, &export_targets, &analyzed, &stores)
}

/// Where users are looked up.
const PASSWD: &str = "/etc/passwd";

/// The inputs with `HOME` and `USER` of the user the creator now runs as, from `passwd`, as
/// Go sets them for the buildpacks (`USER` is the passwd entry's name field, as Go's
/// `user.Name`). An unknown user keeps the environment as it is (Go fails instead).
fn with_user_environment(inputs: &Inputs, passwd: &Path) -> Inputs {
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
        inputs.environ = vec![("HOME".into(), "/root".into()), ("A".into(), "b".into())];
        let env = with_user_environment(&inputs, &passwd).environ;
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
