//! Every phase against each of its input files missing, unreadable, malformed and of the
//! wrong type: the Go lifecycle's exit code (exit-codes.md, per phase), exactly one `ERROR:`
//! line when it fails, and never a panic or a backtrace.
//!
//! One build is made for real first (analyzer, detector and builder over a bash buildpack,
//! against a loopback registry, all as the build user); each row then runs one phase on a copy
//! of it with one file changed. Every phase runs as the build user, so that a file with mode
//! 000 is unreadable to it even when the tests run as root.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_testkit::{
    BUILD_UID, Finished, RegistryFixture, RunImage, build_user_command, hand_to_build_user,
    phase_for_build_user,
};

const API: &str = "0.15";

/// What is done to the file.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    Missing,
    Unreadable,
    Malformed,
    WrongType,
}

const MUTATIONS: [Mutation; 4] = [
    Mutation::Missing,
    Mutation::Unreadable,
    Mutation::Malformed,
    Mutation::WrongType,
];

/// One input file of one phase: where it is (relative to the build), valid TOML of the wrong
/// shape for it, and the expected exit code for each [`Mutation`] in [`MUTATIONS`] order.
struct Row {
    phase: &'static str,
    file: &'static str,
    wrong_type: &'static str,
    codes: [i32; 4],
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { phase: "analyzer", file: "layers/run.toml", wrong_type: "images = \"x\"\n", codes: [3, 3, 3, 3] },
    Row { phase: "detector", file: "order.toml", wrong_type: "order = 1\n", codes: [1, 1, 1, 1] },
    Row { phase: "detector", file: "layers/analyzed.toml", wrong_type: "run-image = \"x\"\n", codes: [0, 1, 1, 1] },
    Row { phase: "detector", file: "system.toml", wrong_type: "system = 3\n", codes: [0, 1, 1, 1] },
    Row { phase: "detector", file: "buildpacks/bp/1/buildpack.toml", wrong_type: "buildpack = 12\n", codes: [1, 1, 1, 1] },
    Row { phase: "restorer", file: "layers/group.toml", wrong_type: "group = \"x\"\n", codes: [1, 1, 1, 1] },
    Row { phase: "restorer", file: "layers/analyzed.toml", wrong_type: "run-image = \"x\"\n", codes: [0, 0, 0, 0] },
    Row { phase: "restorer", file: "layers/run.toml", wrong_type: "images = \"x\"\n", codes: [0, 1, 1, 1] },
    Row { phase: "builder", file: "layers/group.toml", wrong_type: "group = \"x\"\n", codes: [1, 1, 1, 1] },
    Row { phase: "builder", file: "layers/plan.toml", wrong_type: "entries = 3\n", codes: [1, 1, 1, 1] },
    Row { phase: "builder", file: "layers/analyzed.toml", wrong_type: "run-image = \"x\"\n", codes: [0, 1, 1, 1] },
    Row { phase: "builder", file: "buildpacks/bp/1/buildpack.toml", wrong_type: "buildpack = 12\n", codes: [52, 52, 52, 52] },
    Row { phase: "exporter", file: "layers/analyzed.toml", wrong_type: "run-image = \"x\"\n", codes: [3, 3, 3, 3] },
    Row { phase: "exporter", file: "layers/group.toml", wrong_type: "group = \"x\"\n", codes: [1, 1, 1, 1] },
    Row { phase: "exporter", file: "layers/config/metadata.toml", wrong_type: "processes = \"x\"\n", codes: [62, 62, 62, 62] },
    Row { phase: "exporter", file: "layers/project-metadata.toml", wrong_type: "source = 1\n", codes: [0, 1, 1, 1] },
    Row { phase: "exporter", file: "layers/run.toml", wrong_type: "images = \"x\"\n", codes: [0, 1, 1, 1] },
    Row { phase: "launcher", file: "layers/config/metadata.toml", wrong_type: "processes = \"x\"\n", codes: [1, 1, 1, 1] },
    Row { phase: "creator", file: "layers/run.toml", wrong_type: "images = \"x\"\n", codes: [3, 3, 3, 3] },
    Row { phase: "creator", file: "order.toml", wrong_type: "order = 1\n", codes: [1, 1, 1, 1] },
];

const BUILDPACK_TOML: &str = "api = \"0.12\"\n[buildpack]\nid = \"bp\"\nversion = \"1\"\n";
const DETECT: &str = "#!/bin/sh\nexit 0\n";
const BUILD: &str = r#"#!/bin/sh
set -e
mkdir -p "$CNB_LAYERS_DIR/layer"
echo hello > "$CNB_LAYERS_DIR/layer/file"
printf '[types]\nlaunch = true\n' > "$CNB_LAYERS_DIR/layer.toml"
printf '[[processes]]\ntype = "web"\ncommand = ["/bin/true"]\ndefault = true\n' > "$CNB_LAYERS_DIR/launch.toml"
"#;
const ORDER: &str = "[[order]]\n[[order.group]]\nid = \"bp\"\nversion = \"1\"\n";
const SYSTEM: &str = "[system]\n";
const PROJECT_METADATA: &str = "[source]\ntype = \"git\"\n";

/// A finished build to copy: the registry with the run image, and the build's template dir.
struct World {
    registry: RegistryFixture,
    template: tempfile::TempDir,
}

impl World {
    fn start() -> Self {
        let registry = RegistryFixture::start().expect("registry");
        let run_image = RunImage::default()
            .push(&registry, "test/run:latest")
            .expect("run image")
            .reference;
        let template = tempfile::Builder::new()
            .prefix("cnb-spec-inputs-")
            .tempdir()
            .expect("temp dir");
        let root = template.path().to_path_buf();
        let root = root.as_path();
        fs::set_permissions(root, fs::Permissions::from_mode(0o755)).expect("chmod");
        let write = |relative: &str, text: &str, mode: u32| {
            let path = root.join(relative);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(&path, text).expect("write");
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        };
        write("buildpacks/bp/1/buildpack.toml", BUILDPACK_TOML, 0o644);
        write("buildpacks/bp/1/bin/detect", DETECT, 0o755);
        write("buildpacks/bp/1/bin/build", BUILD, 0o755);
        write("order.toml", ORDER, 0o644);
        write("system.toml", SYSTEM, 0o644);
        write("app/index.html", "hello\n", 0o644);
        write("cache/.keep", "", 0o644);
        write(
            "layers/run.toml",
            &format!("[[images]]\nimage = \"{run_image}\"\n"),
            0o644,
        );
        write("layers/project-metadata.toml", PROJECT_METADATA, 0o644);
        hand_to_build_user(root);
        let world = Self { registry, template };
        for phase in ["analyzer", "detector", "builder"] {
            let finished = Finished::run(&mut world.command(root, phase));
            assert_eq!(
                finished.code,
                Some(0),
                "{phase} of the template build: {finished}"
            );
        }
        world
    }

    /// `<image>`: the app image, on the loopback registry.
    fn app_image(&self) -> String {
        format!("{}/test/app:latest", self.registry.host())
    }

    /// A copy of the finished build, owned by the build user.
    fn copy(&self) -> tempfile::TempDir {
        let copy = tempfile::Builder::new()
            .prefix("cnb-spec-inputs-")
            .tempdir()
            .expect("temp dir");
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", self.template.path().display()))
            .arg(copy.path())
            .status()
            .expect("cp");
        assert!(status.success(), "cp -a");
        fs::set_permissions(copy.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        hand_to_build_user(copy.path());
        copy
    }

    /// The phase as a platform would run it over the build in `root`, as the build user.
    fn command(&self, root: &Path, phase: &str) -> Command {
        let program = if phase == "launcher" {
            let path = root.join("cnb/lifecycle/launcher");
            if !path.exists() {
                fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                fs::copy(cnb_testkit::Lifecycle::installed().path("launcher"), &path)
                    .expect("copy launcher");
            }
            path
        } else {
            phase_for_build_user(root, phase)
        };
        let mut command = build_user_command(&program);
        command.env("CNB_PLATFORM_API", API).current_dir(root);
        let path = |relative: &str| root.join(relative).display().to_string();
        let layers = format!("-layers={}", path("layers"));
        let ids = [format!("-uid={BUILD_UID}"), format!("-gid={BUILD_UID}")];
        match phase {
            "launcher" => {
                command
                    .env("CNB_LAYERS_DIR", path("layers"))
                    .env("CNB_APP_DIR", path("app"))
                    .args(["--", "true"]);
            }
            "analyzer" => {
                command
                    .arg(layers)
                    .arg(format!("-run={}", path("layers/run.toml")))
                    .args(ids)
                    .arg(self.app_image());
            }
            "detector" => {
                command.arg(layers).args([
                    format!("-app={}", path("app")),
                    format!("-buildpacks={}", path("buildpacks")),
                    format!("-order={}", path("order.toml")),
                    format!("-system={}", path("system.toml")),
                ]);
            }
            "restorer" => {
                command
                    .arg(layers)
                    .arg(format!("-run={}", path("layers/run.toml")))
                    .arg(format!("-cache-dir={}", path("cache")))
                    .args(ids);
            }
            "builder" => {
                command.arg(layers).args([
                    format!("-app={}", path("app")),
                    format!("-buildpacks={}", path("buildpacks")),
                ]);
            }
            "exporter" => {
                command
                    .arg(layers)
                    .arg(format!("-app={}", path("app")))
                    .arg(format!("-run={}", path("layers/run.toml")))
                    .arg(format!(
                        "-launcher={}",
                        program_dir(&program).join("launcher").display()
                    ))
                    .args(ids)
                    .arg(self.app_image());
                copy_launcher(&program);
            }
            "creator" => {
                command
                    .arg(layers)
                    .args([
                        format!("-app={}", path("app")),
                        format!("-buildpacks={}", path("buildpacks")),
                        format!("-order={}", path("order.toml")),
                        format!("-run={}", path("layers/run.toml")),
                        format!(
                            "-launcher={}",
                            program_dir(&program).join("launcher").display()
                        ),
                    ])
                    .args(ids)
                    .arg(self.app_image());
                copy_launcher(&program);
            }
            other => panic!("no command for {other}"),
        }
        command
    }
}

fn program_dir(program: &Path) -> PathBuf {
    program.parent().expect("program dir").to_path_buf()
}

/// The launcher next to a phase copied for the build user.
fn copy_launcher(program: &Path) {
    let launcher = program_dir(program).join("launcher");
    if !launcher.exists() {
        fs::copy(
            cnb_testkit::Lifecycle::installed().path("launcher"),
            &launcher,
        )
        .expect("copy launcher");
    }
}

/// Applies `mutation` to `path`.
fn mutate(path: &Path, mutation: Mutation, wrong_type: &str) {
    match mutation {
        Mutation::Missing => fs::remove_file(path).expect("rm"),
        Mutation::Unreadable => {
            fs::set_permissions(path, fs::Permissions::from_mode(0o000)).expect("chmod 000");
        }
        Mutation::Malformed => fs::write(path, "[unclosed\nkey = \n").expect("write"),
        Mutation::WrongType => fs::write(path, wrong_type).expect("write"),
    }
}

#[test]
fn every_phase_gives_gos_exit_code_and_one_error_line_for_each_bad_input_file() {
    let world = World::start();
    let mut failures = Vec::new();
    for row in ROWS {
        for (mutation, expected) in MUTATIONS.iter().zip(row.codes) {
            let build = world.copy();
            let file = build.path().join(row.file);
            assert!(file.is_file(), "{} exists in the template", row.file);
            mutate(&file, *mutation, row.wrong_type);
            let finished = Finished::run(&mut world.command(build.path(), row.phase));
            let errors = finished
                .stderr
                .lines()
                .chain(finished.stdout.lines())
                .filter(|line| line.starts_with("ERROR: "))
                .count();
            let wanted_errors = usize::from(expected != 0);
            let panicked =
                finished.stderr.contains("panicked") || finished.stderr.contains("RUST_BACKTRACE");
            if finished.code != Some(expected) || errors != wanted_errors || panicked {
                failures.push(format!(
                    "{} with {} {:?}: expected exit {expected} and {wanted_errors} ERROR line(s), got {finished}",
                    row.phase, row.file, mutation
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
