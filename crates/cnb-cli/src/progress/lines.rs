//! Progress as plain lines, for logs (a pipe, a file, a CI job): one line per transfer at most
//! every [`INTERVAL`], only for a transfer still running then, so small and fast blobs print
//! nothing; and one closing line for a transfer that printed any. Lines are written whole, one
//! write each, so they never split a log line.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cnb_image::{Direction, Meter, Transfer, Watch};

/// The least time between two lines about one transfer, and before the first.
pub(crate) const INTERVAL: Duration = Duration::from_secs(5);

/// Where the time comes from (a test moves its own).
pub(crate) trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The time.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Writes one whole line.
pub(crate) type Write = dyn Fn(&str) + Send + Sync;

/// Starts a [`Paced`] watch per transfer.
pub(crate) struct Lines {
    clock: Arc<dyn Clock>,
    write: Arc<Write>,
}

impl Lines {
    pub(crate) fn new(clock: Arc<dyn Clock>, write: Arc<Write>) -> Self {
        Self { clock, write }
    }

    pub(crate) fn start(&self, transfer: Transfer) -> Meter {
        let pace = Pace::new(self.clock.now(), transfer.total, INTERVAL);
        Meter::new(Paced {
            direction: transfer.direction,
            name: transfer.name,
            pace: Mutex::new(pace),
            clock: Arc::clone(&self.clock),
            write: Arc::clone(&self.write),
        })
    }
}

/// One transfer reported in lines.
struct Paced {
    direction: Direction,
    name: String,
    pace: Mutex<Pace>,
    clock: Arc<dyn Clock>,
    write: Arc<Write>,
}

impl Paced {
    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Watch for Paced {
    fn advance(&self, bytes: u64) {
        let now = self.clock.now();
        let report = {
            let mut pace = self.pace();
            pace.moved += bytes;
            pace.due(now)
        };
        if let Some(report) = report {
            (self.write)(&report.line(self.direction, &self.name));
        }
    }

    fn set_total(&self, total: u64) {
        self.pace().total = Some(total);
    }

    fn done(&self) {
        self.pace().finished = true;
    }
}

impl Drop for Paced {
    fn drop(&mut self) {
        let now = self.clock.now();
        if let Some(line) = self.pace().closing(now, self.direction, &self.name) {
            (self.write)(&line);
        }
    }
}

/// How far one transfer is, and when it was last reported (lines and bars alike).
#[derive(Debug)]
pub(crate) struct Pace {
    started: Instant,
    /// The least time between reports, and before the first.
    interval: Duration,
    pub(crate) moved: u64,
    pub(crate) total: Option<u64>,
    /// When the last line was written, and the bytes moved by then.
    last: Option<(Instant, u64)>,
    finished: bool,
}

/// What one line says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    moved: u64,
    total: Option<u64>,
    /// Bytes per second since the last line (or the start).
    rate: u64,
}

impl Pace {
    pub(crate) fn new(started: Instant, total: Option<u64>, interval: Duration) -> Self {
        Self {
            started,
            interval,
            moved: 0,
            total,
            last: None,
            finished: false,
        }
    }

    /// The report due at `now`: one interval after the start or the last report.
    pub(crate) fn due(&mut self, now: Instant) -> Option<Report> {
        let (since, moved_then) = self.last.unwrap_or((self.started, 0));
        let elapsed = now.saturating_duration_since(since);
        if elapsed < self.interval {
            return None;
        }
        self.last = Some((now, self.moved));
        let moved = u128::from(self.moved.saturating_sub(moved_then));
        let rate = moved * 1000 / elapsed.as_millis().max(1);
        let rate = u64::try_from(rate).unwrap_or(u64::MAX);
        Some(Report {
            moved: self.moved,
            total: self.total,
            rate,
        })
    }

    /// The closing line at `now`: for a transfer that ended whole after a line about it.
    fn closing(&self, now: Instant, direction: Direction, name: &str) -> Option<String> {
        if !self.finished || self.last.is_none() {
            return None;
        }
        let took = now.saturating_duration_since(self.started);
        let verb = match direction {
            Direction::Upload => "Uploaded",
            Direction::Download => "Downloaded",
        };
        Some(format!(
            "{verb} {name}: {} in {}\n",
            bytes(self.moved),
            duration(took)
        ))
    }
}

impl Report {
    /// `Uploading layer 'x': 312.0 MiB of 1.0 GiB (30%), 41.2 MiB/s, about 17s left`, or
    /// without a known total `Uploading layer 'x': 312.0 MiB so far, 41.2 MiB/s`.
    pub(crate) fn line(&self, direction: Direction, name: &str) -> String {
        format!(
            "{} {name}: {}
",
            going(direction),
            self.figures()
        )
    }

    /// The figures of [`line`](Self::line): `312.0 MiB of 1.0 GiB (30%), 41.2 MiB/s, about
    /// 17s left`.
    pub(crate) fn figures(&self) -> String {
        let rate = format!("{}/s", bytes(self.rate));
        match self.total {
            Some(total) if total >= self.moved && total > 0 => {
                let percent = u128::from(self.moved) * 100 / u128::from(total);
                let left = if self.rate > 0 {
                    let left = Duration::from_secs((total - self.moved).div_ceil(self.rate));
                    format!(", about {} left", duration(left))
                } else {
                    String::new()
                };
                format!(
                    "{} of {} ({percent}%), {rate}{left}",
                    bytes(self.moved),
                    bytes(total)
                )
            }
            _ => format!("{} so far, {rate}", bytes(self.moved)),
        }
    }
}

/// `Uploading` or `Downloading`.
pub(crate) fn going(direction: Direction) -> &'static str {
    match direction {
        Direction::Upload => "Uploading",
        Direction::Download => "Downloading",
    }
}

/// `512 B`, `1.5 KiB`, `312.0 MiB`, `1.0 GiB`: binary units, one decimal (rounded).
pub(crate) fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut unit = 0;
    let mut divisor: u128 = 1024;
    while u128::from(count) >= divisor * 1024 && unit + 1 < UNITS.len() {
        divisor *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(count) * 10 + divisor / 2) / divisor;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// `17s`, `2m05s`, `1h02m`, rounded to the second.
pub(crate) fn duration(span: Duration) -> String {
    let seconds = span
        .as_secs()
        .saturating_add(u64::from(span.subsec_millis() >= 500));
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests;
