//! Progress as bars redrawn in place on a terminal (indicatif): one bar per transfer that has
//! run for [`SHOW_AFTER`], cleared when it ends. Log lines are written with the bars
//! lifted ([`Bars::suspend`]), so a line never lands inside a bar. No colour.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cnb_image::{Direction, Meter, Transfer, Watch};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a transfer runs before it gets a bar: configs and small layers never flash one.
pub(crate) const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Redraws per second at most.
const REFRESH_HZ: u8 = 10;

const WITH_TOTAL: &str = "{prefix}: [{bar:24}] {binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}, {eta} left";
const WITHOUT_TOTAL: &str = "{prefix}: {binary_bytes}, {binary_bytes_per_sec}";

/// The bars on stderr.
pub(crate) struct Bars {
    multi: MultiProgress,
}

impl Bars {
    pub(crate) fn on_stderr() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(REFRESH_HZ)),
        }
    }

    pub(crate) fn start(&self, transfer: &Transfer) -> Meter {
        let verb = match transfer.direction {
            Direction::Upload => "Uploading",
            Direction::Download => "Downloading",
        };
        Meter::new(Bar {
            multi: self.multi.clone(),
            prefix: format!("{verb} {}", transfer.name),
            started: Instant::now(),
            state: Mutex::new(State {
                bar: None,
                moved: 0,
                total: transfer.total,
            }),
        })
    }

    /// Runs `write` with the bars lifted off the terminal, then draws them again.
    pub(crate) fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        self.multi.suspend(write)
    }
}

/// One transfer's bar, once it has one.
struct Bar {
    multi: MultiProgress,
    prefix: String,
    started: Instant,
    state: Mutex<State>,
}

struct State {
    bar: Option<ProgressBar>,
    moved: u64,
    total: Option<u64>,
}

impl Bar {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The style for a bar with or without a known total.
fn style(total: Option<u64>) -> ProgressStyle {
    let template = if total.is_some() {
        WITH_TOTAL
    } else {
        WITHOUT_TOTAL
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Watch for Bar {
    fn advance(&self, bytes: u64) {
        let mut state = self.state();
        state.moved += bytes;
        let moved = state.moved;
        if let Some(bar) = &state.bar {
            bar.set_position(moved);
            return;
        }
        let elapsed = self.started.elapsed();
        if elapsed < SHOW_AFTER {
            return;
        }
        let bar = ProgressBar::new(state.total.unwrap_or(0))
            .with_style(style(state.total))
            .with_prefix(self.prefix.clone())
            .with_position(moved)
            .with_elapsed(elapsed);
        state.bar = Some(self.multi.add(bar));
    }

    fn set_total(&self, total: u64) {
        let mut state = self.state();
        state.total = Some(total);
        if let Some(bar) = &state.bar {
            bar.set_length(total);
            bar.set_style(style(Some(total)));
        }
    }

    fn done(&self) {}
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.state().bar.take() {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}
