//! Where the daemon is and which API version to speak: `DOCKER_HOST` (default
//! `unix:///var/run/docker.sock`), `DOCKER_API_VERSION`, and the TLS variables this client
//! refuses for TCP hosts. The values come from the caller, which reads the environment.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

/// The host the Go client uses when `DOCKER_HOST` is unset.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How to reach the daemon, from the Docker client's environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonConfig {
    /// `DOCKER_HOST`; [`DEFAULT_HOST`] when unset or empty.
    pub host: Option<String>,
    /// `DOCKER_API_VERSION`: speak this version instead of negotiating one.
    pub api_version: Option<String>,
    /// Whether `DOCKER_TLS_VERIFY` or `DOCKER_CERT_PATH` is set (refused with a TCP host).
    pub tls: bool,
}

impl DaemonConfig {
    /// The Docker client's variables (`DOCKER_HOST`, `DOCKER_API_VERSION`,
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`) as `get` returns them; the caller reads the
    /// environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| get(name).filter(|value| !value.is_empty());
        Self {
            host: set("DOCKER_HOST"),
            api_version: set("DOCKER_API_VERSION"),
            tls: set("DOCKER_TLS_VERIFY").is_some() || set("DOCKER_CERT_PATH").is_some(),
        }
    }
}

/// A daemon endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A unix socket.
    Unix(PathBuf),
    /// `host:port` over plain TCP.
    Tcp(String),
}

impl Endpoint {
    /// The endpoint `config` names.
    pub(crate) fn from_config(config: &DaemonConfig) -> Result<Self, Error> {
        let host = config
            .host
            .as_deref()
            .filter(|host| !host.is_empty())
            .unwrap_or(DEFAULT_HOST);
        let invalid = || Error::Host {
            host: host.to_owned(),
        };
        if let Some(path) = host.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(invalid());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if let Some(address) = host.strip_prefix("tcp://") {
            let address = address.trim_end_matches('/');
            if address.is_empty() || address.contains('/') {
                return Err(invalid());
            }
            if config.tls {
                return Err(Error::Tls {
                    host: host.to_owned(),
                });
            }
            // The Docker client's default port for plain TCP.
            let address = if address.rsplit_once(':').is_some_and(|(_, port)| {
                !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
            }) {
                address.to_owned()
            } else {
                format!("{address}:2375")
            };
            return Ok(Self::Tcp(address));
        }
        Err(invalid())
    }

    /// Whether this is a unix socket owned by root: the Go lifecycle dials such a socket
    /// before it drops privileges and keeps that connection, as it could not dial it again.
    pub(crate) fn is_root_owned_socket(&self) -> bool {
        match self {
            Self::Unix(path) => std::fs::metadata(path).is_ok_and(|meta| meta.uid() == 0),
            Self::Tcp(_) => false,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp(address) => write!(f, "tcp://{address}"),
        }
    }
}

/// An Engine API version, `<major>.<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    major: u32,
    minor: u32,
}

impl ApiVersion {
    /// The newest version this client asks for (the Go lifecycle's client's default).
    pub const NEWEST: Self = Self::new(1, 55);
    /// The oldest version this client speaks (the Go client's minimum).
    pub const OLDEST: Self = Self::new(1, 40);
    /// What a daemon that names no version is taken to speak (as the Go client does).
    pub(crate) const UNNAMED: Self = Self::new(1, 24);
    /// Inspect takes `?platform=` from here on.
    pub(crate) const PLATFORM_INSPECT: Self = Self::new(1, 49);
    /// History and save take `?platform=` from here on.
    pub(crate) const PLATFORM_HISTORY: Self = Self::new(1, 48);

    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = || Error::ApiVersion(text.to_owned());
        let (major, minor) = text.trim().split_once('.').ok_or_else(invalid)?;
        Ok(Self {
            major: major.parse().map_err(|_| invalid())?,
            minor: minor.parse().map_err(|_| invalid())?,
        })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: Option<&str>, tls: bool) -> Result<Endpoint, Error> {
        Endpoint::from_config(&DaemonConfig {
            host: host.map(str::to_owned),
            api_version: None,
            tls,
        })
    }

    #[test]
    fn docker_host_is_a_unix_socket_or_plain_tcp() {
        let default = endpoint(None, false).unwrap();
        assert_eq!(default, Endpoint::Unix("/var/run/docker.sock".into()));
        assert_eq!(default.to_string(), DEFAULT_HOST);
        assert_eq!(endpoint(Some(""), false).unwrap(), default);
        assert_eq!(
            endpoint(Some("unix:///tmp/d.sock"), false).unwrap(),
            Endpoint::Unix("/tmp/d.sock".into())
        );
        assert_eq!(
            endpoint(Some("tcp://10.0.0.1:2376"), false).unwrap(),
            Endpoint::Tcp("10.0.0.1:2376".into())
        );
        assert_eq!(
            endpoint(Some("tcp://docker"), false).unwrap(),
            Endpoint::Tcp("docker:2375".into())
        );
        for bad in [
            "ssh://me@host",
            "npipe:////./pipe/docker",
            "unix://",
            "/var/run/x",
        ] {
            let error = endpoint(Some(bad), false).unwrap_err();
            assert!(matches!(error, Error::Host { .. }), "{bad}: {error}");
        }
        let error = endpoint(Some("tcp://docker:2376"), true).unwrap_err();
        assert!(error.to_string().contains("TLS"), "{error}");
        assert!(endpoint(Some("unix:///tmp/d.sock"), true).is_ok());
    }

    #[test]
    fn the_docker_client_variables_are_read_from_the_lookup() {
        let env = [
            ("DOCKER_HOST", "tcp://d:1"),
            ("DOCKER_CERT_PATH", ""),
            ("DOCKER_TLS_VERIFY", "1"),
        ];
        let config = DaemonConfig::from_lookup(|name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        });
        assert_eq!(config.host.as_deref(), Some("tcp://d:1"));
        assert_eq!(config.api_version, None);
        assert!(config.tls);
        assert_eq!(DaemonConfig::from_lookup(|_| None), DaemonConfig::default());
    }

    #[test]
    fn versions_compare_by_number() {
        let v: ApiVersion = "1.41".parse().unwrap();
        assert!(v > ApiVersion::OLDEST && v < ApiVersion::NEWEST);
        assert!("1.9".parse::<ApiVersion>().unwrap() < "1.10".parse().unwrap());
        assert_eq!(v.to_string(), "1.41");
        assert!("v1".parse::<ApiVersion>().is_err());
        assert!("1.x".parse::<ApiVersion>().is_err());
    }
}
