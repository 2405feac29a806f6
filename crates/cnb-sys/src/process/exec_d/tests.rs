use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(name, value)| (OsString::from(name), OsString::from(value)))
        .collect()
}

#[test]
fn returns_what_the_executable_writes_to_fd_3_with_exactly_the_given_env_and_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "helper",
        r#"echo "to stdout"; printf 'CWD = "%s"\nSEEN = "%s"\nHOME_SET = "%s"\n' "$(pwd)" "$GIVEN" "${HOME:-unset}" >&3"#,
    );
    let output = run_exec_d(
        &path,
        &env(&[("GIVEN", "yes"), ("PATH", "/usr/bin:/bin")]),
        cwd.path(),
    )
    .unwrap();
    let text = String::from_utf8(output).unwrap();
    let cwd = fs::canonicalize(cwd.path()).unwrap();
    assert_eq!(
        text,
        format!(
            "CWD = \"{}\"\nSEEN = \"yes\"\nHOME_SET = \"unset\"\n",
            cwd.display()
        )
    );
}

#[test]
fn an_executable_that_writes_nothing_gives_empty_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "quiet", "exit 0");
    assert!(run_exec_d(&path, &[], dir.path()).unwrap().is_empty());
}

#[test]
fn a_failing_executable_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "broken", "echo 'A = \"1\"' >&3; exit 3");
    let err = run_exec_d(&path, &[], dir.path()).unwrap_err();
    assert!(matches!(err, Error::Failed { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{} ended with exit status: 3", path.display())
    );
}

#[test]
fn a_missing_or_non_executable_file_cannot_be_started() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    fs::write(&plain, "A = \"1\"").unwrap();
    for path in [plain, dir.path().join("missing")] {
        let err = run_exec_d(&path, &[], dir.path()).unwrap_err();
        assert!(matches!(err, Error::Spawn { .. }), "{err:?}");
    }
}

#[test]
fn the_executable_starts_with_no_signal_ignored_or_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "signals",
        r#"while read -r name value; do case $name in SigIgn:|SigBlk:) printf '%s = "%s"\n' "${name%:}" "$value" >&3;; esac; done < /proc/self/status"#,
    );
    let output = run_exec_d(&path, &[], dir.path()).unwrap();
    let text = String::from_utf8(output).unwrap();
    let mask = |name: &str| {
        let line = text.lines().find(|line| line.starts_with(name)).unwrap();
        u64::from_str_radix(line.split('"').nth(1).unwrap(), 16).unwrap()
    };
    assert_eq!(mask("SigBlk"), 0, "{text}");
    let sigpipe = 1 << (13 - 1);
    assert_eq!(
        mask("SigIgn") & sigpipe,
        0,
        "SIGPIPE is not ignored: {text}"
    );
}
