//! The resolver's log, held back until detection ends (as the Go lifecycle does): when a group
//! passes, each line is logged at its own level; when none does, every line is shown, debug
//! lines included, so that the platform sees why.

/// A log line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Debug,
    Info,
}

/// Lines in the order they were written.
#[derive(Debug, Default)]
pub(crate) struct Log {
    lines: Vec<(Level, String)>,
}

impl Log {
    pub(crate) fn debug(&mut self, line: impl Into<String>) {
        self.lines.push((Level::Debug, line.into()));
    }

    pub(crate) fn info(&mut self, line: impl Into<String>) {
        self.lines.push((Level::Info, line.into()));
    }

    pub(crate) fn at(&mut self, level: Level, line: impl Into<String>) {
        self.lines.push((level, line.into()));
    }

    #[cfg(test)]
    pub(crate) fn lines(&self) -> impl Iterator<Item = (Level, &str)> {
        self.lines
            .iter()
            .map(|(level, line)| (*level, line.as_str()))
    }

    /// Emits the lines through `tracing`: at their own level, or all as info when `everything`.
    pub(crate) fn flush(self, everything: bool) {
        for (level, line) in self.lines {
            match (everything, level) {
                (true, _) | (false, Level::Info) => tracing::info!("{line}"),
                (false, Level::Debug) => tracing::debug!("{line}"),
            }
        }
    }
}
