//! A parser with the exact syntax of Go's `flag` package, which every platform's command lines
//! are written for: `-f v`, `-f=v`, `--f`, `--f=v`; bool flags bare or `-f=true|false` (so
//! `-f false` leaves `false` as a positional); parsing stops at the first non-flag argument or
//! after `--`; `-h`/`-help` ask for usage unless a flag of that name exists.

use cnb_platform::{FlagDef, FlagKind, FlagValues, parse_bool, parse_duration, parse_int};

/// Why a command line did not parse. Go prints the message, then the usage, and exits 2
/// (0 for a help request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FlagError {
    /// `-h` or `-help` was given.
    #[error("help requested")]
    Help,
    /// A flag this phase does not define at this Platform API.
    #[error("flag provided but not defined: -{0}")]
    Undefined(String),
    /// `---x`, `-=x` and the like.
    #[error("bad flag syntax: {0}")]
    BadSyntax(String),
    /// A value flag at the end of the line.
    #[error("flag needs an argument: -{0}")]
    MissingValue(String),
    /// A bool flag given a value `ParseBool` refuses.
    #[error("invalid boolean value {value:?} for -{flag}: parse error")]
    BadBool {
        /// The flag.
        flag: String,
        /// The value.
        value: String,
    },
    /// An int or duration flag given a value that does not parse.
    #[error("invalid value {value:?} for flag -{flag}: parse error")]
    BadValue {
        /// The flag.
        flag: String,
        /// The value.
        value: String,
    },
}

/// Parses `args` (without the program name) against `defs`.
pub(crate) fn parse(defs: &[FlagDef], args: &[String]) -> Result<FlagValues, FlagError> {
    let mut values = FlagValues::default();
    let mut rest = args;
    while let Some((arg, tail)) = rest.split_first() {
        let body = match classify(arg) {
            Arg::Positional => break,
            Arg::EndOfFlags => {
                rest = tail;
                break;
            }
            Arg::Flag(body) => body,
        };
        rest = tail;
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(FlagError::BadSyntax(arg.clone()));
        }
        // As in Go, a '=' in first position is bad syntax (above), so the search starts after it.
        let (name, inline) = match body.char_indices().skip(1).find(|(_, c)| *c == '=') {
            Some((at, _)) => (&body[..at], Some(&body[at + 1..])),
            None => (body, None),
        };
        let Some(def) = defs.iter().find(|def| def.name == name) else {
            if name == "h" || name == "help" {
                return Err(FlagError::Help);
            }
            return Err(FlagError::Undefined(name.to_owned()));
        };
        let value = match (def.kind, inline) {
            (FlagKind::Bool, None) => "true".to_owned(),
            (FlagKind::Bool, Some(value)) => {
                parse_bool(value).ok_or_else(|| FlagError::BadBool {
                    flag: name.to_owned(),
                    value: value.to_owned(),
                })?;
                value.to_owned()
            }
            (_, Some(value)) => value.to_owned(),
            (_, None) => {
                let (next, tail) = rest
                    .split_first()
                    .ok_or_else(|| FlagError::MissingValue(name.to_owned()))?;
                rest = tail;
                next.clone()
            }
        };
        check_value(def, &value)?;
        values.push(def.name, value);
    }
    values.set_positionals(rest.to_vec());
    Ok(values)
}

/// What one command-line argument is to the parser.
enum Arg<'a> {
    /// Not a flag: parsing stops here (`-` alone is a positional too).
    Positional,
    /// `--`: parsing stops after it.
    EndOfFlags,
    /// A flag, with its one or two leading dashes removed.
    Flag(&'a str),
}

fn classify(arg: &str) -> Arg<'_> {
    if arg.len() < 2 || !arg.starts_with('-') {
        Arg::Positional
    } else if arg == "--" {
        Arg::EndOfFlags
    } else {
        Arg::Flag(arg.strip_prefix("--").unwrap_or(&arg[1..]))
    }
}

fn check_value(def: &FlagDef, value: &str) -> Result<(), FlagError> {
    let ok = match def.kind {
        FlagKind::Int => parse_int(value).is_some(),
        FlagKind::Duration => parse_duration(value).is_some(),
        FlagKind::Bool | FlagKind::String | FlagKind::List => true,
    };
    if ok {
        Ok(())
    } else {
        Err(FlagError::BadValue {
            flag: def.name.to_owned(),
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
