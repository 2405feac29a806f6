//! `.dockerignore` at the top of a build context, as Docker and kaniko read it: one pattern a
//! line (`#` comments and blank lines skipped), `!` re-includes, `**` stands for any number of
//! directories, other elements match as Go's `filepath.Match`; a pattern that matches a
//! directory excludes everything in it; the last pattern that matches decides.

use std::path::{Component, Path};

use super::glob_match;
use crate::error::StepError;

const FILE: &str = ".dockerignore";

/// The patterns of a context's `.dockerignore` (none without the file).
#[derive(Debug, Clone, Default)]
pub(crate) struct DockerIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    include: bool,
    elements: Vec<String>,
}

impl DockerIgnore {
    /// Reads `<context>/.dockerignore`.
    pub(crate) fn read(context: &Path) -> Result<Self, StepError> {
        let path = context.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(StepError::Io {
                    action: "reading",
                    path,
                    source,
                });
            }
        };
        Ok(Self::parse(&text))
    }

    fn parse(text: &str) -> Self {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (include, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let elements: Vec<String> = clean(pattern);
                (!elements.is_empty()).then_some(Pattern { include, elements })
            })
            .collect();
        Self { patterns }
    }

    /// Whether `relative` (a path inside the context) is left out.
    pub(crate) fn excludes(&self, relative: &Path) -> bool {
        let path = clean(&relative.to_string_lossy());
        let mut excluded = false;
        for pattern in &self.patterns {
            let hit = (1..=path.len()).any(|len| matches(&pattern.elements, &path[..len]));
            if hit {
                excluded = !pattern.include;
            }
        }
        excluded
    }

    /// Whether some pattern re-includes paths (so an excluded directory may hold some).
    pub(crate) fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.include)
    }
}

/// The normal elements of a path or pattern, `..` resolved, leading `/` dropped.
fn clean(text: &str) -> Vec<String> {
    let mut elements: Vec<String> = Vec::new();
    for component in Path::new(text).components() {
        match component {
            Component::Normal(name) => elements.push(name.to_string_lossy().into_owned()),
            Component::ParentDir => {
                elements.pop();
            }
            _ => {}
        }
    }
    elements
}

fn matches(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| matches(rest, &path[skip..]))
        }
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(name, others)| glob_match(first, name) && matches(rest, others)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_exclude_paths_and_what_is_under_them_and_the_last_match_wins() {
        let ignore = DockerIgnore::parse(
            "# comment\n\nnode_modules\n*.log\n**/secret\n!keep.log\n/build/out\n",
        );
        for excluded in [
            "node_modules",
            "node_modules/x/y.js",
            "debug.log",
            "a/b/secret",
            "secret",
            "build/out/bin",
        ] {
            assert!(ignore.excludes(Path::new(excluded)), "{excluded}");
        }
        for kept in ["keep.log", "src/main.js", "build/other", "a/debug.log"] {
            assert!(!ignore.excludes(Path::new(kept)), "{kept}");
        }
        assert!(ignore.has_exceptions());
        assert!(!DockerIgnore::default().excludes(Path::new("anything")));
    }
}
