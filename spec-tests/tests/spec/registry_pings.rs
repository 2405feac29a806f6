//! How often `cnb-registry` pings a registry (`GET /v2/`), counted by the testkit's proxy in
//! every mode a registry can be in: open (no credentials asked), open although credentials
//! are configured for it, behind HTTP basic auth, and behind a token server. The same work
//! each time, 30-odd requests: an image of two layers pushed to one repository, read back
//! three times, then pushed to a second repository and read there.
//!
//! Every registry is pinged once per process, whatever it asks for: the ping says what it
//! wants (nothing, basic auth, or tokens from a token service), and a registry behind a token
//! service then gets one token request per repository and operation (pull, push), each token
//! cached; nothing is refused but the ping. (Go's go-containerregistry pings once per
//! repository scope; the oci-client the store used before pinged five times here.)

use cnb_image::ImageStore;
use cnb_registry::Environment;
use cnb_testkit::{RegistryFixture, RegistryProxy, SeenRequest};

use crate::image_support::{push_image, reference, registry_store};
use crate::registry_store::{amd64, two_layers};

/// Runs the work against `proxy` with `env`; returns the requests the proxy saw.
fn work(proxy: &RegistryProxy, env: &Environment) -> Vec<SeenRequest> {
    let first = reference(&format!("{}/test/app:v1", proxy.host()));
    let second = reference(&format!("{}/test/other:v1", proxy.host()));
    let store = registry_store(env, &[first.clone(), second.clone()]);
    let written = push_image(&store, std::slice::from_ref(&first), &two_layers(), &[]);
    for _ in 0..3 {
        let read = store
            .read_image(&first, &amd64())
            .expect("read")
            .expect("found");
        assert_eq!(read.manifest.digest, written.digest);
    }
    push_image(&store, std::slice::from_ref(&second), &two_layers(), &[]);
    let read = store
        .read_image(&second, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(read.manifest.digest, written.digest);
    proxy.requests()
}

fn pings(requests: &[SeenRequest]) -> usize {
    requests.iter().filter(|r| r.path == "/v2/").count()
}

fn auth_for(proxy: &RegistryProxy, value: &str) -> Environment {
    Environment {
        registry_auth: Some(serde_json::json!({ proxy.host(): value }).to_string()),
        ..Environment::default()
    }
}

#[test]
fn an_open_registry_is_pinged_once() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let requests = work(&proxy, &Environment::default());
    assert_eq!(pings(&requests), 1, "{requests:#?}");
}

#[test]
fn an_open_registry_with_credentials_configured_is_pinged_once() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let requests = work(&proxy, &auth_for(&proxy, "Basic Y25iOnMzY3JldA=="));
    assert_eq!(pings(&requests), 1, "{requests:#?}");
}

#[test]
fn a_basic_auth_registry_is_pinged_once() {
    let registry = RegistryFixture::with_htpasswd("cnb", "s3cret").expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let requests = work(&proxy, &auth_for(&proxy, "Basic Y25iOnMzY3JldA=="));
    assert_eq!(pings(&requests), 1, "{requests:#?}");
    let refused = requests.iter().filter(|r| r.status == Some(401)).count();
    assert_eq!(refused, 1, "only the ping is refused: {requests:#?}");
}

#[test]
fn a_token_auth_registry_is_pinged_once_and_asked_one_token_per_scope() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::with_token_auth(&registry.host()).expect("proxy");
    let requests = work(&proxy, &Environment::default());
    assert_eq!(pings(&requests), 1, "{requests:#?}");
    let tokens = requests
        .iter()
        .filter(|r| r.path.starts_with("/token"))
        .count();
    assert_eq!(
        tokens,
        2 * 2,
        "one per repository and operation: {requests:#?}"
    );
    let refused = requests.iter().filter(|r| r.status == Some(401)).count();
    assert_eq!(refused, 1, "only the ping is refused: {requests:#?}");
}
