//! [`Section`]: the difference lines about one thing (the manifest, the config, one label, one
//! layer), each starting with the same prefix, at most so many of them, the rest counted.

/// Lines of one section, capped.
#[derive(Debug)]
pub(crate) struct Section {
    prefix: String,
    lines: Vec<String>,
    more: usize,
    cap: usize,
}

impl Section {
    /// A section whose lines start with `prefix: ` and of which at most `cap` are kept.
    pub(crate) fn new(prefix: impl Into<String>, cap: usize) -> Self {
        Self {
            prefix: prefix.into(),
            lines: Vec::new(),
            more: 0,
            cap,
        }
    }

    /// Adds a line (kept if the cap allows, counted anyway).
    pub(crate) fn push(&mut self, text: impl AsRef<str>) {
        if self.lines.len() < self.cap {
            self.lines
                .push(format!("{}: {}", self.prefix, text.as_ref()));
        } else {
            self.more += 1;
        }
    }

    /// Counts `count` differences that were not kept elsewhere (the file comparison keeps its
    /// own first lines).
    pub(crate) fn add_more(&mut self, count: usize) {
        self.more += count;
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.more == 0
    }

    /// The kept lines, then `<prefix>: … and N more differences` when some were not kept.
    pub(crate) fn into_lines(self) -> Vec<String> {
        let mut lines = self.lines;
        match self.more {
            0 => {}
            1 => lines.push(format!("{}: … and 1 more difference", self.prefix)),
            more => lines.push(format!("{}: … and {more} more differences", self.prefix)),
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_cap_are_counted() {
        let mut section = Section::new("config", 2);
        assert!(section.is_empty());
        for line in ["a", "b", "c", "d"] {
            section.push(line);
        }
        assert_eq!(
            section.into_lines(),
            ["config: a", "config: b", "config: … and 2 more differences"]
        );
    }
}
