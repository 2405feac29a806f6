//! [`Registry`]: the store's connection to one registry host. It pings the registry once
//! (`GET /v2/`) to learn what it asks for, sends every request with the authorization that
//! needs (see `auth.rs`; only to the registry's own host), answers a `401` challenge once by
//! renewing it, and keeps track of silence: a registry that leaves requests unanswered for
//! longer than the store waits is given up on, then and for the rest of the process.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

use crate::auth::{Auth, Scope};
use crate::challenge;
use crate::client::lock;
use crate::read::{send_error, status_error};
use crate::retry::RetryPolicy;
use crate::transport::{Scheme, Transport, scheme_for};
use crate::{Credential, RequestError};

/// One registry host, as the store talks to it.
#[derive(Debug)]
pub(crate) struct Registry {
    host: String,
    base: Url,
    http: reqwest::Client,
    auth: Auth,
    no_roots: bool,
    request_timeout: Duration,
    give_up_after: Duration,
    pub(crate) retry: RetryPolicy,
    pinged: tokio::sync::OnceCell<()>,
    /// When the current run of unanswered requests began.
    silent_since: Mutex<Option<Instant>>,
}

impl Registry {
    pub(crate) fn new(
        host: &str,
        http: reqwest::Client,
        transport: &Transport,
        credential: Credential,
        retry: RetryPolicy,
    ) -> Result<Self, RequestError> {
        let scheme = match scheme_for(host, &transport.insecure_registries) {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let base =
            Url::parse(&format!("{scheme}://{host}/")).map_err(|_| RequestError::Protocol {
                operation: "naming the registry".to_owned(),
                reason: format!("{host} is not a host name"),
            })?;
        Ok(Self {
            host: host.to_owned(),
            base,
            http,
            auth: Auth::new(host, credential),
            no_roots: transport.roots.is_empty(),
            request_timeout: transport.request_timeout,
            give_up_after: transport.give_up_after,
            retry,
            pinged: tokio::sync::OnceCell::new(),
            silent_since: Mutex::new(None),
        })
    }

    /// `<scheme>://<host>/v2/<path>`.
    pub(crate) fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("/v2/{path}"));
        url
    }

    /// A `Location` an answer names, resolved against the registry.
    pub(crate) fn resolve(&self, operation: &str, location: &str) -> Result<Url, RequestError> {
        self.base
            .join(location)
            .map_err(|_| RequestError::Protocol {
                operation: operation.to_owned(),
                reason: "the registry named an upload location that does not parse".to_owned(),
            })
    }

    /// Pings the registry, once per store, to learn what it asks for. A registry with a
    /// static token needs no ping (the token is sent anyway).
    async fn ping_once(&self) {
        if self.auth.has_static_token() {
            return;
        }
        self.pinged
            .get_or_init(|| async {
                let start = Instant::now();
                let answer = self
                    .http
                    .get(self.url(""))
                    .timeout(self.request_timeout)
                    .send()
                    .await;
                match answer {
                    Ok(answer) => {
                        self.answered();
                        let challenge = (answer.status() == StatusCode::UNAUTHORIZED)
                            .then(|| challenge_of(&answer))
                            .flatten();
                        tracing::debug!(registry = %self.host, status = %answer.status(), ?challenge, "pinged registry");
                        self.auth.learn(challenge);
                    }
                    Err(err) => {
                        if !crate::read::is_tls_failure(&err) {
                            self.unanswered(start);
                        }
                        let err = err.without_url();
                        tracing::debug!(registry = %self.host, error = &err as &dyn std::error::Error, "registry ping failed");
                    }
                }
            })
            .await;
    }

    /// Sends the request `build` makes (with authorization for `scope` added when it goes to
    /// this registry) and returns the answer, whatever its status. A `401` is answered once
    /// by renewing the authorization, when `build` can make the request again (a streamed
    /// body cannot: it returns `None` the second time).
    pub(crate) async fn send(
        &self,
        operation: &str,
        scope: &Scope,
        mut build: impl FnMut(&reqwest::Client) -> Option<reqwest::RequestBuilder>,
    ) -> Result<reqwest::Response, RequestError> {
        self.ping_once().await;
        let mut refused = None;
        for _round in 0..2 {
            let Some(builder) = build(&self.http) else {
                break;
            };
            let header = self
                .auth
                .header(&self.http, self.request_timeout, scope)
                .await?;
            let mut request = builder
                .build()
                .map_err(|err| self.send_error(operation, err))?;
            if let Some(header) = &header
                && self.is_own(request.url())
            {
                let value = reqwest::header::HeaderValue::from_str(&header.0).map_err(|_| {
                    RequestError::Protocol {
                        operation: operation.to_owned(),
                        reason: "the credentials make no valid header".to_owned(),
                    }
                })?;
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            let response = self
                .http
                .execute(request)
                .await
                .map_err(|err| self.send_error(operation, err))?;
            self.answered();
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let challenge = challenge_of(&response);
            let renewed = match challenge {
                Some(challenge) => self.auth.learn(Some(challenge)),
                None => false,
            } || (header.is_some() && self.auth.refused(scope));
            if !renewed {
                return Ok(response);
            }
            refused = Some(response);
        }
        refused.ok_or_else(|| RequestError::Protocol {
            operation: operation.to_owned(),
            reason: "no request to send".to_owned(),
        })
    }

    /// A [`RequestError`] for an answer with an unexpected status.
    pub(crate) async fn status_error(
        &self,
        operation: &str,
        response: reqwest::Response,
    ) -> RequestError {
        status_error(operation, response, &self.auth).await
    }

    pub(crate) fn send_error(&self, operation: &str, err: reqwest::Error) -> RequestError {
        send_error(operation, &self.host, self.no_roots, err)
    }

    fn is_own(&self, url: &Url) -> bool {
        url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// The registry answered something.
    pub(crate) fn answered(&self) {
        *lock(&self.silent_since) = None;
    }

    /// An attempt begun at `start` got no answer.
    pub(crate) fn unanswered(&self, start: Instant) {
        lock(&self.silent_since).get_or_insert(start);
    }

    /// How long the next attempt of `operation` may wait for an answer before the store gives
    /// up on the registry; an error once it has.
    pub(crate) fn patience(&self, operation: &str) -> Result<Duration, RequestError> {
        let Some(since) = *lock(&self.silent_since) else {
            return Ok(self.give_up_after);
        };
        let silent = since.elapsed();
        if silent >= self.give_up_after {
            return Err(RequestError::Unresponsive {
                operation: operation.to_owned(),
                registry: self.host.clone(),
                seconds: silent.as_secs(),
            });
        }
        Ok(self.give_up_after.saturating_sub(silent))
    }
}

/// The challenge of a `401` answer, if it names one we can answer.
fn challenge_of(response: &reqwest::Response) -> Option<challenge::Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(challenge::parse)
}
