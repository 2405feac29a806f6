//! What the demo prints: numbered steps with the time each took, indented facts, and the
//! output of the tools it runs passed through dimmed. Colour only when asked for (main asks
//! on a terminal without `NO_COLOR`).

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How many steps the demo has (shown as `n/STEPS`).
pub const STEPS: usize = 7;

#[derive(Clone, Copy)]
enum Style {
    Step,
    Ok,
    Fail,
    Dim,
    Key,
    Accent,
}

impl Style {
    fn sgr(self) -> &'static str {
        match self {
            Style::Step => "1;36",
            Style::Ok => "1;32",
            Style::Fail => "1;31",
            Style::Dim => "2",
            Style::Key => "1",
            Style::Accent => "33",
        }
    }
}

/// The demo's output stream, shared with the threads that pass tool output through.
#[derive(Clone)]
pub struct Console {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    color: bool,
}

impl Console {
    /// Prints to `out`, with ANSI colours when `color` is set.
    pub fn new(out: Box<dyn Write + Send>, color: bool) -> Self {
        Self {
            out: Arc::new(Mutex::new(out)),
            color,
        }
    }

    /// A console without colour that keeps everything printed, for tests; the returned
    /// [`Captured`] reads it.
    pub fn capture() -> (Self, Captured) {
        let captured = Captured::default();
        (Self::new(Box::new(captured.clone()), false), captured)
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", style.sgr())
        } else {
            text.to_owned()
        }
    }

    fn write_line(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // Output that cannot be written (a closed pipe) must not fail the demo.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// The heading of step `number`.
    pub(crate) fn step(&self, number: usize, title: &str) {
        self.write_line("");
        self.write_line(&self.paint(Style::Step, &format!("▶ [{number}/{STEPS}] {title}")));
    }

    /// The end of a step that worked.
    pub(crate) fn done(&self, elapsed: Duration) {
        self.write_line(&self.paint(Style::Ok, &format!("  ✓ {}", seconds(elapsed))));
    }

    /// The end of a step that failed.
    pub(crate) fn failed(&self, elapsed: Duration) {
        self.write_line(&self.paint(
            Style::Fail,
            &format!("  ✗ failed after {}", seconds(elapsed)),
        ));
    }

    /// A line of text under the current step.
    pub(crate) fn info(&self, text: &str) {
        self.write_line(&format!("  {text}"));
    }

    /// `key  value` under the current step, the key in bold.
    pub(crate) fn field(&self, key: &str, value: &str) {
        let key = format!("{key:<16}");
        self.write_line(&format!("  {} {value}", self.paint(Style::Key, &key)));
    }

    /// A line that makes the step's point (what was reused, what the app answered).
    pub(crate) fn highlight(&self, text: &str) {
        self.write_line(&format!("  {}", self.paint(Style::Accent, text)));
    }

    /// A line of a tool's output, indented and dimmed.
    pub(crate) fn tool(&self, text: &str) {
        self.write_line(&self.paint(Style::Dim, &format!("    │ {text}")));
    }

    /// The closing line.
    pub(crate) fn finished(&self, elapsed: Duration) {
        self.write_line("");
        self.write_line(&self.paint(
            Style::Ok,
            &format!("Demo finished in {}.", seconds(elapsed)),
        ));
    }
}

/// Everything a [`Console::capture`] console printed.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text printed so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `1.23 s`.
pub(crate) fn seconds(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}

/// `523 B`, `4.2 kB`, `1.1 MB` (powers of ten, as registries and skopeo count).
pub(crate) fn size(bytes: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a display value with one decimal"
    )]
    let value = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", value / 1e3)
    } else {
        format!("{:.1} MB", value / 1e6)
    }
}

/// `sha256:0123456789ab` (the first 12 hex digits).
pub(crate) fn short(digest: &str) -> &str {
    let end = digest.find(':').map_or(0, |colon| colon + 1) + 12;
    digest.get(..end).unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_powers_of_ten() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_200), "4.2 kB");
        assert_eq!(size(1_090_000), "1.1 MB");
    }

    #[test]
    fn short_digests_keep_the_algorithm_and_twelve_digits() {
        assert_eq!(short("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short("sha256:0123"), "sha256:0123");
    }

    #[test]
    fn a_captured_console_has_no_colour_codes() {
        let (console, captured) = Console::capture();
        console.step(1, "Start");
        console.field("key", "value");
        console.tool("line");
        let text = captured.text();
        assert!(text.contains("▶ [1/7] Start"), "{text}");
        assert!(text.contains("    │ line"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
    }
}
