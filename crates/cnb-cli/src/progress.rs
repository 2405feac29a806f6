//! The one progress reporter: what stores tell about their transfers
//! ([`cnb_image::Progress`]), shown on stderr, away from the stdout lines platforms parse
//! (`*** Images`, the digest lines). On a terminal, bars redrawn in place (`bars.rs`); else
//! (a pipe, a file, a terminal whose `TERM` is unset or `dumb`) plain lines, at most one per
//! transfer every few seconds (`lines.rs`). None at all above the info log level
//! (`-log-level warn` or `error`).

mod bars;
mod lines;

use std::sync::Arc;

use cnb_image::{Meter, Progress, Transfer};

use crate::output;
use bars::Bars;
use lines::{Lines, SystemClock};

/// How progress is shown.
pub(crate) enum Reporter {
    /// Bars, when stderr is a terminal.
    Bars(Bars),
    /// Lines, when it is not.
    Lines(Lines),
}

impl Reporter {
    /// Bars when stderr is a terminal that can redraw them, else lines.
    pub(crate) fn for_stderr() -> Self {
        match Bars::on_stderr() {
            Some(bars) => Self::Bars(bars),
            None => Self::Lines(Lines::new(
                Arc::new(SystemClock),
                Arc::new(|line: &str| output::stderr(line)),
            )),
        }
    }

    /// Runs `write` (a log line going out) where it cannot break a bar.
    pub(crate) fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        match self {
            Self::Bars(bars) => bars.suspend(write),
            Self::Lines(_) => write(),
        }
    }
}

impl Progress for Reporter {
    fn start(&self, transfer: Transfer) -> Meter {
        match self {
            Self::Bars(bars) => bars.start(&transfer),
            Self::Lines(lines) => lines.start(transfer),
        }
    }
}
