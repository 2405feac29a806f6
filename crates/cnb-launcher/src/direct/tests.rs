use std::fs;

use pretty_assertions::assert_eq;

use super::*;

fn executable_at(path: &Path, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, "#!/bin/sh\n").unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn finds_the_first_executable_match_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    executable_at(&one.join("tool"), 0o644);
    fs::create_dir_all(one.join("dir-tool")).unwrap();
    executable_at(&two.join("tool"), 0o755);
    executable_at(&two.join("dir-tool"), 0o755);
    let path = std::env::join_paths([&one, &two]).unwrap();
    assert_eq!(
        look_path(OsStr::new("tool"), Some(&path), dir.path()),
        Ok(two.join("tool"))
    );
    assert_eq!(
        look_path(OsStr::new("dir-tool"), Some(&path), dir.path()),
        Ok(two.join("dir-tool"))
    );
    assert_eq!(
        look_path(OsStr::new("missing"), Some(&path), dir.path()),
        Err("executable file not found in $PATH".to_owned())
    );
    assert_eq!(
        look_path(OsStr::new("tool"), None, dir.path()),
        Err("executable file not found in $PATH".to_owned())
    );
}

#[test]
fn refuses_a_match_in_a_relative_or_empty_path_entry_as_go_does() {
    let dir = tempfile::tempdir().unwrap();
    executable_at(&dir.path().join("tool"), 0o755);
    executable_at(&dir.path().join("rel/other"), 0o755);
    let refused = Err("cannot run executable found relative to current directory".to_owned());
    assert_eq!(
        look_path(
            OsStr::new("tool"),
            Some(OsStr::new(":/nowhere")),
            dir.path()
        ),
        refused
    );
    assert_eq!(
        look_path(OsStr::new("other"), Some(OsStr::new("rel")), dir.path()),
        refused
    );
}

#[test]
fn a_name_with_a_slash_is_checked_where_it_will_run_and_kept_as_given() {
    let dir = tempfile::tempdir().unwrap();
    executable_at(&dir.path().join("bin/start"), 0o755);
    executable_at(&dir.path().join("bin/data"), 0o644);
    assert_eq!(
        look_path(OsStr::new("bin/start"), None, dir.path()),
        Ok(PathBuf::from("bin/start"))
    );
    let absolute = dir.path().join("bin/start");
    assert_eq!(
        look_path(absolute.as_os_str(), None, Path::new("/")),
        Ok(absolute)
    );
    let err = look_path(OsStr::new("bin/data"), None, dir.path()).unwrap_err();
    assert!(err.ends_with("permission denied"), "{err}");
    let err = look_path(OsStr::new("./missing"), None, dir.path()).unwrap_err();
    assert!(err.starts_with("stat "), "{err}");
}

#[test]
fn the_program_runs_the_command_entries_and_args_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    executable_at(&dir.path().join("bin/app"), 0o755);
    let process = LaunchProcess {
        r#type: "web".into(),
        command: vec!["app".into(), "always".into()],
        args: vec!["x".into()],
        direct: true,
        ..LaunchProcess::default()
    };
    let env = vec![("PATH".into(), dir.path().join("bin").into_os_string())];
    let program = super::program(&process, env.clone(), dir.path().to_owned()).unwrap();
    assert_eq!(program.path, dir.path().join("bin/app"));
    assert_eq!(program.argv, ["app", "always", "x"]);
    assert_eq!((program.env, program.cwd), (env, dir.path().to_owned()));

    let empty = LaunchProcess {
        r#type: "web".into(),
        ..LaunchProcess::default()
    };
    let err = super::program(&empty, Vec::new(), PathBuf::from("/")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no command provided for process type \"web\""
    );
    let unknown = LaunchProcess {
        command: vec!["nope".into()],
        ..LaunchProcess::default()
    };
    let err = super::program(&unknown, Vec::new(), PathBuf::from("/")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "path lookup: exec: \"nope\": executable file not found in $PATH"
    );
}
