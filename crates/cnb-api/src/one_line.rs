//! The one error formatter every crate uses: an error and its causes as one line, the Go
//! lifecycle's `<error>: <cause>: …` shape, for `ERROR:` lines and warnings alike.

use std::error::Error;

/// `error` and each of its sources joined with `": "`, on one line: line breaks inside any
/// message become spaces (a child process or a server may put them there), and a cause whose
/// text the chain already ends with is not repeated (an error that prints its source itself).
pub fn one_line(error: &dyn Error) -> String {
    let mut text = flatten(&error.to_string());
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = flatten(&cause.to_string());
        if !cause_text.is_empty() && !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `text` on one line, its line breaks flattened as [`one_line`] flattens an error's: for a
/// message that is not an error but quotes outside text (an argument, a name).
pub fn one_line_text(text: &str) -> String {
    flatten(text)
}

/// `text` with every run of line breaks (and the spaces around them) as one space, trimmed.
fn flatten(text: &str) -> String {
    if !text.contains(['\n', '\r']) {
        return text.to_owned();
    }
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<Layer>>,
    }

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.text)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source
                .as_deref()
                .map(|layer| layer as &(dyn Error + 'static))
        }
    }

    fn layers(texts: &[&'static str]) -> Layer {
        texts
            .iter()
            .rev()
            .fold(None, |source, text| {
                Some(Layer {
                    text,
                    source: source.map(Box::new),
                })
            })
            .expect("at least one layer")
    }

    #[test]
    fn joins_the_causes_with_a_colon() {
        let error = layers(&["reading group.toml", "permission denied (os error 13)"]);
        assert_eq!(
            one_line(&error),
            "reading group.toml: permission denied (os error 13)"
        );
    }

    #[test]
    fn line_breaks_become_single_spaces() {
        let error = layers(&["running bin/generate\n", "line one\r\n  line two\n\n"]);
        assert_eq!(one_line(&error), "running bin/generate: line one line two");
    }

    #[test]
    fn a_cause_the_message_already_ends_with_is_not_repeated() {
        let error = layers(&["parsing: expected `=`", "expected `=`", "io"]);
        assert_eq!(one_line(&error), "parsing: expected `=`: io");
    }

    #[test]
    fn an_empty_cause_adds_nothing() {
        let error = layers(&["failed", ""]);
        assert_eq!(one_line(&error), "failed");
    }
}
