//! `CNB_REGISTRY_AUTH` and docker `config.json`, through `Keychain::resolve` as `cnb-cli` opens
//! the stores, then a credential lookup for each registry the input names. No credential
//! helper ever runs: `PATH` is unset.
//!
//! Each input is read twice: as it is (errors must be one line), then with every secret in it
//! (passwords, tokens, the password inside a base64 `auth`) replaced by a planted marker, which
//! no error and no `Debug` output may then show.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cnb_image::ImageRef;
use cnb_registry::{Environment, Keychain};
use serde_json::Value;

use crate::input::{one_line, text};

/// Registries every lookup asks about, besides those the input names.
const REGISTRIES: [&str; 3] = ["index.docker.io", "127.0.0.1:5000", "localhost"];
/// What every planted secret contains.
const PLANTED: &str = "PLANTED-SECRET";

/// `CNB_REGISTRY_AUTH`: `{"<registry>": "<scheme> <value>"}`.
pub(crate) fn registry_auth(data: &[u8]) {
    let Some(json) = text(data) else {
        return;
    };
    let as_given = Environment {
        registry_auth: Some(json.to_owned()),
        ..Environment::default()
    };
    let Ok(mut value) = serde_json::from_str::<Value>(json) else {
        look_up(&as_given, &[], &[]);
        return;
    };
    let registries: Vec<String> = value
        .as_object()
        .map(|entries| entries.keys().cloned().collect())
        .unwrap_or_default();
    look_up(&as_given, &registries, &[]);
    let mut secrets = vec![PLANTED.to_owned()];
    // each header, or a bare header where a map should be, and any string deeper down
    match &mut value {
        Value::Object(entries) => {
            for entry in entries.values_mut() {
                plant_all(entry, &mut secrets);
            }
        }
        other => plant_all(other, &mut secrets),
    }
    let planted = Environment {
        registry_auth: Some(value.to_string()),
        ..Environment::default()
    };
    look_up(&planted, &registries, &secrets);
}

/// Every string in `value` planted: a string as a header, strings inside arrays and maps (not
/// their keys) as secrets.
fn plant_all(value: &mut Value, secrets: &mut Vec<String>) {
    match value {
        Value::String(header) => *header = plant_header(header, secrets),
        Value::Array(items) => items.iter_mut().for_each(|item| plant_all(item, secrets)),
        Value::Object(entries) => entries
            .values_mut()
            .for_each(|item| plant_all(item, secrets)),
        _ => {}
    }
}

/// A docker `config.json`, read from `$DOCKER_CONFIG`.
pub(crate) fn docker_config(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("config.json");
    let environment = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    std::fs::write(&file, data).expect("writing config.json");
    let Ok(Value::Object(mut config)) = serde_json::from_slice::<Value>(data) else {
        look_up(&environment, &[], &[]);
        return;
    };
    let mut registries = Vec::new();
    for section in ["auths", "credHelpers"] {
        if let Some(Value::Object(entries)) = config.get(section) {
            registries.extend(entries.keys().cloned());
        }
    }
    look_up(&environment, &registries, &[]);
    let mut secrets = vec![PLANTED.to_owned()];
    if let Some(Value::Object(auths)) = config.get_mut("auths") {
        for entry in auths.values_mut() {
            let Value::Object(fields) = entry else {
                // an entry that is not an object: whatever it holds is meant as credentials
                plant_all(entry, &mut secrets);
                continue;
            };
            for (field, value) in fields.iter_mut() {
                match (field.as_str(), &*value) {
                    ("auth", Value::String(auth)) => {
                        *value = Value::String(plant_basic(auth, &mut secrets));
                    }
                    ("username" | "email" | "serveraddress", _) => {}
                    _ => plant_all(value, &mut secrets),
                }
            }
        }
    }
    std::fs::write(&file, Value::Object(config).to_string()).expect("writing config.json");
    look_up(&environment, &registries, &secrets);
}

/// `<scheme> <value>` with the value planted (a `Basic` value keeps its user name); text
/// without a scheme is planted whole.
fn plant_header(header: &str, secrets: &mut Vec<String>) -> String {
    match header.trim().split_once(' ') {
        Some((scheme, value)) if scheme.eq_ignore_ascii_case("basic") => {
            format!("{scheme} {}", plant_basic(value.trim(), secrets))
        }
        Some((scheme, _)) => format!("{scheme} {PLANTED}"),
        None => PLANTED.to_owned(),
    }
}

/// base64 `user:password` with the password planted; the user name (shown by design in a
/// credential's `Debug`) is kept, unless it holds the marker itself. The encoded value is a
/// secret too.
fn plant_basic(encoded: &str, secrets: &mut Vec<String>) -> String {
    let user = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.split_once(':').map(|(user, _)| user.to_owned()))
        .filter(|user| !user.contains(PLANTED))
        .unwrap_or_else(|| "user".to_owned());
    let planted = STANDARD.encode(format!("{user}:{PLANTED}"));
    secrets.push(planted.clone());
    planted
}

/// Resolves a keychain for images on `registries` (and the usual ones), asks it for each, and
/// checks what it shows: errors on one line, and none of `secrets`, unless the input put one in
/// a registry name.
fn look_up(environment: &Environment, registries: &[String], secrets: &[String]) {
    let secrets: Vec<&String> = secrets
        .iter()
        .filter(|secret| !registries.iter().any(|key| key.contains(secret.as_str())))
        .collect();
    let hidden = |shown: &str| {
        for secret in &secrets {
            assert!(
                !shown.contains(secret.as_str()),
                "a secret shows in {shown:?}"
            );
        }
    };
    let images: Vec<ImageRef> = registries
        .iter()
        .map(|key| host(key))
        .chain(REGISTRIES.iter().map(|&host| host.to_owned()))
        .filter_map(|host| ImageRef::parse(&format!("{host}/fuzz/app")).ok())
        .collect();
    let keychain = match Keychain::resolve(environment, &images) {
        Ok(keychain) => keychain,
        Err(error) => {
            hidden(&one_line(&error));
            return;
        }
    };
    hidden(&format!("{keychain:?}"));
    for image in &images {
        match keychain.credential(image.registry()) {
            Ok(credential) => hidden(&format!("{credential:?}")),
            Err(error) => hidden(&one_line(&error)),
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
