//! The docker CLI's `config.json`: `credHelpers` (per registry), `credsStore` (for all), and
//! `auths` entries, and the `docker-credential-<name> get` helper protocol.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::keychain::{decode_basic, json_error, registry_host};
use crate::{Credential, Error};

/// The key docker uses for Docker Hub in `auths` and when asking helpers.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";
/// The user name a helper returns when the secret is an identity token.
const TOKEN_USERNAME: &str = "<token>";

/// The parts of `config.json` that hold credentials.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

impl DockerConfig {
    /// Reads `path`; a missing file is an empty config.
    pub(crate) fn load(path: &Path) -> Result<Self, Error> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(Error::ReadDockerConfig {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        serde_json::from_slice(&bytes).map_err(|err| Error::ParseDockerConfig {
            path: path.to_path_buf(),
            reason: json_error(&err),
        })
    }

    /// The credential for `host`: its credential helper, else the credentials store, else
    /// its `auths` entry, else anonymous. A helper that fails or knows nothing is skipped
    /// with a warning, as the Go lifecycle skips it.
    pub(crate) fn credential(
        &self,
        host: &str,
        path_var: Option<&str>,
    ) -> Result<Credential, Error> {
        let helper = self
            .cred_helpers
            .iter()
            .find(|(key, _)| registry_host(key) == host)
            .map(|(_, name)| name)
            .or(self.creds_store.as_ref());
        if let Some(name) = helper.filter(|name| !name.is_empty()) {
            match run_helper(name, &helper_key(host), path_var) {
                Ok(Some(credential)) => return Ok(credential),
                Ok(None) => {}
                Err(reason) => tracing::warn!(
                    registry = host,
                    helper = %format!("docker-credential-{name}"),
                    "credential helper failed: {reason}"
                ),
            }
        }
        let Some(entry) = self
            .auths
            .iter()
            .find(|(key, _)| registry_host(key) == host)
            .map(|(_, entry)| entry)
        else {
            return Ok(Credential::Anonymous);
        };
        entry_credential(entry).map_err(|reason| Error::ParseDockerAuth {
            registry: host.to_owned(),
            reason,
        })
    }
}

fn entry_credential(entry: &AuthEntry) -> Result<Credential, String> {
    if let Some(token) = entry.registrytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Credential::Bearer(token.clone()));
    }
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Credential::IdentityToken(token.clone()));
    }
    if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        return decode_basic(auth);
    }
    match (&entry.username, &entry.password) {
        (Some(username), Some(password)) if !username.is_empty() => Ok(Credential::Basic {
            username: username.clone(),
            password: password.clone(),
        }),
        _ => Ok(Credential::Anonymous),
    }
}

/// What docker sends a helper for `host`.
fn helper_key(host: &str) -> String {
    if host == cnb_image::DEFAULT_REGISTRY {
        DOCKER_HUB_KEY.to_owned()
    } else {
        host.to_owned()
    }
}

/// Runs `docker-credential-<name> get` with `key` on stdin. `Ok(None)`: it has nothing.
fn run_helper(name: &str, key: &str, path_var: Option<&str>) -> Result<Option<Credential>, String> {
    let program = format!("docker-credential-{name}");
    let executable =
        find_on_path(&program, path_var).ok_or_else(|| format!("{program} is not on PATH"))?;
    let mut child = Command::new(&executable)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("starting {}: {err}", executable.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(key.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|err| format!("waiting for {program}: {err}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).to_lowercase()
            + &String::from_utf8_lossy(&output.stderr).to_lowercase();
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!("{program} get exited with {}", output.status));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|_| format!("{program} get printed no credentials JSON"))?;
    Ok(Some(if answer.username == TOKEN_USERNAME {
        Credential::IdentityToken(answer.secret)
    } else {
        Credential::Basic {
            username: answer.username,
            password: answer.secret,
        }
    }))
}

fn find_on_path(program: &str, path_var: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    path_var?
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}
