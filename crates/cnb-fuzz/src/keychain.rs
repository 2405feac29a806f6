//! `CNB_REGISTRY_AUTH` and docker `config.json`, through `Keychain::resolve` as `cnb-cli` opens
//! the stores, then a credential lookup for each registry the input names. No error and no
//! `Debug` output may show a password, token or `auth` value. No credential helper ever runs:
//! `PATH` is unset.

use cnb_image::ImageRef;
use cnb_registry::{Environment, Keychain};
use serde_json::Value;

use crate::input::{assert_hidden, one_line, text};

/// Registries every lookup asks about, besides those the input names.
const REGISTRIES: [&str; 3] = ["index.docker.io", "127.0.0.1:5000", "localhost"];

/// What an input names: registries (looked up, and shown by design), user names (shown by
/// design in a credential's `Debug`) and secrets (never shown).
#[derive(Default)]
struct Named {
    registries: Vec<String>,
    users: Vec<String>,
    secrets: Vec<String>,
}

impl Named {
    /// A base64 `user:password`: itself and the password are secrets, the user is not.
    fn basic(&mut self, encoded: &str) {
        self.secrets.push(encoded.to_owned());
        if let Some((user, password)) = decoded_basic(encoded) {
            self.users.push(user);
            self.secrets.push(password);
        }
    }
}

/// `CNB_REGISTRY_AUTH`: `{"<registry>": "<scheme> <value>"}`.
pub(crate) fn registry_auth(data: &[u8]) {
    let Some(json) = text(data) else {
        return;
    };
    let mut named = Named::default();
    if let Ok(Value::Object(entries)) = serde_json::from_str::<Value>(json) {
        for (key, value) in entries {
            named.registries.push(key);
            if let Value::String(header) = value {
                let value = header
                    .trim()
                    .split_once(' ')
                    .map_or("", |(_, value)| value.trim());
                named.basic(value);
            }
        }
    }
    let environment = Environment {
        registry_auth: Some(json.to_owned()),
        ..Environment::default()
    };
    look_up(&environment, &named);
}

/// A docker `config.json`, read from `$DOCKER_CONFIG`.
pub(crate) fn docker_config(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("config.json"), data).expect("writing config.json");
    let mut named = Named::default();
    if let Ok(Value::Object(config)) = serde_json::from_slice::<Value>(data) {
        if let Some(Value::Object(helpers)) = config.get("credHelpers") {
            named.registries.extend(helpers.keys().cloned());
        }
        if let Some(Value::Object(auths)) = config.get("auths") {
            for (key, entry) in auths {
                named.registries.push(key.clone());
                let field = |name: &str| entry.get(name).and_then(Value::as_str);
                if let Some(auth) = field("auth") {
                    named.basic(auth);
                }
                named.users.extend(field("username").map(str::to_owned));
                for name in ["password", "identitytoken", "registrytoken"] {
                    named.secrets.extend(field(name).map(str::to_owned));
                }
            }
        }
    }
    let environment = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    look_up(&environment, &named);
}

/// Resolves a keychain for images on the named registries and asks it for each; nothing shown
/// may contain a secret, unless that secret is also part of a registry or user name.
fn look_up(environment: &Environment, named: &Named) {
    let visible = || {
        named
            .registries
            .iter()
            .chain(&named.users)
            .map(String::as_str)
    };
    let secrets: Vec<String> = named
        .secrets
        .iter()
        .filter(|secret| {
            !visible()
                .chain(REGISTRIES)
                .any(|shown| shown.contains(secret.as_str()))
        })
        .cloned()
        .collect();
    let images: Vec<ImageRef> = named
        .registries
        .iter()
        .map(|key| host(key))
        .chain(REGISTRIES.iter().map(|&host| host.to_owned()))
        .filter_map(|host| ImageRef::parse(&format!("{host}/fuzz/app")).ok())
        .collect();
    let keychain = match Keychain::resolve(environment, &images) {
        Ok(keychain) => keychain,
        Err(error) => {
            assert_hidden(&one_line(&error), &secrets);
            return;
        }
    };
    assert_hidden(&format!("{keychain:?}"), &secrets);
    for image in &images {
        match keychain.credential(image.registry()) {
            Ok(credential) => assert_hidden(&format!("{credential:?}"), &secrets),
            Err(error) => assert_hidden(&one_line(&error), &secrets),
        }
    }
}

/// The host part of a registry key (`https://reg.io/v1/` → `reg.io`).
fn host(key: &str) -> String {
    let stripped = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    stripped.split('/').next().unwrap_or_default().to_owned()
}

/// The password of a base64 `user:password`, and the user name (shown by design in a
/// credential's `Debug`, so a password inside it cannot be told apart).
fn decoded_basic(encoded: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}
