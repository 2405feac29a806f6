use std::sync::Mutex;

use pretty_assertions::assert_eq;

use super::*;

const MIB: u64 = 1024 * 1024;

/// A clock that moves only when told.
struct Manual(Mutex<Instant>);

impl Manual {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Instant::now())))
    }

    fn pass(&self, span: Duration) {
        *self.0.lock().unwrap() += span;
    }
}

impl Clock for Manual {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

/// Lines on a manual clock, and what they wrote.
fn lines() -> (Lines, Arc<Manual>, Arc<Mutex<Vec<String>>>) {
    let clock = Manual::new();
    let written = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&written);
    let write: Arc<Write> = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned()));
    (
        Lines::new(Arc::clone(&clock) as Arc<dyn Clock>, write),
        clock,
        written,
    )
}

fn upload(name: &str, total: Option<u64>) -> Transfer {
    Transfer {
        direction: Direction::Upload,
        name: name.to_owned(),
        total,
    }
}

#[test]
fn a_transfer_over_before_the_interval_prints_nothing() {
    let (lines, clock, written) = lines();
    let meter = lines.start(upload("layer 'small'", None));
    for _ in 0..100 {
        clock.pass(Duration::from_millis(49));
        meter.advance(MIB);
    }
    meter.done();
    drop(meter);
    assert!(written.lock().unwrap().is_empty());
}

#[test]
fn a_long_transfer_prints_one_line_per_interval_and_a_closing_line() {
    let (lines, clock, written) = lines();
    let meter = lines.start(upload("layer 'big'", None));
    // 2 MiB every half second for 12 s: lines at 5 s and 10 s, whatever the call rate.
    for _ in 0..24 {
        clock.pass(Duration::from_millis(500));
        meter.advance(2 * MIB);
    }
    meter.set_total(48 * MIB);
    meter.done();
    drop(meter);
    assert_eq!(
        *written.lock().unwrap(),
        [
            "Uploading layer 'big': 20.0 MiB so far, 4.0 MiB/s\n",
            "Uploading layer 'big': 40.0 MiB so far, 4.0 MiB/s\n",
            "Uploaded layer 'big': 48.0 MiB in 12s\n",
        ]
    );
}

#[test]
fn a_known_total_gives_the_share_done_and_the_time_left_at_the_recent_rate() {
    let (lines, clock, written) = lines();
    let meter = lines.start(Transfer {
        direction: Direction::Download,
        name: "sha256:0123456789ab".to_owned(),
        total: Some(1024 * MIB),
    });
    clock.pass(Duration::from_secs(5));
    meter.advance(100 * MIB);
    // Slower for the next interval: the estimate follows the recent rate.
    clock.pass(Duration::from_secs(10));
    meter.advance(100 * MIB);
    drop(meter);
    assert_eq!(
        *written.lock().unwrap(),
        [
            "Downloading sha256:0123456789ab: 100.0 MiB of 1.0 GiB (9%), 20.0 MiB/s, about 47s left\n",
            "Downloading sha256:0123456789ab: 200.0 MiB of 1.0 GiB (19%), 10.0 MiB/s, about 1m23s left\n",
        ],
        "abandoned (dropped without done): no closing line"
    );
}

#[test]
fn a_stalled_transfer_says_so_without_a_time_left() {
    let mut pace = Pace::new(Instant::now(), Some(10 * MIB), INTERVAL);
    let start = pace.started;
    assert_eq!(pace.due(start + Duration::from_millis(4999)), None);
    let report = pace.due(start + INTERVAL).expect("due");
    assert_eq!(
        report.line(Direction::Upload, "a blob"),
        "Uploading a blob: 0 B of 10.0 MiB (0%), 0 B/s\n"
    );
    assert_eq!(pace.due(start + INTERVAL + Duration::from_secs(4)), None);
}

#[test]
fn more_bytes_than_announced_read_as_an_unknown_total() {
    let report = Report {
        moved: 11,
        total: Some(10),
        rate: 11,
    };
    assert_eq!(
        report.line(Direction::Upload, "a blob"),
        "Uploading a blob: 11 B so far, 11 B/s\n"
    );
}

#[test]
fn units_are_binary_and_durations_short() {
    assert_eq!(bytes(0), "0 B");
    assert_eq!(bytes(1023), "1023 B");
    assert_eq!(bytes(1536), "1.5 KiB");
    assert_eq!(bytes(312 * MIB + MIB / 2), "312.5 MiB");
    assert_eq!(bytes(1024 * MIB), "1.0 GiB");
    assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    assert_eq!(duration(Duration::from_millis(400)), "0s");
    assert_eq!(duration(Duration::from_millis(59_500)), "1m00s");
    assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    assert_eq!(duration(Duration::from_mins(62)), "1h02m");
    assert_eq!(duration(Duration::MAX), "5124095576030431h00m");
}

#[test]
fn lines_never_name_what_platforms_scrape() {
    let report = Report {
        moved: 5 * MIB,
        total: Some(50 * MIB),
        rate: MIB,
    };
    for direction in [Direction::Upload, Direction::Download] {
        let line = report.line(direction, "layer 'x'");
        assert!(!line.contains("digest") && !line.contains("tags"), "{line}");
        assert_eq!(line.matches('\n').count(), 1, "one whole line: {line}");
    }
}
