//! [`Keychain`]: credentials per registry, in the Go lifecycle's order: `CNB_REGISTRY_AUTH`,
//! then the docker `config.json` (`credHelpers`, `credsStore`, `auths`), then anonymous.
//! Everything is resolved when the keychain is built, before the lifecycle drops privileges
//! (after that, `$HOME/.docker` and helper binaries may be out of reach).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use cnb_image::ImageRef;

use crate::docker_config::DockerConfig;
use crate::{Environment, Error};

/// How to authenticate to one registry. `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credential {
    /// No credentials.
    #[default]
    Anonymous,
    /// A user name and password (sent as HTTP basic auth, or to the token service).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A registry token sent as `Authorization: Bearer <token>` as is.
    Bearer(String),
    /// An `OAuth2` refresh token, exchanged at the registry's token service for an access token.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// Credentials by registry host, resolved up front.
#[derive(Debug, Clone, Default)]
pub struct Keychain {
    /// From `CNB_REGISTRY_AUTH`; a malformed entry fails only when its registry is used.
    from_env: BTreeMap<String, Result<Credential, String>>,
    /// From the docker config, for the registries of the images named at resolution.
    resolved: BTreeMap<String, Credential>,
}

impl Keychain {
    /// A keychain with no credentials at all.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Reads `CNB_REGISTRY_AUTH` and, for the registry of each of `images`, the docker config
    /// (running credential helpers as needed). Fails on malformed `CNB_REGISTRY_AUTH` JSON or
    /// an unreadable `config.json`; a helper that knows no credentials means anonymous.
    pub fn resolve(env: &Environment, images: &[ImageRef]) -> Result<Self, Error> {
        let from_env = match &env.registry_auth {
            Some(json) => parse_registry_auth(json)?,
            None => BTreeMap::new(),
        };
        let mut resolved = BTreeMap::new();
        if let Some(path) = env.docker_config_file() {
            let config = DockerConfig::load(&path)?;
            for image in images {
                let host = image.registry();
                if from_env.contains_key(host) || resolved.contains_key(host) {
                    continue;
                }
                let credential = config.credential(host, env.path.as_deref())?;
                if credential != Credential::Anonymous {
                    tracing::debug!(registry = host, "found credentials in docker config");
                    resolved.insert(host.to_owned(), credential);
                }
            }
        }
        Ok(Self { from_env, resolved })
    }

    /// The credential for `registry` (a host, as in [`ImageRef::registry`]).
    pub fn credential(&self, registry: &str) -> Result<Credential, Error> {
        if let Some(entry) = self.from_env.get(registry) {
            return entry.clone().map_err(|reason| Error::ParseRegistryAuth {
                registry: registry.to_owned(),
                reason,
            });
        }
        Ok(self.resolved.get(registry).cloned().unwrap_or_default())
    }
}

/// `CNB_REGISTRY_AUTH`: `{"<registry>": "<scheme> <value>"}`; keys may carry a scheme and a
/// path, which are dropped.
fn parse_registry_auth(json: &str) -> Result<BTreeMap<String, Result<Credential, String>>, Error> {
    let entries: BTreeMap<String, String> =
        serde_json::from_str(json).map_err(|err| Error::ParseRegistryAuthJson {
            reason: json_error(&err),
        })?;
    Ok(entries
        .into_iter()
        .map(|(key, header)| (registry_host(&key), parse_header(&header)))
        .collect())
}

/// What is wrong with a JSON document that holds credentials, and where, without its words:
/// serde's messages quote a string of the wrong type (`invalid type: string "<base64>",
/// expected a map`), which for a mistyped `auths` entry or a bare header in
/// `CNB_REGISTRY_AUTH` is the credential itself.
pub(crate) fn json_error(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Eof => "JSON cut short",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

/// `https://reg.io/v1/` → `reg.io`; `docker.io` → `index.docker.io`.
pub(crate) fn registry_host(key: &str) -> String {
    let stripped = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    let host = stripped.split('/').next().unwrap_or_default();
    match host {
        "docker.io" => cnb_image::DEFAULT_REGISTRY.to_owned(),
        other => other.to_owned(),
    }
}

/// An `Authorization` header value, as the Go lifecycle reads it. Errors never quote it.
fn parse_header(header: &str) -> Result<Credential, String> {
    let (scheme, value) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| "no '<scheme> <value>' header".to_owned())?;
    let value = value.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => decode_basic(value),
        "bearer" => Ok(Credential::Bearer(value.to_owned())),
        "x-identity" => Ok(Credential::IdentityToken(value.to_owned())),
        _ => Err("unknown auth scheme (expected Basic, Bearer or X-Identity)".to_owned()),
    }
}

/// base64 of `user:password`, as in `Basic` headers and docker `auths` entries.
pub(crate) fn decode_basic(encoded: &str) -> Result<Credential, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "basic credentials are not base64".to_owned())?;
    let text =
        String::from_utf8(bytes).map_err(|_| "basic credentials are not UTF-8".to_owned())?;
    let (username, password) = text
        .split_once(':')
        .ok_or_else(|| "basic credentials are not 'user:password'".to_owned())?;
    Ok(Credential::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

#[cfg(test)]
mod tests;
