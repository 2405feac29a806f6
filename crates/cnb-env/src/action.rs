//! What an env file does to its variable: named by the file's suffix
//! (buildpack.md › Environment Variable Modification Rules).

/// The modification an env file makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `.prepend`: contents, then the delimiter (`<NAME>.delim`, none by default), then the value.
    Prepend,
    /// `.append`: the value, then the delimiter, then the contents.
    Append,
    /// `.override`: the contents replace the value.
    Override,
    /// `.default`: the contents, only if the variable is unset or empty.
    Default,
    /// A file named `<NAME>.` (empty suffix): prepend with `:` unless `<NAME>.delim` says
    /// otherwise, as the Go lifecycle treats it.
    PrependPath,
}

impl Action {
    /// The action a file's suffix names (`""` for `NAME.`); `None` for unknown suffixes such
    /// as `.delim`, which are not modifications.
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        match suffix {
            "prepend" => Some(Self::Prepend),
            "append" => Some(Self::Append),
            "override" => Some(Self::Override),
            "default" => Some(Self::Default),
            "" => Some(Self::PrependPath),
            _ => None,
        }
    }
}
