//! What can be wrong with a Dockerfile: reading it, its syntax (always with the line), the
//! rules of the extension spec, and expanding a variable.

use std::path::PathBuf;

use crate::rules::Kind;

/// A Dockerfile that could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The Dockerfile.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file's text is not a valid Dockerfile.
    #[error("parsing {}", path.display())]
    Parse {
        /// The Dockerfile.
        path: PathBuf,
        /// The line and what is wrong with it.
        source: Problem,
    },
}

/// What is wrong with a Dockerfile's text, with its (1-based) line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The file holds no instruction at all.
    #[error("the file has no instructions")]
    Empty,
    /// A parser directive appears twice.
    #[error("line {line}: only one '{name}' parser directive is allowed")]
    RepeatedDirective {
        /// The line.
        line: usize,
        /// The directive, lowercased.
        name: String,
    },
    /// `# escape=` names something other than `\` or `` ` ``.
    #[error("line {line}: escape character '{value}' is neither '\\' nor '`'")]
    InvalidEscape {
        /// The line.
        line: usize,
        /// The value given.
        value: String,
    },
    /// The keyword is not a Dockerfile instruction.
    #[error("line {line}: unknown instruction {keyword}")]
    UnknownInstruction {
        /// The line.
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// An instruction other than ARG comes before the first FROM.
    #[error("line {line}: {instruction} before the first FROM (only ARG may come first)")]
    BeforeFrom {
        /// The line.
        line: usize,
        /// The instruction.
        instruction: &'static str,
    },
    /// An instruction's arguments do not have the shape it needs.
    #[error("line {line}: {instruction} {expected}")]
    Arguments {
        /// The line.
        line: usize,
        /// The instruction.
        instruction: &'static str,
        /// What it needs, such as "requires at least one argument".
        expected: &'static str,
    },
    /// A `--flag` the instruction does not have.
    #[error("line {line}: {instruction} has no flag --{flag}")]
    UnknownFlag {
        /// The line.
        line: usize,
        /// The instruction.
        instruction: &'static str,
        /// The flag's name.
        flag: String,
    },
    /// A JSON-form argument list holds something other than strings.
    #[error("line {line}: {instruction}: a JSON array must hold only strings")]
    JsonNotStrings {
        /// The line.
        line: usize,
        /// The instruction.
        instruction: &'static str,
    },
    /// A heredoc's terminating word never comes.
    #[error("line {line}: heredoc '{delimiter}' is never terminated")]
    UnterminatedHeredoc {
        /// The line of the instruction that opened it.
        line: usize,
        /// The word that would end it.
        delimiter: String,
    },
    /// A Dockerfile of an extension has a second FROM.
    #[error("{} line {line}: a second FROM; multi-stage builds are not permitted", kind.file_name())]
    MultiStage {
        /// Which Dockerfile.
        kind: Kind,
        /// The line of the second FROM.
        line: usize,
    },
    /// A Dockerfile of an extension has no FROM.
    #[error("{} has no FROM instruction", kind.file_name())]
    NoStage {
        /// Which Dockerfile.
        kind: Kind,
    },
    /// A build.Dockerfile does not declare exactly `ARG base_image` before its FROM.
    #[error(
        "build.Dockerfile must begin with 'ARG base_image' as the only ARG before FROM (found {found})"
    )]
    BuildPreambleArg {
        /// What the file declares before FROM, such as "no ARG" or "ARG other".
        found: String,
    },
    /// A build.Dockerfile's FROM is not literally `${base_image}`.
    #[error(
        "build.Dockerfile line {line}: FROM must name '${{base_image}}' literally, not '{found}'"
    )]
    BuildPreambleFrom {
        /// The line of the FROM.
        line: usize,
        /// The image the FROM names.
        found: String,
    },
}

/// A variable could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpansionError {
    /// `${name:?message}` (or `${name?message}`) with the variable unset (or empty).
    #[error("{name}: {message}")]
    Required {
        /// The variable.
        name: String,
        /// The message given, or a default one.
        message: String,
    },
    /// `${` without its closing `}`, or a quote without its closing quote.
    #[error("missing {missing} in '{word}'")]
    Unterminated {
        /// What is missing, such as "'}'" or "closing double quote".
        missing: &'static str,
        /// The word being expanded.
        word: String,
    },
    /// `${…}` nested deeper than anything but a hostile file does.
    #[error(
        "substitutions nested more than {} deep in '{word}'",
        crate::expand::MAX_NESTING
    )]
    TooDeep {
        /// The word being expanded.
        word: String,
    },
    /// A `${…}` form Docker has but this expander does not (pattern removal, replacement), or
    /// one that is not valid at all.
    #[error("unsupported substitution '{form}' in '{word}'")]
    Unsupported {
        /// The form, such as `${name#`.
        form: String,
        /// The word being expanded.
        word: String,
    },
}
