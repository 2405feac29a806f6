//! Progress of long transfers, as stores report it: a store is given a [`Progress`] (the
//! command line's reporter, or [`Silent`]), starts a [`Meter`] for each blob it sends or
//! receives, and tells it the bytes as they really move (sent to the network, taken by the
//! daemon), not as the caller hands them over. How, when and whether that is shown is the
//! reporter's business; libraries never print.

use std::fmt;
use std::sync::Arc;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From us to the store.
    Upload,
    /// From the store to us.
    Download,
}

/// A transfer as people watching it know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Which way it goes.
    pub direction: Direction,
    /// What moves, as a person reads it: `layer 'example/node:deps'`, `sha256:0123456789ab`.
    pub name: String,
    /// Bytes in all, when known at the start.
    pub total: Option<u64>,
}

/// Someone watching transfers.
pub trait Progress: Send + Sync {
    /// A transfer starts; the meter returned is told how it goes.
    fn start(&self, transfer: Transfer) -> Meter;
}

impl fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// Watches nothing: the default of every store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _transfer: Transfer) -> Meter {
        Meter::off()
    }
}

/// What a reporter keeps of one transfer. Dropped when the last [`Meter`] of the transfer
/// is: the transfer is over, whole if [`done`](Watch::done) was called, else abandoned.
pub trait Watch: Send + Sync {
    /// `bytes` more moved.
    fn advance(&self, bytes: u64);
    /// The transfer has `total` bytes in all (learned after it started).
    fn set_total(&self, total: u64);
    /// Every byte moved and the store accepted them.
    fn done(&self);
}

/// One transfer being metered; clones meter the same transfer (an upload task and the
/// writer that feeds it).
#[derive(Clone)]
pub struct Meter(Option<Arc<dyn Watch>>);

impl Meter {
    /// A meter telling `watch`.
    pub fn new(watch: impl Watch + 'static) -> Self {
        Self(Some(Arc::new(watch)))
    }

    /// A meter telling no one.
    pub fn off() -> Self {
        Self(None)
    }

    /// `bytes` more moved.
    pub fn advance(&self, bytes: u64) {
        if let Some(watch) = &self.0 {
            watch.advance(bytes);
        }
    }

    /// The transfer has `total` bytes in all.
    pub fn set_total(&self, total: u64) {
        if let Some(watch) = &self.0 {
            watch.set_total(total);
        }
    }

    /// The transfer ended whole.
    pub fn done(&self) {
        if let Some(watch) = &self.0 {
            watch.done();
        }
    }
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Meter"
        } else {
            "Meter(off)"
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    struct Recorder(Arc<Seen>);

    impl Watch for Recorder {
        fn advance(&self, bytes: u64) {
            self.0.0.lock().unwrap().push(format!("+{bytes}"));
        }
        fn set_total(&self, total: u64) {
            self.0.0.lock().unwrap().push(format!("total {total}"));
        }
        fn done(&self) {
            self.0.0.lock().unwrap().push("done".to_owned());
        }
    }

    impl Drop for Recorder {
        fn drop(&mut self) {
            self.0.0.lock().unwrap().push("ended".to_owned());
        }
    }

    #[test]
    fn clones_meter_one_transfer_that_ends_with_the_last_of_them() {
        let seen = Arc::new(Seen::default());
        let meter = Meter::new(Recorder(Arc::clone(&seen)));
        let task = meter.clone();
        meter.advance(3);
        task.advance(4);
        meter.set_total(7);
        drop(meter);
        task.done();
        assert_eq!(
            seen.0.lock().unwrap().last().map(String::as_str),
            Some("done")
        );
        drop(task);
        assert_eq!(
            *seen.0.lock().unwrap(),
            ["+3", "+4", "total 7", "done", "ended"]
        );
    }

    #[test]
    fn silent_progress_hands_out_meters_that_tell_no_one() {
        let meter = Silent.start(Transfer {
            direction: Direction::Upload,
            name: "layer 'x'".to_owned(),
            total: None,
        });
        meter.advance(1);
        meter.done();
        assert_eq!(format!("{meter:?}"), "Meter(off)");
    }
}
