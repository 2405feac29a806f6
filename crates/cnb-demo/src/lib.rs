//! `make demo`: the lifecycle doing a platform's job end to end on one machine, with real
//! parts only. It starts a loopback registry (behind a proxy that counts what it receives),
//! builds a busybox run image, lays out a builder tree with the sample buildpacks
//! (`testdata/buildpacks/samples`), builds `testdata/apps/hello-web` with `creator`, runs the
//! image under runc and asks the app over HTTP, rebuilds to show layer reuse, rebases onto a
//! second run image, and cleans up everything it started, also when a step fails.
//!
//! [`run`] is the whole demo; `cnb-demo` (this crate's binary) calls it, and so does a
//! spec-test. It needs root (runc, `creator -uid/-gid`) and the Debian packages
//! `.ci/install-deps` installs.

mod builder;
mod console;
mod container;
mod image;
mod interrupt;
mod phases;
mod steps;
mod tool;
mod traffic;

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

pub use console::{Captured, Console, STEPS};
pub use interrupt::watch as watch_signals;

/// Where the demo finds what it runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// An installed `cnb/lifecycle` dir (`make install DESTDIR=…` lays it out).
    pub lifecycle_dir: PathBuf,
    /// The repository's `testdata` dir (`buildpacks/samples`, `apps/hello-web`).
    pub testdata_dir: PathBuf,
}

/// What the demo showed, for its test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The first build's image digest, from report.toml.
    pub image_digest: String,
    /// The body of `GET /`.
    pub index_html: String,
    /// The body of `GET /status.txt`.
    pub status_txt: String,
    /// The unchanged rebuild.
    pub unchanged_rebuild: Rebuild,
    /// The rebuild after a change of `index.html`.
    pub changed_rebuild: Rebuild,
    /// The rebase onto run image v2.
    pub rebase: Rebase,
}

/// What one rebuild sent to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    /// The image digest.
    pub digest: String,
    /// Names of the layers whose blobs were uploaded again (`app`, …).
    pub uploaded_layers: Vec<String>,
    /// Names of the layers the registry already had.
    pub reused_layers: Vec<String>,
    /// Whether the config blob was uploaded.
    pub uploaded_config: bool,
    /// Body bytes of every blob upload.
    pub blob_bytes: u64,
    /// Manifests written.
    pub manifests: usize,
}

/// The rebase onto run image v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebase {
    /// The app image's digest before.
    pub old_digest: String,
    /// The rebased digest, from the rebaser's report.toml.
    pub new_digest: String,
    /// The run image's top layer (diffID) before.
    pub old_top_layer: String,
    /// The run image's top layer after.
    pub new_top_layer: String,
    /// What `/cnb/process/hello` printed in the rebased image.
    pub hello_output: String,
}

/// A failed step: `step 4 (run the app image): …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoError {
    /// The step's number.
    pub step: usize,
    /// The step's title.
    pub title: &'static str,
    /// What failed.
    pub message: String,
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({}) failed: {}",
            self.step, self.title, self.message
        )
    }
}

impl std::error::Error for DemoError {}

/// Runs the demo, printing to `console`. Everything it starts is stopped and removed before it
/// returns, whether it succeeds or not; the error names the step that failed.
pub fn run(options: &Options, console: &Console) -> Result<Outcome, DemoError> {
    let started = Instant::now();
    let outcome = steps::run(options, console)?;
    console.finished(started.elapsed());
    Ok(outcome)
}

/// Runs one step: its heading, `body`, and its time; a failure names the step.
fn step<T>(
    console: &Console,
    number: usize,
    title: &'static str,
    body: impl FnOnce() -> Result<T, String>,
) -> Result<T, DemoError> {
    let failed = |message: String| DemoError {
        step: number,
        title,
        message: if interrupt::interrupted() {
            "interrupted".to_owned()
        } else {
            // One line, also when a tool's log tail came with the error.
            message
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" / ")
        },
    };
    interrupt::check().map_err(failed)?;
    console.step(number, title);
    let started = Instant::now();
    match body().and_then(|value| interrupt::check().map(|()| value)) {
        Ok(value) => {
            console.done(started.elapsed());
            Ok(value)
        }
        Err(message) => {
            console.failed(started.elapsed());
            Err(failed(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_is_one_line_naming_the_step() {
        let (console, captured) = Console::capture();
        let err = step(&console, 4, "Run the image", || -> Result<(), String> {
            Err("runc failed\nlog:\n  line 1\n  line 2".to_owned())
        })
        .expect_err("the body failed");
        assert_eq!(
            err.to_string(),
            "step 4 (Run the image) failed: runc failed / log: / line 1 / line 2"
        );
        assert!(
            captured.text().contains("✗ failed after"),
            "{}",
            captured.text()
        );
    }

    #[test]
    fn a_step_that_works_returns_its_value_and_shows_its_time() {
        let (console, captured) = Console::capture();
        let value = step(&console, 1, "Start", || Ok(7)).expect("works");
        assert_eq!(value, 7);
        let text = captured.text();
        assert!(
            text.contains("▶ [1/7] Start") && text.contains("✓ "),
            "{text}"
        );
    }
}
