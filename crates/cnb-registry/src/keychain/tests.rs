use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

const SECRET: &str = "s3cr3t-pa55";

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn image(text: &str) -> ImageRef {
    ImageRef::parse(text).unwrap()
}

#[test]
fn reads_cnb_registry_auth_with_every_scheme_and_normalised_keys() {
    let json = serde_json::json!({
        "https://reg.io/v2/": format!("Basic {}", basic("me", SECRET)),
        "tok.io": "bearer abc",
        "id.io": "X-Identity refresh",
        "docker.io": format!("basic {}", basic("hub", "pw")),
        "bad.io": format!("Digest {SECRET}"),
    });
    let env = Environment {
        registry_auth: Some(json.to_string()),
        ..Environment::default()
    };
    let keychain = Keychain::resolve(&env, &[]).unwrap();
    assert_eq!(
        keychain.credential("reg.io").unwrap(),
        Credential::Basic {
            username: "me".into(),
            password: SECRET.into()
        }
    );
    assert_eq!(
        keychain.credential("tok.io").unwrap(),
        Credential::Bearer("abc".into())
    );
    assert_eq!(
        keychain.credential("id.io").unwrap(),
        Credential::IdentityToken("refresh".into())
    );
    assert!(matches!(
        keychain.credential("index.docker.io").unwrap(),
        Credential::Basic { .. }
    ));
    assert_eq!(
        keychain.credential("other.io").unwrap(),
        Credential::Anonymous
    );
    let err = keychain.credential("bad.io").unwrap_err().to_string();
    assert!(err.contains("bad.io") && !err.contains(SECRET), "{err}");
    let shown = format!("{keychain:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("refresh"),
        "{shown}"
    );
}

#[test]
fn mistyped_credentials_json_fails_without_echoing_it() {
    // a bare header instead of a map, and an `auths` entry that is a string
    let env = Environment {
        registry_auth: Some(format!("\"Basic {SECRET}\"")),
        ..Environment::default()
    };
    let err = Keychain::resolve(&env, &[]).unwrap_err().to_string();
    assert_eq!(
        err,
        "parsing CNB_REGISTRY_AUTH: a value of the wrong type at line 1 column 19"
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &serde_json::json!({"auths": {"reg.io": SECRET}}),
    );
    let env = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    let err = Keychain::resolve(&env, &[image("reg.io/app")]).unwrap_err();
    let err = err.to_string();
    assert!(
        err.ends_with("config.json: a value of the wrong type at line 1 column 32"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn malformed_cnb_registry_auth_fails_without_echoing_it() {
    let env = Environment {
        registry_auth: Some(format!("{{\"reg.io\": {SECRET}")),
        ..Environment::default()
    };
    let err = Keychain::resolve(&env, &[]).unwrap_err().to_string();
    assert!(err.starts_with("parsing CNB_REGISTRY_AUTH"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}

fn write_config(dir: &Path, json: &serde_json::Value) {
    fs::write(dir.join("config.json"), json.to_string()).unwrap();
}

#[test]
fn reads_docker_config_auths_for_the_images_registries() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": basic("hub", "hubpw")},
            "127.0.0.1:5000": {"username": "u", "password": "p"},
            "token.io": {"registrytoken": "rt"},
            "unused.io": {"auth": basic("x", "y")},
        }}),
    );
    let env = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    let keychain = Keychain::resolve(
        &env,
        &[
            image("busybox"),
            image("127.0.0.1:5000/a/b"),
            image("token.io/x"),
        ],
    )
    .unwrap();
    assert_eq!(
        keychain.credential("index.docker.io").unwrap(),
        Credential::Basic {
            username: "hub".into(),
            password: "hubpw".into()
        }
    );
    assert!(matches!(
        keychain.credential("127.0.0.1:5000").unwrap(),
        Credential::Basic { .. }
    ));
    assert_eq!(
        keychain.credential("token.io").unwrap(),
        Credential::Bearer("rt".into())
    );
    // Only the registries of the named images are resolved.
    assert_eq!(
        keychain.credential("unused.io").unwrap(),
        Credential::Anonymous
    );
}

#[test]
fn cnb_registry_auth_wins_over_the_docker_config() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &serde_json::json!({"auths": {"reg.io": {"auth": basic("file", "f")}}}),
    );
    let env = Environment {
        registry_auth: Some(serde_json::json!({"reg.io": "Bearer env"}).to_string()),
        home: Some(dir.path().join("nohome")),
        docker_config: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    let keychain = Keychain::resolve(&env, &[image("reg.io/app")]).unwrap();
    assert_eq!(
        keychain.credential("reg.io").unwrap(),
        Credential::Bearer("env".into())
    );
}

fn helper(dir: &Path, name: &str, script: &str) {
    let path = dir.join(format!("docker-credential-{name}"));
    fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn asks_credential_helpers_on_path_and_falls_back_when_they_know_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    helper(
        &bin,
        "per-host",
        r#"read server; printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server""#,
    );
    helper(
        &bin,
        "store",
        r#"read server; case "$server" in https://index.docker.io/v1/) printf '{"Username":"<token>","Secret":"idt"}';; *) echo "credentials not found in native keychain"; exit 1;; esac"#,
    );
    write_config(
        dir.path(),
        &serde_json::json!({
            "credHelpers": {"helped.io": "per-host", "missing.io": "absent"},
            "credsStore": "store",
            "auths": {"fallback.io": {"auth": basic("fb", "fbpw")}},
        }),
    );
    let env = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        path: Some(format!("/nonexistent:{}", bin.display())),
        ..Environment::default()
    };
    let images = [
        image("helped.io/app"),
        image("busybox"),
        image("fallback.io/app"),
        image("missing.io/app"),
    ];
    let keychain = Keychain::resolve(&env, &images).unwrap();
    assert_eq!(
        keychain.credential("helped.io").unwrap(),
        Credential::Basic {
            username: "helper-user".into(),
            password: "helper-secret".into()
        }
    );
    assert_eq!(
        keychain.credential("index.docker.io").unwrap(),
        Credential::IdentityToken("idt".into())
    );
    assert_eq!(
        keychain.credential("fallback.io").unwrap(),
        Credential::Basic {
            username: "fb".into(),
            password: "fbpw".into()
        }
    );
    assert_eq!(
        keychain.credential("missing.io").unwrap(),
        Credential::Anonymous
    );
}

#[test]
fn no_docker_config_means_anonymous_and_a_broken_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment {
        home: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    let keychain = Keychain::resolve(&env, &[image("reg.io/app")]).unwrap();
    assert_eq!(
        keychain.credential("reg.io").unwrap(),
        Credential::Anonymous
    );
    fs::create_dir(dir.path().join(".docker")).unwrap();
    fs::write(dir.path().join(".docker/config.json"), "{not json").unwrap();
    let err = Keychain::resolve(&env, &[image("reg.io/app")]).unwrap_err();
    assert!(
        err.to_string().starts_with("parsing docker config"),
        "{err}"
    );
}

#[test]
fn debug_output_of_credentials_is_redacted() {
    let shown = format!(
        "{:?} {:?} {:?}",
        Credential::Basic {
            username: "u".into(),
            password: SECRET.into()
        },
        Credential::Bearer(SECRET.into()),
        Credential::IdentityToken(SECRET.into())
    );
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("<redacted>"));
}
