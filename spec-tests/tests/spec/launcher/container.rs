//! The launcher as the ENTRYPOINT of an app image, run by `runc` (e2e-infra.md §2b, §4): a
//! read-only rootfs assembled by hand (busybox-static, GNU bash and its libraries, the
//! installed static launcher at `/cnb/lifecycle/launcher`, `/cnb/process/<type>` symlinks),
//! with the fixture's `<layers>` and `<app>` bind-mounted at `/layers` and `/workspace`, run
//! as an arbitrary non-root user. Needs root and `runc`; skipped otherwise.
#![expect(
    clippy::unwrap_used,
    reason = "test set-up: a step that fails should fail the test at once"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cnb_testkit::Finished;
use serde_json::{Value, json};

use super::fixture::{Fixture, IMAGE_PATH};

mod rootfs;

/// The user the app runs as: an arbitrary uid with no passwd entry, as on `OpenShift`.
const APP_USER: u32 = 4242;

/// A container over a rootfs shared by all tests and one fixture; deleted on drop.
struct Container {
    id: String,
    bundle: tempfile::TempDir,
}

impl Container {
    /// A bundle running `args` (the image's ENTRYPOINT and CMD) with the app image env plus
    /// `env`; `None` when the tests cannot run containers here.
    fn new(fixture: &Fixture, args: &[&str], env: &[&str]) -> Option<Self> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let rootfs = rootfs::shared()?;
        let id = format!(
            "cnb-launcher-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let bundle = tempfile::tempdir().unwrap();
        let status = Command::new("runc")
            .args(["spec", "--bundle"])
            .arg(bundle.path())
            .status()
            .expect("runc runs");
        assert!(status.success(), "runc spec");
        let config_path = bundle.path().join("config.json");
        let mut config: Value =
            serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
        let mut env_list = vec![
            format!("PATH={IMAGE_PATH}"),
            "CNB_PLATFORM_API=0.15".to_owned(),
            "CNB_DEPRECATION_MODE=quiet".to_owned(),
            "CNB_LAYERS_DIR=/layers".to_owned(),
            "CNB_APP_DIR=/workspace".to_owned(),
        ];
        env_list.extend(env.iter().map(|entry| (*entry).to_owned()));
        config["process"]["terminal"] = json!(false);
        config["process"]["args"] = json!(args);
        config["process"]["env"] = json!(env_list);
        config["process"]["cwd"] = json!("/workspace");
        config["process"]["user"] = json!({ "uid": APP_USER, "gid": APP_USER });
        config["root"] = json!({ "path": rootfs, "readonly": true });
        let mounts = config["mounts"].as_array_mut().unwrap();
        for (source, destination) in [(fixture.layers(), "/layers"), (fixture.app(), "/workspace")]
        {
            mounts.push(json!({
                "destination": destination,
                "type": "bind",
                "source": source,
                "options": ["rbind", "ro"],
            }));
        }
        let namespaces = config["linux"]["namespaces"].as_array_mut().unwrap();
        namespaces.retain(|namespace| namespace["type"] != "network");
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        Some(Self { id, bundle })
    }

    fn run_command(&self) -> Command {
        let mut command = Command::new("runc");
        command
            .args(["run", "--bundle"])
            .arg(self.bundle.path())
            .arg(&self.id)
            .stdin(Stdio::null());
        command
    }

    /// Runs the container to its end.
    fn run(&self) -> Finished {
        Finished::run(&mut self.run_command())
    }

    /// Starts the container and waits for its app to print `ready`.
    fn start_until_ready(&self) -> Child {
        let mut child = self
            .run_command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runc runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line == "ready" => break,
                Some(Ok(_)) => {}
                other => panic!("the app ended before it was ready: {other:?}"),
            }
        }
        child
    }

    fn kill(&self, signal: &str) {
        let status = Command::new("runc")
            .args(["kill", &self.id, signal])
            .status()
            .unwrap();
        assert!(status.success(), "runc kill {signal}");
    }

    /// Waits for `child` (the `runc run` of this container) to end; a hang guard, not a
    /// timing check: after a minute the container is killed and the test fails.
    fn wait(&self, child: &mut Child) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                self.kill("KILL");
                let _ = child.wait();
                panic!("the container did not end");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.id])
            .stderr(Stdio::null())
            .status();
    }
}

fn lines(out: &Finished) -> Vec<&str> {
    super::fixture::app_lines(out)
}

#[test]
fn an_app_image_runs_its_processes_under_runc() {
    let fixture = Fixture::new();
    let run = |args: &[&str]| Container::new(&fixture, args, &[]).map(|container| container.run());
    let Some(web) = run(&["/cnb/process/web"]) else {
        return;
    };
    assert_eq!(web.code, Some(0), "{web}");
    assert_eq!(lines(&web), ["Executing web process-type"]);
    assert!(
        web.stdout.contains("/layers/acme_runtime/a-runtime/exec.d/10-generic was executed\nExec.d Working Dir: /workspace\n"),
        "{web}"
    );
    let extra = run(&["/cnb/process/web", "extra-arg"]).unwrap();
    assert_eq!(
        lines(&extra),
        ["Executing web process-type extra-arg"],
        "{extra}"
    );

    let env = run(&["/cnb/lifecycle/launcher", "--", "env"]).unwrap();
    assert_eq!(env.code, Some(0), "{env}");
    let env_lines = lines(&env);
    assert!(env_lines.contains(&"SOME_VAR=some-bp-val"), "{env}");
    assert!(
        env_lines.contains(&"PATH=/layers/legacy_shell/some-layer/bin:/from-acme-env:/layers/acme_runtime/b-tools/bin:/layers/acme_runtime/a-runtime/bin:/usr/local/bin:/usr/bin:/bin"),
        "{env}"
    );
    assert!(!env.stdout.contains("CNB_APP_DIR"), "{env}");

    let shell = run(&["/cnb/lifecycle/launcher", "echo $CNB_APP_DIR"]).unwrap();
    assert_eq!(shell.code, Some(0), "{shell}");
    assert_eq!(
        lines(&shell),
        ["sourced bp profile", "sourced app profile", ""],
        "{shell}"
    );

    let by_name = run(&["launcher", "--", "id", "-u"]).unwrap();
    assert_eq!(
        lines(&by_name),
        [APP_USER.to_string().as_str()],
        "launcher is on PATH: {by_name}"
    );

    let code = run(&["/cnb/lifecycle/launcher", "--", "sh", "-c", "exit 3"]).unwrap();
    assert_eq!(code.code, Some(3), "{code}");
    let nothing = run(&["/cnb/lifecycle/launcher"]).unwrap();
    assert_eq!(nothing.code, Some(82), "{nothing}");
}

/// Spawns a grandchild that the app's own child abandons (so it is re-parented to PID 1),
/// waits until it has ended, gives PID 1 ample time to reap it, and reports whether it is
/// still a zombie. The app then execs `cat`, which never reaps, to print the report.
const ORPHANS: &str = r#"
fifo=/dev/shm/report; mkfifo $fifo
(
  orphan=$(sleep 0.2 >/dev/null & echo $!)
  state=
  while [ "$state" != Z ] && [ -e /proc/$orphan ]; do read -r _ _ state _ < /proc/$orphan/stat; done
  i=0
  while [ $i -lt 20000 ] && [ -e /proc/$orphan ]; do i=$((i+1)); done
  if [ -e /proc/$orphan ]; then read -r _ _ state _ < /proc/$orphan/stat; echo "orphan left as $state"; else echo "orphan reaped"; fi
) > $fifo &
exec cat $fifo
"#;

#[test]
fn init_mode_reaps_orphans_as_pid_1() {
    let fixture = Fixture::new();
    fixture.write("workspace/orphans.sh", ORPHANS, false);
    let args = [
        "/cnb/lifecycle/launcher",
        "--",
        "sh",
        "/workspace/orphans.sh",
    ];
    let Some(init) = Container::new(&fixture, &args, &["CNB_LAUNCHER_INIT=true"]) else {
        return;
    };
    let out = init.run();
    assert_eq!(
        (out.code, lines(&out)),
        (Some(0), vec!["orphan reaped"]),
        "{out}"
    );
    // Without init mode the app is PID 1, and `cat` leaves the orphan a zombie.
    let plain = Container::new(&fixture, &args, &[]).unwrap().run();
    assert_eq!(lines(&plain), ["orphan left as Z"], "{plain}");
}

#[test]
fn init_mode_forwards_sigterm_and_exits_with_the_apps_code() {
    let fixture = Fixture::new();
    let trap = r"trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done";
    let args = ["/cnb/lifecycle/launcher", "--", "sh", "-c", trap];
    let Some(trapping) = Container::new(&fixture, &args, &["CNB_LAUNCHER_INIT=true"]) else {
        return;
    };
    let mut child = trapping.start_until_ready();
    trapping.kill("TERM");
    assert_eq!(trapping.wait(&mut child), Some(42));

    // An app without a handler ends by the signal: 128 + 15.
    let args = [
        "/cnb/lifecycle/launcher",
        "--",
        "sh",
        "-c",
        "echo ready; exec sleep 1000",
    ];
    let sleeper = Container::new(&fixture, &args, &["CNB_LAUNCHER_INIT=1"]).unwrap();
    let mut child = sleeper.start_until_ready();
    sleeper.kill("TERM");
    assert_eq!(sleeper.wait(&mut child), Some(143));
}
