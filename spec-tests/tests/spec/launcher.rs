//! The launcher (platform.md › launcher, › Launch Environment; buildpack.md › Launch),
//! black-box: the installed `launcher` over a copy of `testdata/launcher`, called by its own
//! name or through a symlink named after a process type, as `/cnb/process/<type>` calls it.
//! `container` runs the same tree in a runc container, as an app image would.

mod container;
mod environment;
mod fixture;

use std::fs;

use fixture::{Fixture, app_lines};

#[test]
fn argv0_names_the_process_type() {
    let fixture = Fixture::new();
    let web = fixture.run("web", &[], &[]);
    assert_eq!(web.code, Some(0), "{web}");
    assert_eq!(app_lines(&web), ["Executing web process-type"]);
    let period = fixture.run("process.with.period", &[], &[]);
    assert_eq!(
        app_lines(&period),
        ["Executing process.with.period process-type"]
    );
    let version = fixture.run("web", &["--version"], &[]);
    assert_eq!(
        app_lines(&version),
        ["Executing web process-type --version"],
        "-version is the launcher's only under its own name"
    );
}

#[test]
fn user_args_replace_or_extend_the_process_args_by_api() {
    let fixture = Fixture::new();
    let lines = |name: &str, args: &[&str], api: &str| {
        let out = fixture.run(name, args, &[("CNB_PLATFORM_API", api)]);
        assert_eq!(out.code, Some(0), "{name} {args:?} at {api}: {out}");
        app_lines(&out).join("\n")
    };
    // Extra command entries are always passed; user args replace the process args.
    assert_eq!(
        lines("web", &["with user provided args"], "0.15"),
        "Executing web process-type with user provided args"
    );
    assert_eq!(lines("args-replace", &[], "0.15"), "default-arg");
    assert_eq!(lines("args-replace", &["x", "y"], "0.15"), "x y");
    // Buildpack API 0.8: appended (a shell process: the profiles run first).
    assert_eq!(
        lines("args-append", &["x"], "0.15"),
        "sourced bp profile\nsourced app profile\ndefault-arg x"
    );
    // Platform API 0.9: always appended.
    assert_eq!(lines("args-replace", &["x"], "0.9"), "default-arg x");
}

#[test]
fn dashes_run_the_command_directly_in_the_launch_environment() {
    let fixture = Fixture::new();
    let out = fixture.run(
        "launcher",
        &["--", "env"],
        &[
            ("SOME_USER_VAR", "some-user-val"),
            ("OTHER_VAR", "other-user-val"),
        ],
    );
    assert_eq!(out.code, Some(0), "{out}");
    let env = app_lines(&out);
    for expected in [
        "SOME_VAR=some-bp-val",
        "OTHER_VAR=other-user-val**other-bp-val",
        "SOME_USER_VAR=some-user-val",
        "WORKER_VAR=worker-no-process-val",
    ] {
        assert!(env.contains(&expected), "{expected}: {out}");
    }
    for removed in [
        "CNB_APP_DIR=",
        "CNB_LAYERS_DIR=",
        "CNB_PLATFORM_API=",
        "CNB_DEPRECATION_MODE=",
    ] {
        assert!(
            !env.iter().any(|line| line.starts_with(removed)),
            "{removed}: {out}"
        );
    }
    assert!(
        !out.stdout.contains("sourced"),
        "no profiles without a shell: {out}"
    );
    let tool = fixture.run("launcher", &["--", "bp-executable"], &[]);
    assert_eq!(app_lines(&tool), ["bp executable"], "{tool}");
}

#[test]
fn a_command_without_dashes_runs_in_bash_after_profile_d_and_the_app_profile() {
    let fixture = Fixture::new();
    let lines = |args: &[&str]| {
        let out = fixture.run("launcher", args, &[("OTHER_VAR", "other-user-val")]);
        assert_eq!(out.code, Some(0), "{args:?}: {out}");
        app_lines(&out).join("\n")
    };
    let profiles = "sourced bp profile\nsourced app profile";
    assert_eq!(lines(&["echo something"]), format!("{profiles}\nsomething"));
    assert_eq!(
        lines(&["echo $SOME_VAR $OTHER_VAR $WORKER_VAR"]),
        format!("{profiles}\nsome-bp-val other-user-val**other-bp-val worker-no-process-val")
    );
    assert_eq!(
        lines(&["echo", "$SOME_VAR", "a b"]),
        format!("{profiles}\nsome-bp-val a b")
    );
    assert_eq!(
        lines(&["bp-executable"]),
        format!("{profiles}\nbp executable")
    );
    assert_eq!(lines(&["echo $CNB_APP_DIR"]), format!("{profiles}\n"));
}

#[test]
fn nothing_to_run_exits_82() {
    let fixture = Fixture::new();
    let out = fixture.run("launcher", &[], &[]);
    assert_eq!(out.code, Some(82), "{out}");
    assert_eq!(
        out.stderr.trim(),
        "ERROR: failed to launch: determine start command: when there is no default process a command is required"
    );
    let warned = fixture.run(
        "launcher",
        &[],
        &[("CNB_PROCESS_TYPE", "web"), ("CNB_NO_COLOR", "true")],
    );
    assert_eq!(warned.code, Some(82), "{warned}");
    assert_eq!(
        warned.stderr.lines().collect::<Vec<_>>(),
        [
            "Warning: CNB_PROCESS_TYPE is not supported in Platform API 0.15",
            "Warning: Run with ENTRYPOINT 'web' to invoke the 'web' process type",
            "ERROR: failed to launch: determine start command: when there is no default process a command is required",
        ]
    );
}

#[test]
fn from_platform_api_0_15_only_processes_eligible_for_the_exec_env_run() {
    let fixture = Fixture::new();
    let run = |name: &str, env: &[(&str, &str)]| fixture.run(name, &[], env);
    let refused = run("dev-only", &[]);
    assert_eq!(refused.code, Some(82), "{refused}");
    assert!(
        refused
            .stderr
            .contains("dev-only is not eligible for execution environment 'production'"),
        "{refused}"
    );
    let dev = run("dev-only", &[("CNB_EXEC_ENV", "development")]);
    assert_eq!(app_lines(&dev), ["development only"], "{dev}");
    let old_api = run("dev-only", &[("CNB_PLATFORM_API", "0.14")]);
    assert_eq!(app_lines(&old_api), ["development only"], "{old_api}");
    for env in ["production", "test", "staging"] {
        let any = run("anywhere", &[("CNB_EXEC_ENV", env)]);
        assert_eq!(
            app_lines(&any),
            ["any execution environment"],
            "{env}: {any}"
        );
    }
    let test = run("dual", &[("CNB_EXEC_ENV", "test")]);
    assert_eq!(app_lines(&test), ["dual for test"], "{test}");
    let production = run("dual", &[]);
    assert_eq!(
        app_lines(&production),
        ["dual for the rest"],
        "{production}"
    );
}

#[test]
fn unsupported_buildpack_apis_exit_12_and_unreadable_metadata_exits_1() {
    let fixture = Fixture::new();
    fixture.metadata("[[buildpacks]]\nid = \"old/bp\"\nversion = \"1\"\napi = \"0.3\"\n");
    let old = fixture.run("launcher", &["--", "true"], &[]);
    assert_eq!(old.code, Some(12), "{old}");
    assert!(old.stderr.contains("old/bp@1"), "{old}");
    fs::remove_file(fixture.layers().join("config/metadata.toml")).unwrap();
    let missing = fixture.run("launcher", &["--", "true"], &[]);
    // Go: `failed to read metadata: …`, exit 1 (cmd/launcher/cli/launcher.go).
    assert_eq!(missing.code, Some(1), "{missing}");
    assert!(
        missing.stderr.contains("ERROR: failed to read metadata: ")
            && missing.stderr.contains("metadata.toml"),
        "{missing}"
    );
    assert_eq!(missing.stderr.lines().count(), 1, "{missing}");
}

#[test]
fn the_app_replaces_the_launcher_so_its_pid_exit_code_and_signals_are_the_containers() {
    let fixture = Fixture::new();
    let code = fixture.run("launcher", &["--", "sh", "-c", "exit 7"], &[]);
    assert_eq!(code.code, Some(7), "{code}");
    let shell_code = fixture.run("launcher", &["exit 9"], &[]);
    assert_eq!(shell_code.code, Some(9), "{shell_code}");
    for init in ["false", "true"] {
        // Outside PID 1, init mode changes nothing.
        let mut command = fixture.command("launcher");
        command
            .args(["--", "sh", "-c", "echo $$"])
            .env("CNB_LAUNCHER_INIT", init)
            .stdout(std::process::Stdio::piped());
        let child = command.spawn().unwrap();
        let pid = child.id();
        let output = child.wait_with_output().unwrap();
        let printed = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            printed.lines().last(),
            Some(pid.to_string().as_str()),
            "exec, not fork (init={init})"
        );
    }
    let killed = fixture.run("launcher", &["--", "sh", "-c", "kill -TERM $$"], &[]);
    assert_eq!(killed.code, None, "ended by a signal: {killed}");
}

#[test]
fn the_app_starts_with_default_signal_dispositions() {
    let fixture = Fixture::new();
    let out = fixture.run(
        "launcher",
        &["--", "grep", "^SigIgn", "/proc/self/status"],
        &[],
    );
    let ignored = app_lines(&out)
        .first()
        .and_then(|line| line.split_whitespace().nth(1))
        .map(|mask| u64::from_str_radix(mask, 16).unwrap());
    let sigpipe = 1 << (13 - 1);
    assert_eq!(
        ignored.map(|mask| mask & sigpipe),
        Some(0),
        "SIGPIPE must not stay ignored: {out}"
    );
}

#[test]
fn the_installed_launcher_is_static_and_at_most_one_mebibyte() {
    let launcher = cnb_testkit::Lifecycle::installed().path("launcher");
    let size = fs::metadata(&launcher).unwrap().len();
    assert!(
        size <= 1024 * 1024,
        "{} is {size} bytes",
        launcher.display()
    );
    let file = std::process::Command::new("file")
        .arg("-b")
        .arg(&launcher)
        .output()
        .expect("`file` runs (apt-get install -y file)");
    let description = String::from_utf8_lossy(&file.stdout);
    assert!(
        description.contains("statically linked") || description.contains("static-pie linked"),
        "{description}"
    );
}
