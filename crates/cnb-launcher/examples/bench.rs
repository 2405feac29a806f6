//! `make bench-launcher`: what the launcher costs on every container start. It times, in
//! paired and interleaved runs, `/cnb/process/web` (the static launcher reached through a
//! process-type symlink: it reads `metadata.toml`, applies a layer's `bin/` and env files,
//! then execs the process) against a bare exec of the process's program, and prints the
//! ratio of the medians (target ≤ 1.5×) and the launcher's size. The program is the static
//! launcher itself printing its version, so both sides run the same static binary.
//! Benchmark, not test: it never fails on a figure.
//!
//! `cargo run --release -p cnb-launcher --example bench -- <static launcher> [<pairs>]`

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
const DEFAULT_PAIRS: usize = 2000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(launcher) = args.first().map(|path| fs::canonicalize(path).unwrap()) else {
        println!("usage: bench <static launcher> [<pairs>]");
        return;
    };
    let pairs = args.get(1).map_or(DEFAULT_PAIRS, |n| n.parse().unwrap());
    let work = tempfile::tempdir().unwrap();
    let web = fixture(work.path(), &launcher);
    let env = [
        (
            "PATH",
            "/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin".to_owned(),
        ),
        ("CNB_PLATFORM_API", "0.15".to_owned()),
        (
            "CNB_LAYERS_DIR",
            work.path().join("layers").display().to_string(),
        ),
        (
            "CNB_APP_DIR",
            work.path().join("workspace").display().to_string(),
        ),
    ];
    let through_launcher = || time(&web, &[], &env);
    let bare = || time(&launcher, &["-version"], &env);
    for _ in 0..WARMUP {
        through_launcher();
        bare();
    }
    let (mut with_launcher, mut without) = (Vec::new(), Vec::new());
    for round in 0..pairs {
        // Alternate which side goes first, so neither always runs on a warmer cache.
        if round % 2 == 0 {
            with_launcher.push(through_launcher());
            without.push(bare());
        } else {
            without.push(bare());
            with_launcher.push(through_launcher());
        }
    }
    let (launched_median, bare_median) = (median(&mut with_launcher), median(&mut without));
    let ratio = launched_median.as_secs_f64() / bare_median.as_secs_f64();
    let size = fs::metadata(&launcher).unwrap().len();
    println!("launcher start-to-exec, {pairs} interleaved pairs (medians of spawn-to-exit):");
    println!(
        "  A  /cnb/process/web -> exec launcher -version  {}",
        micros(launched_median)
    );
    println!(
        "  B  bare launcher -version                      {}",
        micros(bare_median)
    );
    println!(
        "  ratio A/B {ratio:.2}x (target <= 1.5x: {})",
        if ratio <= 1.5 { "met" } else { "not met" }
    );
    println!(
        "  A - B   the launcher hop                       {}",
        micros(launched_median.saturating_sub(bare_median))
    );
    println!(
        "  A - 2B  the hop beyond one more process start  {}",
        micros(launched_median.saturating_sub(bare_median * 2))
    );
    println!(
        "launcher size: {size} bytes ({:.2} MiB, budget 1 MiB)",
        size as f64 / 1024.0 / 1024.0
    );
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

/// Spawn-to-exit of `program args` with exactly `env`; output discarded.
fn time(program: &Path, args: &[&str], env: &[(&str, String)]) -> Duration {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(status.success(), "{} failed: {status}", program.display());
    elapsed
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn micros(duration: Duration) -> String {
    format!("{:>8.1} µs", duration.as_secs_f64() * 1e6)
}
