//! [`Environment`]: the process environment values this crate needs, gathered by the caller
//! (only cnb-platform reads the process environment), so that tests can pass their own.

use std::path::PathBuf;

/// Environment values the keychain and the transport use. Build it with
/// [`Environment::from_lookup`] over the real environment, or field by field in tests.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// `CNB_REGISTRY_AUTH`: JSON mapping a registry to an `Authorization` header value.
    pub registry_auth: Option<String>,
    /// `DOCKER_CONFIG`: the directory holding `config.json`.
    pub docker_config: Option<PathBuf>,
    /// `HOME`, for `$HOME/.docker/config.json`.
    pub home: Option<PathBuf>,
    /// `PATH`, where `docker-credential-<name>` helpers are looked up.
    pub path: Option<String>,
    /// `SSL_CERT_FILE`: a PEM bundle of extra trusted roots.
    pub ssl_cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR`: `:`-separated directories of PEM files with extra trusted roots.
    pub ssl_cert_dir: Option<String>,
    /// `HTTPS_PROXY` (or `https_proxy`).
    pub https_proxy: Option<String>,
    /// `HTTP_PROXY` (or `http_proxy`).
    pub http_proxy: Option<String>,
    /// `NO_PROXY` (or `no_proxy`).
    pub no_proxy: Option<String>,
}

impl Environment {
    /// Reads every value through `lookup` (a variable's value, `None` when unset). Proxy
    /// variables are looked up upper case first, then lower case, as Go does; empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let either = |upper: &str| get(upper).or_else(|| get(&upper.to_ascii_lowercase()));
        Self {
            registry_auth: get("CNB_REGISTRY_AUTH"),
            docker_config: get("DOCKER_CONFIG").map(PathBuf::from),
            home: get("HOME").map(PathBuf::from),
            path: get("PATH"),
            ssl_cert_file: get("SSL_CERT_FILE").map(PathBuf::from),
            ssl_cert_dir: get("SSL_CERT_DIR"),
            https_proxy: either("HTTPS_PROXY"),
            http_proxy: either("HTTP_PROXY"),
            no_proxy: either("NO_PROXY"),
        }
    }

    /// The docker `config.json` to read: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`.
    pub fn docker_config_file(&self) -> Option<PathBuf> {
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        }
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field(
                "registry_auth",
                &self.registry_auth.as_ref().map(|_| "<redacted>"),
            )
            .field("docker_config", &self.docker_config)
            .field("home", &self.home)
            .field("path", &self.path)
            .field("ssl_cert_file", &self.ssl_cert_file)
            .field("ssl_cert_dir", &self.ssl_cert_dir)
            .field("https_proxy", &self.https_proxy.as_deref().map(redact_url))
            .field("http_proxy", &self.http_proxy.as_deref().map(redact_url))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// A URL with any `user:password@` replaced by `<redacted>@`.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() {
                String::new()
            } else {
                format!("{scheme}://")
            };
            format!("{prefix}<redacted>@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn reads_upper_then_lower_case_proxies_and_ignores_empty_values() {
        let vars: BTreeMap<&str, &str> = [
            ("https_proxy", "http://lower:3128"),
            ("HTTP_PROXY", "http://upper:3128"),
            ("http_proxy", "http://ignored:3128"),
            ("NO_PROXY", ""),
            ("no_proxy", "example.com"),
            ("HOME", "/home/cnb"),
        ]
        .into_iter()
        .collect();
        let env = Environment::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(env.https_proxy.as_deref(), Some("http://lower:3128"));
        assert_eq!(env.http_proxy.as_deref(), Some("http://upper:3128"));
        assert_eq!(env.no_proxy.as_deref(), Some("example.com"));
        assert_eq!(
            env.docker_config_file(),
            Some(PathBuf::from("/home/cnb/.docker/config.json"))
        );
        let with_dir = Environment {
            docker_config: Some("/cfg".into()),
            ..env
        };
        assert_eq!(
            with_dir.docker_config_file(),
            Some(PathBuf::from("/cfg/config.json"))
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let env = Environment {
            registry_auth: Some(r#"{"r.io":"Basic c2VjcmV0"}"#.into()),
            https_proxy: Some("http://user:hunter2@proxy:3128/x".into()),
            ..Environment::default()
        };
        let shown = format!("{env:?}");
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("http://<redacted>@proxy:3128/x"), "{shown}");
        assert_eq!(redact_url("proxy:3128"), "proxy:3128");
    }
}
