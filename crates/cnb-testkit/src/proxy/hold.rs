//! The proxy's held requests: a worker holding a request waits here until the test
//! releases it (or the proxy stops), and the test waits here until enough requests are held.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::lock;

#[derive(Default)]
pub(super) struct Holds {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Requests held since the proxy started.
    held: usize,
    /// Bumped by each release; a holder waits for a bump after it began holding.
    releases: u64,
    stopped: bool,
}

impl Holds {
    /// Counts one held request and blocks until the next release or the stop.
    pub(super) fn hold(&self) {
        let mut state = lock(&self.state);
        state.held += 1;
        let began = state.releases;
        self.changed.notify_all();
        while state.releases == began && !state.stopped {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Whether `count` requests were held within `timeout`.
    pub(super) fn wait_held(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.state);
        while state.held < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Lets every held request go.
    pub(super) fn release(&self) {
        lock(&self.state).releases += 1;
        self.changed.notify_all();
    }

    /// Lets every held request go, and any later one too.
    pub(super) fn stop(&self) {
        lock(&self.state).stopped = true;
        self.changed.notify_all();
    }
}
