//! The one tracing subscriber: the lines platforms and people read, in the Go lifecycle's shape.
//! Info and debug lines are plain text on stdout; warnings go to stderr as `Warning: …` and
//! errors as `ERROR: …`. Colour only when asked for and stderr is a terminal. Beside it, the
//! one progress reporter (`progress.rs`) at the info level and below, which stores get from
//! [`progress`]; log lines are written where they cannot break its bars.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

use cnb_image::{Progress, Silent};
use cnb_platform::LogLevel;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::output;
use crate::progress::Reporter;

/// The reporter, once [`init`] made one.
static REPORTER: OnceLock<Arc<Reporter>> = OnceLock::new();

/// Installs the subscriber, and the progress reporter unless `level` is above info; later calls
/// keep the first ones (tests call this repeatedly).
pub(crate) fn init(level: LogLevel, no_color: bool) {
    let color = !no_color && std::io::stderr().is_terminal();
    let reporter =
        matches!(level, LogLevel::Debug | LogLevel::Info).then(|| Arc::new(Reporter::for_stderr()));
    let layer = GoLines {
        max: max_level(level),
        color,
        reporter: reporter.clone(),
    };
    if tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
        && let Some(reporter) = reporter
    {
        let _ = REPORTER.set(reporter);
    }
}

/// Where stores report their transfers: the reporter, or no one (above the info level, or
/// before [`init`]).
pub(crate) fn progress() -> Arc<dyn Progress> {
    match REPORTER.get() {
        Some(reporter) => Arc::clone(reporter) as Arc<dyn Progress>,
        None => Arc::new(Silent),
    }
}

fn max_level(level: LogLevel) -> Level {
    match level {
        LogLevel::Debug => Level::DEBUG,
        LogLevel::Info => Level::INFO,
        LogLevel::Warn => Level::WARN,
        LogLevel::Error => Level::ERROR,
    }
}

struct GoLines {
    max: Level,
    color: bool,
    /// Lines are written with its bars lifted.
    reporter: Option<Arc<Reporter>>,
}

impl<S: Subscriber> Layer<S> for GoLines {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        // Our crates only: a dependency's debug chatter is not the platform's business.
        *metadata.level() <= self.max && metadata.target().starts_with("cnb")
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = Line::default();
        event.record(&mut line);
        let mut text = line.message;
        text.push_str(&line.fields);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let write = || match *event.metadata().level() {
            Level::ERROR => output::stderr(&format!("{}{text}", self.prefix("ERROR: ", "31"))),
            Level::WARN => output::stderr(&format!("{}{text}", self.prefix("Warning: ", "33"))),
            _ => output::stdout(&text),
        };
        match &self.reporter {
            Some(reporter) => reporter.suspend(write),
            None => write(),
        }
    }
}

impl GoLines {
    fn prefix(&self, prefix: &str, ansi: &str) -> String {
        if self.color {
            format!("\x1b[{ansi};1m{prefix}\x1b[0m")
        } else {
            prefix.to_owned()
        }
    }
}

#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
