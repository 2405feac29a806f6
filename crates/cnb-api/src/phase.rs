//! The lifecycle phases and the names they are called by.

use std::fmt;

/// A phase of the multi-call `lifecycle` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// `analyzer` / `lifecycle analyze`.
    Analyzer,
    /// `detector` / `lifecycle detect`.
    Detector,
    /// `restorer` / `lifecycle restore`.
    Restorer,
    /// `extender` / `lifecycle extend`.
    Extender,
    /// `builder` / `lifecycle build`.
    Builder,
    /// `exporter` / `lifecycle export`.
    Exporter,
    /// `creator` / `lifecycle create`.
    Creator,
    /// `rebaser` / `lifecycle rebase`.
    Rebaser,
}

impl Phase {
    /// Every phase, in the order a build runs them (creator and rebaser last).
    pub const ALL: [Phase; 8] = [
        Self::Analyzer,
        Self::Detector,
        Self::Restorer,
        Self::Extender,
        Self::Builder,
        Self::Exporter,
        Self::Creator,
        Self::Rebaser,
    ];

    /// The binary name under `/cnb/lifecycle/` (`analyzer`).
    pub const fn binary(self) -> &'static str {
        match self {
            Self::Analyzer => "analyzer",
            Self::Detector => "detector",
            Self::Restorer => "restorer",
            Self::Extender => "extender",
            Self::Builder => "builder",
            Self::Exporter => "exporter",
            Self::Creator => "creator",
            Self::Rebaser => "rebaser",
        }
    }

    /// The verb of `lifecycle <verb>` (`analyze`).
    pub const fn verb(self) -> &'static str {
        match self {
            Self::Analyzer => "analyze",
            Self::Detector => "detect",
            Self::Restorer => "restore",
            Self::Extender => "extend",
            Self::Builder => "build",
            Self::Exporter => "export",
            Self::Creator => "create",
            Self::Rebaser => "rebase",
        }
    }

    /// The phase a binary name (`analyzer`) stands for.
    pub fn from_binary(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|phase| phase.binary() == name)
    }

    /// The phase a `lifecycle` verb (`analyze`) stands for.
    pub fn from_verb(verb: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|phase| phase.verb() == verb)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary())
    }
}
