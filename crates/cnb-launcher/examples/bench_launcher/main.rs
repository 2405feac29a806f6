//! `make bench-launcher`: what the launcher costs on every container start. It times, in
//! interleaved rounds, `/cnb/process/web` (the static launcher reached through a process-type
//! symlink: it reads `metadata.toml`, applies a layer's `bin/` and env files, then execs the
//! process) against a bare exec of the process's program, and prints the ratio of the medians
//! (target ≤ 1.5×) and the launcher's size. The program is the static launcher itself
//! printing its version, so both sides run the same static binary, both through `execve`.
//!
//! When `musl-gcc` can build `floor.c`, two more arms show the floor under any launcher: a
//! static C program that only execs the program (the cost of a second `execve`), and one that
//! first does the launcher's unavoidable I/O for this fixture (read `metadata.toml`, list the
//! layer directories, read the env files; no parsing). Benchmark, not test: it never fails on
//! a figure.
//!
//! `cargo run --release -p cnb-launcher --example bench_launcher -- <static launcher> [<rounds>]`

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    reason = "a benchmark program: prints its report and panics on a broken environment"
)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WARMUP: usize = 50;
const DEFAULT_ROUNDS: usize = 2000;

/// One timed command: a label and its argv.
struct Arm {
    label: &'static str,
    argv: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(launcher) = args.first().map(|path| fs::canonicalize(path).unwrap()) else {
        println!("usage: bench <static launcher> [<rounds>]");
        return;
    };
    let rounds = args.get(1).map_or(DEFAULT_ROUNDS, |n| n.parse().unwrap());
    let work = tempfile::tempdir().unwrap();
    let web = fixture(work.path(), &launcher);
    let layers = work.path().join("layers").display().to_string();
    let app = work.path().join("workspace").display().to_string();
    let env = [
        (
            "PATH",
            "/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin".to_owned(),
        ),
        ("CNB_PLATFORM_API", "0.15".to_owned()),
        ("CNB_LAYERS_DIR", layers.clone()),
        ("CNB_APP_DIR", app.clone()),
    ];
    let target = [launcher.display().to_string(), "-version".to_owned()];
    let mut arms = vec![
        Arm {
            label: "A  /cnb/process/web -> exec launcher -version",
            argv: vec![web.display().to_string()],
        },
        Arm {
            label: "B  bare launcher -version",
            argv: target.to_vec(),
        },
    ];
    let floor = build_floor(work.path());
    if let Some(floor) = &floor {
        let floor = floor.display().to_string();
        arms.push(Arm {
            label: "C  C exec-only hop -> launcher -version",
            argv: [floor.clone(), "-".to_owned()]
                .into_iter()
                .chain(target.clone())
                .collect(),
        });
        arms.push(Arm {
            label: "D  C unavoidable I/O, then exec",
            argv: [floor, layers, app, "acme_bench".to_owned()]
                .into_iter()
                .chain(target.clone())
                .collect(),
        });
    }
    let medians = measure(&arms, rounds, &env);
    let (through_launcher, bare) = (medians[0], medians[1]);
    let ratio = |median: Duration| median.as_secs_f64() / bare.as_secs_f64();
    println!("launcher start-to-exec, {rounds} interleaved rounds (medians of spawn-to-exit):");
    for (arm, median) in arms.iter().zip(&medians) {
        println!("  {:<46} {}", arm.label, micros(*median));
    }
    println!(
        "  ratio A/B {:.2}x (target <= 1.5x: {})",
        ratio(through_launcher),
        if ratio(through_launcher) <= 1.5 {
            "met"
        } else {
            "not met"
        }
    );
    println!(
        "  A - B  the launcher hop                       {}",
        micros(through_launcher.saturating_sub(bare))
    );
    if let [_, _, hop, io] = medians[..] {
        println!(
            "  floor: C/B {:.2}x (a second execve), D/B {:.2}x (the I/O any launcher does)",
            ratio(hop),
            ratio(io)
        );
        println!(
            "  A - D  the launcher beyond the I/O floor      {}",
            micros(through_launcher.saturating_sub(io))
        );
    } else {
        println!("  (no floor arms: musl-gcc could not build floor.c)");
    }
    let size = fs::metadata(&launcher).unwrap().len();
    println!(
        "launcher size: {size} bytes ({:.2} MiB, budget 1 MiB)",
        size as f64 / 1024.0 / 1024.0
    );
}

/// The median spawn-to-exit of each arm over `rounds` rounds after a warm-up; each round
/// starts with a different arm, so none always runs on a warmer cache.
fn measure(arms: &[Arm], rounds: usize, env: &[(&str, String)]) -> Vec<Duration> {
    let run = |arm: &Arm| time(&arm.argv, env);
    for _ in 0..WARMUP {
        for arm in arms {
            run(arm);
        }
    }
    let mut samples: Vec<Vec<Duration>> = arms.iter().map(|_| Vec::with_capacity(rounds)).collect();
    for round in 0..rounds {
        for offset in 0..arms.len() {
            let index = (round + offset) % arms.len();
            samples[index].push(run(&arms[index]));
        }
    }
    samples.iter_mut().map(|arm| median(arm)).collect()
}

/// `floor.c` built static with `musl-gcc` into `work`, if that works here.
fn build_floor(work: &Path) -> Option<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bench_launcher/floor.c");
    let output = work.join("floor");
    let built = Command::new("musl-gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&output)
        .arg(&source)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    built.then_some(output)
}

/// `<work>/layers` with one buildpack whose layer has `bin/` and env files, a `web` process
/// that runs `<launcher> -version` directly, `<work>/workspace`, and `<work>/process/web`.
fn fixture(work: &Path, launcher: &Path) -> PathBuf {
    let layer = work.join("layers/acme_bench/runtime");
    fs::create_dir_all(layer.join("bin")).unwrap();
    fs::create_dir_all(layer.join("env.launch")).unwrap();
    fs::create_dir_all(work.join("workspace")).unwrap();
    fs::create_dir_all(work.join("process")).unwrap();
    fs::write(
        layer.join("env.launch/RUNTIME_HOME"),
        "/layers/acme_bench/runtime",
    )
    .unwrap();
    fs::write(layer.join("env.launch/JAVA_OPTS.append"), " -Xss1m").unwrap();
    fs::write(
        work.join("layers/config/metadata.toml").tap_mkdir(),
        format!(
            "[[buildpacks]]\nid = \"acme/bench\"\nversion = \"1\"\napi = \"0.12\"\n\n\
             [[processes]]\ntype = \"web\"\ncommand = [\"{}\", \"-version\"]\ndirect = true\n\
             buildpack-id = \"acme/bench\"\n",
            launcher.display()
        ),
    )
    .unwrap();
    let web = work.join("process/web");
    symlink(launcher, &web).unwrap();
    web
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        fs::create_dir_all(self.parent().unwrap()).unwrap();
        self
    }
}

/// Spawn-to-exit of `argv` with exactly `env`; output discarded.
fn time(argv: &[String], env: &[(&str, String)]) -> Duration {
    let start = Instant::now();
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(status.success(), "{} failed: {status}", argv[0]);
    elapsed
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn micros(duration: Duration) -> String {
    format!("{:>8.1} µs", duration.as_secs_f64() * 1e6)
}
