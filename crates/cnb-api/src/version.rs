//! `major.minor` API versions as the spec writes them (`0.12`), also accepting the forms the Go
//! lifecycle accepts: a leading `v` (`v0.12`) and a bare major (`1` = `1.0`).

use std::fmt;
use std::str::FromStr;

/// An API version: `major.minor`. Ordered numerically, so `0.9 < 0.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major number.
    pub major: u64,
    /// The minor number.
    pub minor: u64,
}

/// A string that is not an API version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not parse '{0}' as an API version")]
pub struct ParseVersionError(pub String);

impl Version {
    /// `major.minor`.
    pub const fn new(major: u64, minor: u64) -> Self {
        Self { major, minor }
    }

    /// Whether `self`, as a version the lifecycle supports, serves a requester of `requested`:
    /// a 0.x version serves only itself; from 1.0 on, a minor serves every older minor of the
    /// same major.
    pub fn serves(self, requested: Version) -> bool {
        if self.major == 0 {
            self == requested
        } else {
            self.major == requested.major && self.minor >= requested.minor
        }
    }
}

impl FromStr for Version {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_owned());
        let body = s.strip_prefix('v').unwrap_or(s);
        let (major, minor) = match body.split_once('.') {
            Some((major, minor)) => (major, minor),
            None => (body, ""),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !(minor.is_empty() || digits(minor)) {
            return Err(err());
        }
        let major = major.parse().map_err(|_| err())?;
        let minor = if minor.is_empty() {
            0
        } else {
            minor.parse().map_err(|_| err())?
        };
        Ok(Self { major, minor })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_go_accepts() {
        for (text, want) in [
            ("0.12", Version::new(0, 12)),
            ("v0.12", Version::new(0, 12)),
            ("1", Version::new(1, 0)),
            ("1.", Version::new(1, 0)),
            ("0.7", Version::new(0, 7)),
        ] {
            assert_eq!(text.parse::<Version>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            " ",
            "0.x",
            "garbage",
            "0.12.1",
            "-1.0",
            "0.2wrongapiblabla",
            "v",
            ".1",
        ] {
            assert!(
                text.parse::<Version>().is_err(),
                "{text:?} should not parse"
            );
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(Version::new(0, 9) < Version::new(0, 10));
        assert!(Version::new(0, 15) < Version::new(1, 0));
    }

    #[test]
    fn zero_major_serves_only_itself() {
        assert!(Version::new(0, 12).serves(Version::new(0, 12)));
        assert!(!Version::new(0, 13).serves(Version::new(0, 12)));
        assert!(Version::new(1, 3).serves(Version::new(1, 1)));
        assert!(!Version::new(1, 1).serves(Version::new(1, 3)));
    }

    #[test]
    fn round_trips_through_toml() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Doc {
            api: Version,
        }
        let doc: Doc = toml::from_str("api = \"0.10\"").unwrap();
        assert_eq!(doc.api, Version::new(0, 10));
        assert_eq!(toml::to_string(&doc).unwrap(), "api = \"0.10\"\n");
    }
}
