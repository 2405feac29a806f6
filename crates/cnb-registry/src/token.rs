//! Identity tokens (`X-Identity` in `CNB_REGISTRY_AUTH`, `identitytoken` in docker config, a
//! helper's `<token>` user): an `OAuth2` refresh token, exchanged at the registry's token
//! service (named by the `WWW-Authenticate: Bearer realm=…` challenge of `GET /v2/`) for an
//! access token scoped to one repository, as docker and go-containerregistry do.

use serde::Deserialize;

use crate::RequestError;
use crate::transport::{Scheme, Transport, scheme_for};

/// The `client_id` sent to token services.
const CLIENT_ID: &str = "cnb-lifecycle";

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

/// A plain HTTP client with the transport's roots, proxies and timeouts.
pub(crate) fn http_client(transport: &Transport) -> Result<reqwest::Client, reqwest::Error> {
    let roots = transport
        .roots
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    let mut builder = reqwest::Client::builder()
        .connect_timeout(transport.request_timeout)
        .read_timeout(transport.request_timeout)
        .no_proxy();
    if !transport.roots.is_empty() {
        builder = builder.tls_certs_only(roots);
    }
    let no_proxy = reqwest::NoProxy::from_string(&crate::transport::no_proxy_list(
        transport.no_proxy.as_deref(),
    ));
    if let Some(proxy) = &transport.https_proxy {
        builder = builder.proxy(reqwest::Proxy::https(proxy)?.no_proxy(no_proxy.clone()));
    }
    if let Some(proxy) = &transport.http_proxy {
        builder = builder.proxy(reqwest::Proxy::http(proxy)?.no_proxy(no_proxy));
    }
    builder.build()
}

/// Exchanges `refresh_token` for an access token to pull from and push to `repository` on
/// `registry`.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    transport: &Transport,
    registry: &str,
    repository: &str,
    refresh_token: &str,
) -> Result<String, RequestError> {
    let fail = |reason: String| RequestError::TokenExchange {
        registry: registry.to_owned(),
        reason,
    };
    let scheme = match scheme_for(registry, &transport.insecure_registries) {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    let ping = http
        .get(format!("{scheme}://{registry}/v2/"))
        .send()
        .await
        .map_err(|err| fail(format!("GET /v2/: {}", without_url(&err))))?;
    let challenge = ping
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_bearer_challenge)
        .ok_or_else(|| fail("the registry offers no bearer token service".to_owned()))?;
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.to_owned()),
        ("client_id", CLIENT_ID.to_owned()),
        ("scope", format!("repository:{repository}:pull,push")),
    ];
    if let Some(service) = challenge.service {
        form.push(("service", service));
    }
    let body = form
        .iter()
        .map(|(key, value)| format!("{key}={}", form_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let answer = http
        .post(&challenge.realm)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .timeout(transport.request_timeout)
        .send()
        .await
        .map_err(|err| fail(format!("POST token: {}", without_url(&err))))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(fail(format!("the token service answered {status}")));
    }
    let bytes = answer
        .bytes()
        .await
        .map_err(|err| fail(format!("reading the token: {}", without_url(&err))))?;
    let answer: TokenAnswer = serde_json::from_slice(&bytes)
        .map_err(|_| fail("the token service answered no token JSON".to_owned()))?;
    answer
        .access_token
        .or(answer.token)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| fail("the token service answered no token".to_owned()))
}

/// A reqwest error's text without its URL (a URL could carry a query with a token).
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

/// `realm` and `service` of a `Bearer` challenge.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) realm: String,
    pub(crate) service: Option<String>,
}

pub(crate) fn parse_bearer_challenge(header: &str) -> Option<Challenge> {
    let (scheme, params) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            _ => {}
        }
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        realm: realm?,
        service,
    })
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
