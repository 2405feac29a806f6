//! `-daemon` and `-launch-cache` at the edges (daemon.md §4, §7, §8), black-box: what each
//! phase does when the daemon is not there or may not be reached (one `ERROR:` line with the
//! Go lifecycle's exit code for that phase), a launch cache directory that does not exist,
//! `-launch-cache` without `-daemon`, and `-daemon` with `-layout`. The app-image flows are
//! the pack replays in `platforms/pack_daemon.rs`.

use std::fs;
use std::path::Path;
use std::process::Command;

use cnb_testkit::{Finished, Lifecycle, RunImage};

use crate::daemon_support::DaemonSite;

mod bench;

/// A layers dir the exporter and restorer accept: an empty group, analyzed.toml naming a run
/// image, empty build metadata; and an app dir.
fn layers(dir: &Path) {
    let layers = dir.join("layers");
    fs::create_dir_all(layers.join("config")).expect("mkdir");
    fs::create_dir_all(dir.join("app")).expect("mkdir app");
    fs::write(layers.join("group.toml"), "").expect("group.toml");
    fs::write(layers.join("config/metadata.toml"), "").expect("metadata.toml");
    fs::write(
        layers.join("analyzed.toml"),
        "[run-image]\n  reference = \"fixture/run:latest\"\n  image = \"fixture/run:latest\"\n",
    )
    .expect("analyzed.toml");
}

/// The installed `phase` at Platform API 0.15 with `DOCKER_HOST=host`, on `dir`'s layers
/// (the rebaser has none).
fn phase(phase: &str, dir: &Path, host: &str) -> Command {
    let lifecycle = Lifecycle::installed();
    let mut command = lifecycle.command(phase);
    command
        .env("CNB_PLATFORM_API", "0.15")
        .env("DOCKER_HOST", host)
        .env_remove("DOCKER_API_VERSION");
    if phase != "rebaser" {
        command.arg(format!("-layers={}", dir.join("layers").display()));
    }
    command
}

/// The `ERROR:` lines of a run.
fn errors(finished: &Finished) -> Vec<&str> {
    finished
        .stderr
        .lines()
        .filter(|line| line.starts_with("ERROR: "))
        .collect()
}

/// Asserts `finished` exited `code` with exactly one `ERROR:` line starting `start` and
/// naming `needle` (Go's warnings, such as the missing cache, may come before it).
fn assert_one_error(finished: &Finished, code: i32, start: &str, needle: &str) {
    assert_eq!(finished.code, Some(code), "{finished}");
    let errors = errors(finished);
    assert_eq!(errors.len(), 1, "{finished}");
    assert!(
        errors[0].starts_with(start) && errors[0].contains(needle),
        "{}",
        errors[0]
    );
}

#[test]
fn a_missing_socket_is_one_error_line_with_go_s_exit_code_in_each_phase() {
    let dir = tempfile::tempdir().expect("temp dir");
    layers(dir.path());
    let socket = dir.path().join("absent.sock");
    let host = format!("unix://{}", socket.display());
    let app = format!("-app={}", dir.path().join("app").display());
    let launcher = format!(
        "-launcher={}",
        Lifecycle::installed().path("launcher").display()
    );
    let cannot_connect = format!("cannot connect to the Docker daemon at {host}");

    let analyzer = Finished::run(phase("analyzer", dir.path(), &host).args([
        "-daemon",
        "-run-image",
        "fixture/run:latest",
        "fixture/app:latest",
    ]));
    assert_one_error(
        &analyzer,
        32,
        "ERROR: failed to initialize analyzer: getting previous image: ",
        &cannot_connect,
    );
    let creator = Finished::run(phase("creator", dir.path(), &host).args([
        "-daemon",
        &app,
        "-run-image",
        "fixture/run:latest",
        "fixture/app:latest",
    ]));
    assert_one_error(
        &creator,
        32,
        "ERROR: failed to initialize analyzer: getting previous image: ",
        &cannot_connect,
    );
    let exporter = Finished::run(phase("exporter", dir.path(), &host).args([
        "-daemon",
        &app,
        &launcher,
        "fixture/app:latest",
    ]));
    assert_one_error(
        &exporter,
        1,
        "ERROR: failed to create new app image: ",
        &cannot_connect,
    );
    let rebaser =
        Finished::run(phase("rebaser", dir.path(), &host).args(["-daemon", "fixture/app:latest"]));
    assert_one_error(
        &rebaser,
        72,
        "ERROR: failed to set app image: ",
        &cannot_connect,
    );
    // The restorer only needs the daemon for image extensions, as in Go.
    let restorer = Finished::run(phase("restorer", dir.path(), &host).arg("-daemon"));
    assert_eq!(restorer.code, Some(0), "{restorer}");
}

#[test]
fn a_root_owned_socket_the_build_user_may_not_open_fails_with_1_before_any_work() {
    if !cnb_testkit::is_root() {
        return;
    }
    let site = DaemonSite::start();
    let dir = tempfile::tempdir().expect("temp dir");
    cnb_testkit::hand_to_build_user(dir.path());
    let analyzer = cnb_testkit::phase_for_build_user(dir.path(), "analyzer");
    let finished = Finished::run(
        cnb_testkit::build_user_command(&analyzer)
            .env("CNB_PLATFORM_API", "0.15")
            .env("DOCKER_HOST", site.daemon.host())
            .arg(format!("-layers={}", dir.path().display()))
            .args([
                "-daemon",
                "-run-image",
                &site.run_image,
                "fixture/app:latest",
            ]),
    );
    assert_one_error(
        &finished,
        1,
        "ERROR: failed to initialize docker client: cannot connect to the Docker daemon at ",
        "Permission denied",
    );
    assert!(
        !dir.path().join("analyzed.toml").exists(),
        "nothing done before the client"
    );
}

#[test]
fn a_launch_cache_directory_that_does_not_exist_fails_as_go_does() {
    if !cnb_testkit::is_root() {
        return;
    }
    let site = DaemonSite::start();
    let dir = tempfile::tempdir().expect("temp dir");
    layers(dir.path());
    let missing = dir.path().join("launch-cache");
    let launch_cache = format!("-launch-cache={}", missing.display());
    let analyzer = Finished::run(phase("analyzer", dir.path(), &site.daemon.host()).args([
        "-daemon",
        &launch_cache,
        "-run-image",
        &site.run_image,
        &site.name("fixture/app:latest"),
    ]));
    assert_one_error(
        &analyzer,
        32,
        "ERROR: failed to initialize analyzer: creating launch cache: ",
        &missing.display().to_string(),
    );
    let exporter = Finished::run(phase("exporter", dir.path(), &site.daemon.host()).args([
        "-daemon",
        &launch_cache,
        &site.name("fixture/app:latest"),
    ]));
    assert_one_error(
        &exporter,
        1,
        "ERROR: failed to create launch cache: ",
        &missing.display().to_string(),
    );
    assert!(!missing.exists(), "not created");
}

#[test]
fn with_layout_the_layout_wins_over_daemon_and_a_launch_cache_without_daemon_is_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = dir.path().join("layout");
    let run = layout.join("index.docker.io/fixture/run/latest");
    fs::create_dir_all(run.parent().expect("parent")).expect("mkdir");
    RunImage::default()
        .write_layout(&run, "latest")
        .expect("run image layout");
    fs::create_dir_all(dir.path().join("layers")).expect("mkdir layers");
    let nowhere = format!("unix://{}", dir.path().join("absent.sock").display());
    let layout_dir = format!("-layout-dir={}", layout.display());
    let launch_cache = format!("-launch-cache={}", dir.path().join("launch").display());

    let with_daemon = Finished::run(
        phase("analyzer", dir.path(), &nowhere)
            .env("CNB_EXPERIMENTAL_MODE", "silent")
            .args([
                "-daemon",
                "-layout",
                &layout_dir,
                "-run-image",
                "fixture/run:latest",
                "fixture/app:latest",
            ]),
    );
    assert_eq!(with_daemon.code, Some(0), "{with_daemon}");
    let analyzed =
        fs::read_to_string(dir.path().join("layers/analyzed.toml")).expect("analyzed.toml");
    assert!(
        analyzed.contains(&format!("reference = \"{}@sha256:", run.display())),
        "the run image from the layout: {analyzed}"
    );

    let without_daemon = Finished::run(
        phase("analyzer", dir.path(), &nowhere)
            .env("CNB_EXPERIMENTAL_MODE", "silent")
            .args([
                "-layout",
                &layout_dir,
                &launch_cache,
                "-run-image",
                "fixture/run:latest",
                "fixture/app:latest",
            ]),
    );
    assert_eq!(without_daemon.code, Some(0), "{without_daemon}");
    assert!(
        without_daemon
            .stderr
            .contains("Warning: Ignoring -launch-cache, only intended for use with -daemon"),
        "{without_daemon}"
    );
    assert!(!dir.path().join("launch").exists());
}
