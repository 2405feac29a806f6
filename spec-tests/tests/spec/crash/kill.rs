//! Killing a phase on purpose: a seeded random number generator (so a failing trial can be
//! replayed: every failure message names the seed, the trial and the kill delay), a phase
//! started in its own process group and killed (SIGKILL) there (children included), and the wall
//! time of a full run, over which the kill delays are spread.

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cnb_testkit::Finished;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The seed of every crash suite: `CNB_CRASH_SEED`, else one picked now (printed, so a CI
/// failure can be replayed with it).
#[expect(
    clippy::print_stderr,
    reason = "prints the suite's seed and figures, for a replay"
)]
pub(crate) fn seed(suite: &str) -> u64 {
    #[expect(clippy::disallowed_methods, reason = "the replay knob of the suite")]
    let given = std::env::var("CNB_CRASH_SEED").ok();
    let seed = given.and_then(|text| text.parse().ok()).unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        u64::from(nanos) ^ u64::from(std::process::id()).rotate_left(32)
    });
    eprintln!("crash suite {suite}: seed {seed} (replay with CNB_CRASH_SEED={seed})");
    seed
}

/// Kills that stop a run midway, per suite: `CNB_CRASH_TRIALS`, else 50.
pub(crate) fn trials() -> u32 {
    #[expect(clippy::disallowed_methods, reason = "the depth knob of the suite")]
    let given = std::env::var("CNB_CRASH_TRIALS").ok();
    given.and_then(|text| text.parse().ok()).unwrap_or(50)
}

/// splitmix64: small, seedable, good enough to spread kill times.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A delay in `0..=max`, in whole microseconds.
    pub(crate) fn delay(&mut self, max: Duration) -> Duration {
        let micros = u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(1);
        Duration::from_micros(self.below(micros + 1))
    }
}

/// A phase started by [`Running::start`].
pub(crate) struct Running {
    child: Child,
    out: tempfile::NamedTempFile,
    err: tempfile::NamedTempFile,
}

/// How a phase ended.
pub(crate) enum Ended {
    /// killed (SIGKILL) before it finished.
    Killed,
    /// It finished before the kill.
    Finished(Finished),
}

impl Running {
    /// Starts `command` in a process group of its own, output to temp files.
    pub(crate) fn start(command: &mut Command) -> Self {
        let out = tempfile::NamedTempFile::new().expect("stdout file");
        let err = tempfile::NamedTempFile::new().expect("stderr file");
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out.reopen().expect("stdout"))
            .stderr(err.reopen().expect("stderr"))
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        Self { child, out, err }
    }

    /// Whether it has exited.
    pub(crate) fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// kills (SIGKILL) the whole process group unless it already exited, and reaps it.
    pub(crate) fn kill(mut self) -> Ended {
        if let Ok(Some(_)) = self.child.try_wait() {
            return Ended::Finished(self.wait());
        }
        let group = Pid::from_raw(i32::try_from(self.child.id()).expect("pid"));
        // The group outlives its leader when a buildpack process still runs.
        let _ = killpg(group, Signal::SIGKILL);
        let status = self.child.wait().expect("reaped");
        if status.code().is_some() {
            return Ended::Finished(self.finished(status.code()));
        }
        Ended::Killed
    }

    /// Waits for it to finish.
    pub(crate) fn wait(mut self) -> Finished {
        let status = self.child.wait().expect("reaped");
        self.finished(status.code())
    }

    /// Runs it to the end, killing it after `delay` unless it finished before.
    pub(crate) fn kill_after(mut self, delay: Duration) -> Ended {
        let deadline = Instant::now() + delay;
        while Instant::now() < deadline {
            if self.exited() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200).min(delay));
        }
        self.kill()
    }

    /// kills (SIGKILL) it as soon as `moment` holds (checked every 100 µs), or lets it finish when
    /// that never happens; returns how it ended and whether the moment came.
    pub(crate) fn kill_when(mut self, moment: impl Fn() -> bool) -> (Ended, bool) {
        loop {
            if moment() {
                return (self.kill(), true);
            }
            if self.exited() {
                return (self.kill(), false);
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    fn finished(&mut self, code: Option<i32>) -> Finished {
        let read = |file: &mut tempfile::NamedTempFile| {
            let mut text = String::new();
            let mut reader = File::open(file.path()).expect("output file");
            reader.read_to_string(&mut text).expect("output");
            text
        };
        Finished {
            code,
            stdout: read(&mut self.out),
            stderr: read(&mut self.err),
        }
    }
}

/// The median wall time of `runs` full runs of `run`: the span the kill delays are spread
/// over (the median, so that one run slowed by a busy machine does not stretch it).
pub(crate) fn full_run(runs: u32, mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
