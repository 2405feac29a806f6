//! The launch environment the launcher builds before the exec: env files in Go's order across
//! buildpacks and layers, `PATH` without the `/cnb` dirs, exec.d with its fd 3 output,
//! profile.d and `<app>/.profile` for shell processes, and the working directory.

use super::fixture::{Fixture, app_lines};

#[test]
fn profile_d_of_the_process_type_runs_before_the_app_profile() {
    let fixture = Fixture::new();
    let out = fixture.run("profile-checker", &[], &[]);
    assert_eq!(
        app_lines(&out),
        [
            "sourced bp profile",
            "sourced bp profile for profile-checker",
            "sourced app profile",
            "from-bp-profile:from-app-profile",
        ],
        "{out}"
    );
    let worker = fixture.run("worker", &[], &[]);
    assert_eq!(
        app_lines(&worker).last(),
        Some(&"worker-process-val"),
        "env.launch/<type> applies to its type: {worker}"
    );
}

#[test]
fn exec_d_runs_generic_then_typed_executables_in_the_app_dir_and_sets_variables_via_fd_3() {
    let fixture = Fixture::new();
    let out = fixture.run("exec.d-checker", &[], &[("VAR_FROM_EXEC_D", "orig-val")]);
    assert_eq!(out.code, Some(0), "{out}");
    let exec_d = fixture.layers().join("acme_runtime/a-runtime/exec.d");
    let app = fixture.app();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            format!("{}/10-generic was executed", exec_d.display()),
            format!("Exec.d Working Dir: {}", app.display()),
            format!("{}/exec.d-checker/10-typed was executed", exec_d.display()),
            format!("Exec.d Working Dir: {}", app.display()),
            "sourced bp profile".to_owned(),
            "sourced app profile".to_owned(),
            "VAR_FROM_EXEC_D: orig-val:val-from-exec.d:val-for-exec.d-checker".to_owned(),
        ],
        "{out}"
    );
}

#[test]
fn a_failing_exec_d_executable_stops_the_launch_with_82_naming_it() {
    let fixture = Fixture::new();
    fixture.write(
        "layers/legacy_shell/some-layer/exec.d/20-broken",
        "#!/bin/sh\nexit 4\n",
        true,
    );
    let out = fixture.run("web", &[], &[]);
    assert_eq!(out.code, Some(82), "{out}");
    assert!(!out.stdout.contains("Executing"), "{out}");
    let path = fixture
        .layers()
        .join("legacy_shell/some-layer/exec.d/20-broken");
    assert_eq!(
        out.stderr.trim(),
        format!(
            "ERROR: failed to launch: exec.d: {} ended with exit status: 4",
            path.display()
        )
    );
    fixture.write(
        "layers/legacy_shell/some-layer/exec.d/20-broken",
        "#!/bin/sh\necho 'NOT TOML' >&3\n",
        true,
    );
    let bad = fixture.run("web", &[], &[]);
    assert_eq!(bad.code, Some(82), "{bad}");
    assert!(bad.stderr.contains("20-broken"), "{bad}");
}

#[test]
fn env_is_ordered_by_buildpack_then_path_dirs_then_env_dirs_and_path_loses_cnb_dirs() {
    let fixture = Fixture::new();
    let out = fixture.run("launcher", &["--", "env"], &[]);
    let env = app_lines(&out);
    assert!(env.contains(&"ORDER=acme-a:acme-b:legacy"), "{out}");
    let layer = |path: &str| fixture.layers().join(path).display().to_string();
    let path = [
        layer("legacy_shell/some-layer/bin"),
        "/from-acme-env".to_owned(),
        layer("acme_runtime/b-tools/bin"),
        layer("acme_runtime/a-runtime/bin"),
        "/usr/local/bin:/usr/bin:/bin".to_owned(),
    ]
    .join(":");
    assert!(env.contains(&format!("PATH={path}").as_str()), "{out}");
    let tool = fixture.run("launcher", &["--", "acme-tool"], &[]);
    assert_eq!(app_lines(&tool), ["acme tool from b-tools"], "{tool}");
}

#[test]
fn a_process_runs_in_its_working_dir_relative_to_the_app() {
    let fixture = Fixture::new();
    let sub = fixture.app().join("sub").display().to_string();
    let direct = fixture.run("wd-direct", &[], &[]);
    assert_eq!(app_lines(&direct), [sub.as_str()], "{direct}");
    let shell = fixture.run("wd-shell", &[], &[]);
    assert_eq!(app_lines(&shell).last(), Some(&sub.as_str()), "{shell}");
}
