//! Progress as bars redrawn in place on a terminal (indicatif): one bar per transfer that has
//! run for [`SHOW_AFTER`], cleared when it ends, its figures worked out as a line's are
//! (`lines.rs`), once a second. Log lines are written with the bars lifted
//! ([`Bars::suspend`]), so a line never lands inside a bar. No colour.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cnb_image::{Meter, Transfer, Watch};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::lines::{Pace, going};

/// How long a transfer runs before it gets a bar (configs and small layers never flash one),
/// and how often its figures (size, rate, time left) are worked out again.
pub(crate) const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Redraws per second at most.
const REFRESH_HZ: u8 = 10;

/// The bar, and the figures a line has (`Report::figures` in `lines.rs`).
const WITH_TOTAL: &str = "{prefix}: [{bar:24}] {msg}";
const WITHOUT_TOTAL: &str = "{prefix}: {msg}";

/// The bars on stderr.
pub(crate) struct Bars {
    multi: MultiProgress,
}

impl Bars {
    /// Bars on stderr, if it is a terminal that can redraw them (indicatif's judgement: a
    /// TTY, with `TERM` set and not `dumb`).
    pub(crate) fn on_stderr() -> Option<Self> {
        let target = ProgressDrawTarget::stderr_with_hz(REFRESH_HZ);
        (!target.is_hidden()).then(|| Self {
            multi: MultiProgress::with_draw_target(target),
        })
    }

    pub(crate) fn start(&self, transfer: &Transfer) -> Meter {
        Meter::new(Bar {
            multi: self.multi.clone(),
            prefix: format!("{} {}", going(transfer.direction), transfer.name),
            state: Mutex::new(State {
                bar: None,
                pace: Pace::new(Instant::now(), transfer.total, SHOW_AFTER),
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
    state: Mutex<State>,
}

struct State {
    bar: Option<ProgressBar>,
    pace: Pace,
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
        state.pace.moved += bytes;
        let Some(report) = state.pace.due(Instant::now()) else {
            if let Some(bar) = &state.bar {
                bar.set_position(state.pace.moved);
            }
            return;
        };
        let (moved, total) = (state.pace.moved, state.pace.total);
        if let Some(bar) = &state.bar {
            bar.set_position(moved);
            bar.set_message(report.figures());
        } else {
            let bar = ProgressBar::new(total.unwrap_or(0))
                .with_style(style(total))
                .with_prefix(self.prefix.clone())
                .with_position(moved)
                .with_message(report.figures());
            state.bar = Some(self.multi.add(bar));
        }
    }

    fn set_total(&self, total: u64) {
        let mut state = self.state();
        state.pace.total = Some(total);
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
