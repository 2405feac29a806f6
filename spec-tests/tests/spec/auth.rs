//! Registry credentials against a `docker-registry` with htpasswd auth: `CNB_REGISTRY_AUTH`,
//! docker `config.json` `auths`, and a credential helper on `PATH` are each accepted; wrong
//! or missing credentials fail with a clear error that never shows the secret.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine as _;
use cnb_image::{Action, ImageRef, ImageStore, MediaType, Platform, StoreError};
use cnb_registry::Environment;
use cnb_testkit::RegistryFixture;

use crate::image_support::{chain, inspect, push_image, reference, registry_store};

const USER: &str = "cnb-user";
const PASSWORD: &str = "pa55-w0rd-s3cret";

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

/// Pushes and reads back an image with `env`'s credentials.
fn push_and_read(registry: &RegistryFixture, env: &Environment, repo: &str) {
    let image = reference(&registry.reference(repo));
    let store = registry_store(env, std::slice::from_ref(&image));
    let written = push_image(
        &store,
        std::slice::from_ref(&image),
        &[cnb_testkit::TarLayer::of(&[("a", "b")])],
        &[],
    );
    let read = store
        .read_image(&image, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(read.digest(), written.digest);
    let creds = format!("--creds={USER}:{PASSWORD}");
    let seen = inspect(
        &format!("docker://{image}"),
        &["--tls-verify=false", &creds],
    );
    assert_eq!(seen["Digest"], written.digest.to_string());
}

#[test]
fn cnb_registry_auth_is_accepted() {
    let registry = RegistryFixture::with_htpasswd(USER, PASSWORD).expect("registry");
    let json = serde_json::json!({
        format!("http://{}/v2/", registry.host()): format!("Basic {}", basic(USER, PASSWORD)),
    });
    let env = Environment {
        registry_auth: Some(json.to_string()),
        ..Environment::default()
    };
    push_and_read(&registry, &env, "auth/env:v1");
}

#[test]
fn docker_config_auths_are_accepted() {
    let registry = RegistryFixture::with_htpasswd(USER, PASSWORD).expect("registry");
    let home = tempfile::tempdir().expect("home");
    fs::create_dir(home.path().join(".docker")).unwrap();
    let config = serde_json::json!({"auths": {registry.host(): {"auth": basic(USER, PASSWORD)}}});
    fs::write(home.path().join(".docker/config.json"), config.to_string()).unwrap();
    let env = Environment {
        home: Some(home.path().to_path_buf()),
        ..Environment::default()
    };
    push_and_read(&registry, &env, "auth/config:v1");
}

fn write_helper(dir: &Path, registry: &str) {
    let script = format!(
        "#!/bin/sh\nread server\nif [ \"$server\" = \"{registry}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n"
    );
    let path = dir.join("docker-credential-cnbtest");
    fs::write(&path, script).expect("helper written");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("helper executable");
}

#[test]
fn a_credential_helper_on_path_is_accepted() {
    let registry = RegistryFixture::with_htpasswd(USER, PASSWORD).expect("registry");
    let dir = tempfile::tempdir().expect("dir");
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    write_helper(&bin, &registry.host());
    let config = serde_json::json!({"credHelpers": {registry.host(): "cnbtest"}});
    fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let env = Environment {
        docker_config: Some(dir.path().to_path_buf()),
        path: Some(format!("{}:/usr/bin:/bin", bin.display())),
        ..Environment::default()
    };
    push_and_read(&registry, &env, "auth/helper:v1");
}

fn assert_refused(err: &StoreError, action: Action, image: &ImageRef, secret: &str) {
    let message = chain(err);
    assert!(
        matches!(err, StoreError::Unauthorized { action: a, .. } if *a == action),
        "{message}"
    );
    assert!(
        message.starts_with(&format!("not authorized to {action} {image}")),
        "{message}"
    );
    assert!(!message.contains(secret), "{message}");
    assert!(!format!("{err:?}").contains(secret), "{err:?}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn wrong_or_missing_credentials_fail_clearly_without_the_secret() {
    let registry = RegistryFixture::with_htpasswd(USER, PASSWORD).expect("registry");
    let image = reference(&registry.reference("auth/denied:v1"));
    let wrong = "wr0ng-s3cret-value";
    let env = Environment {
        registry_auth: Some(
            serde_json::json!({registry.host(): format!("Basic {}", basic(USER, wrong))})
                .to_string(),
        ),
        ..Environment::default()
    };
    let store = registry_store(&env, &[]);
    let mut writer = store
        .blob_writer(&image, MediaType::OciLayerGzip)
        .expect("writer");
    std::io::Write::write_all(&mut writer, b"bytes").expect("spooled");
    let err = writer.finish().expect_err("refused");
    assert_refused(&err, Action::Write, &image, wrong);
    let err = store.read_image(&image, &amd64()).expect_err("refused");
    assert_refused(&err, Action::Read, &image, wrong);

    let anonymous = registry_store(&Environment::default(), &[]);
    let err = anonymous.read_image(&image, &amd64()).expect_err("refused");
    assert_refused(&err, Action::Read, &image, PASSWORD);
}
