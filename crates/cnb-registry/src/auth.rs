//! Authorization for one registry, as go-containerregistry does it: nothing for an open
//! registry; the user name and password on every request for a `Basic` challenge; for a
//! `Bearer` challenge, an access token from the registry's token service, one per scope
//! (repository and actions), cached until it expires or the registry refuses it. The token
//! service is asked with `GET` (anonymous, or with the user name and password), or with an
//! `OAuth2` refresh-token `POST` for identity tokens. A static registry token is sent as is.
//!
//! Nothing here prints a secret: tokens are [`Secret`]s, errors say what failed without
//! values, and [`Auth::redact`] cuts our secrets out of text a registry sends back.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use crate::challenge::Challenge;
use crate::client::lock;
use crate::read::{Limited, read_limited};
use crate::{Credential, RequestError};

/// The `client_id` sent to token services.
const CLIENT_ID: &str = "cnb-lifecycle";
/// How long a token lives when the token service does not say (the token-auth spec's 60 s).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_mins(1);
/// A token is renewed this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(10);
/// The most a token service's answer may hold.
const TOKEN_ANSWER_LIMIT: u64 = 1 << 20;

/// A value that never prints.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What a request needs access to: a repository, to pull or to push, and other repositories
/// of the registry to read blobs from (cross-repository mounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    repository: String,
    push: bool,
    sources: Vec<String>,
}

impl Scope {
    /// Pull from `repository`.
    pub(crate) fn pull(repository: &str) -> Self {
        Self {
            repository: repository.to_owned(),
            push: false,
            sources: Vec::new(),
        }
    }

    /// Pull from and push to `repository`.
    pub(crate) fn push(repository: &str) -> Self {
        Self {
            push: true,
            ..Self::pull(repository)
        }
    }

    /// Push to `repository`, pulling blobs from `source`.
    pub(crate) fn mount(repository: &str, source: &str) -> Self {
        Self {
            sources: vec![source.to_owned()],
            ..Self::push(repository)
        }
    }

    /// The `scope` values to ask a token service for.
    fn params(&self) -> Vec<String> {
        let actions = if self.push { "pull,push" } else { "pull" };
        std::iter::once(format!("repository:{}:{actions}", self.repository))
            .chain(
                self.sources
                    .iter()
                    .map(|source| format!("repository:{source}:pull")),
            )
            .collect()
    }

    fn key(&self) -> String {
        self.params().join(" ")
    }
}

/// What the registry asked for, as far as we know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Need {
    /// Nothing yet: the registry is open, or its ping went unanswered.
    #[default]
    Nothing,
    /// One of these challenges.
    Challenge(Challenge),
}

#[derive(Debug)]
struct Token {
    value: Secret,
    expires: Instant,
}

/// Authorization for one registry.
pub(crate) struct Auth {
    registry: String,
    credential: Credential,
    need: Mutex<Need>,
    tokens: Mutex<BTreeMap<String, Token>>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("registry", &self.registry)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Auth {
    pub(crate) fn new(registry: &str, credential: Credential) -> Self {
        Self {
            registry: registry.to_owned(),
            credential,
            need: Mutex::new(Need::Nothing),
            tokens: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether the credential is a static registry token, sent whatever the registry says
    /// (so the registry needs no ping).
    pub(crate) fn has_static_token(&self) -> bool {
        matches!(self.credential, Credential::Bearer(_))
    }

    /// Records what a ping (or a refused request) said; returns whether it changed what we
    /// send.
    pub(crate) fn learn(&self, challenge: Option<Challenge>) -> bool {
        let need = challenge.map_or(Need::Nothing, Need::Challenge);
        let mut current = lock(&self.need);
        let changed = *current != need;
        *current = need;
        changed
    }

    /// Forgets the token for `scope` after the registry refused it; returns whether a new one
    /// may help (there was one).
    pub(crate) fn refused(&self, scope: &Scope) -> bool {
        lock(&self.tokens).remove(&scope.key()).is_some()
    }

    /// The `Authorization` header for a request needing `scope`, fetching a token first when
    /// the registry wants one.
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        timeout: Duration,
        scope: &Scope,
    ) -> Result<Option<Secret>, RequestError> {
        if let Credential::Bearer(token) = &self.credential {
            return Ok(Some(Secret(format!("Bearer {token}"))));
        }
        let need = lock(&self.need).clone();
        match need {
            Need::Nothing => Ok(None),
            Need::Challenge(Challenge::Basic) => Ok(self.basic().map(Secret)),
            Need::Challenge(Challenge::Bearer { realm, service }) => {
                if let Some(token) = self.cached(scope) {
                    return Ok(Some(Secret(format!("Bearer {}", token.0))));
                }
                let (token, lifetime) = self
                    .fetch_token(http, timeout, &realm, service.as_deref(), scope)
                    .await?;
                let expires = Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN);
                let header = Secret(format!("Bearer {}", token.0));
                lock(&self.tokens).insert(
                    scope.key(),
                    Token {
                        value: token,
                        expires,
                    },
                );
                Ok(Some(header))
            }
        }
    }

    /// A live token for `scope`; a push token of the same repository serves a pull.
    fn cached(&self, scope: &Scope) -> Option<Secret> {
        let tokens = lock(&self.tokens);
        let now = Instant::now();
        let live = |key: &str| {
            tokens
                .get(key)
                .filter(|token| token.expires > now)
                .map(|token| token.value.clone())
        };
        live(&scope.key()).or_else(|| {
            (!scope.push && scope.sources.is_empty())
                .then(|| live(&Scope::push(&scope.repository).key()))
                .flatten()
        })
    }

    /// `Basic <base64 user:password>`, for basic credentials.
    fn basic(&self) -> Option<String> {
        let Credential::Basic { username, password } = &self.credential else {
            return None;
        };
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        Some(format!("Basic {encoded}"))
    }

    /// Asks the token service at `realm` for a token for `scope`: an `OAuth2` refresh-token
    /// `POST` for an identity token (falling back to `GET` where the service does not speak
    /// `OAuth2`, as Go does), else a `GET`, with the user name and password if we have them.
    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        timeout: Duration,
        realm: &str,
        service: Option<&str>,
        scope: &Scope,
    ) -> Result<(Secret, Duration), RequestError> {
        let url = reqwest::Url::parse(realm).map_err(|_| RequestError::Protocol {
            operation: format!("getting a token for {}", self.registry),
            reason: "the registry names a token service URL that does not parse".to_owned(),
        })?;
        let mut answer = None;
        if let Credential::IdentityToken(refresh) = &self.credential {
            let sent = http
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(refresh_form(refresh, service, scope))
                .timeout(timeout)
                .send()
                .await
                .map_err(|err| self.token_error(None, "asking the token service", Some(err)))?;
            if sent.status() != reqwest::StatusCode::NOT_FOUND {
                answer = Some(sent);
            }
        }
        let answer = if let Some(answer) = answer {
            answer
        } else {
            let mut url = url;
            {
                let mut query = url.query_pairs_mut();
                if let Some(service) = service {
                    query.append_pair("service", service);
                }
                for param in scope.params() {
                    query.append_pair("scope", &param);
                }
            }
            let mut request = http.get(url).timeout(timeout);
            if let Some(basic) = self.basic() {
                request = request.header(reqwest::header::AUTHORIZATION, basic);
            }
            request
                .send()
                .await
                .map_err(|err| self.token_error(None, "asking the token service", Some(err)))?
        };
        self.read_token(answer).await
    }

    /// The token and its lifetime from the token service's answer.
    async fn read_token(
        &self,
        answer: reqwest::Response,
    ) -> Result<(Secret, Duration), RequestError> {
        let status = answer.status();
        let answered = Some(status.as_u16());
        if !status.is_success() {
            let reason = format!("the token service answered {status}");
            return Err(self.token_error(answered, &reason, None));
        }
        let bytes = read_limited(answer, TOKEN_ANSWER_LIMIT)
            .await
            .map_err(|err| match err {
                Limited::TooLarge => {
                    self.token_error(answered, "the token service's answer is too large", None)
                }
                Limited::Failed(err) => {
                    self.token_error(None, "reading the token service's answer", Some(err))
                }
            })?;
        let parsed: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| {
            self.token_error(answered, "the token service answered no token JSON", None)
        })?;
        let lifetime = parsed
            .expires_in
            .filter(|seconds| *seconds > 0)
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        let token = parsed
            .token
            .filter(|token| !token.is_empty())
            .or(parsed.access_token)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                self.token_error(answered, "the token service answered no token", None)
            })?;
        Ok((Secret(token), lifetime))
    }

    fn token_error(
        &self,
        status: Option<u16>,
        reason: &str,
        source: Option<reqwest::Error>,
    ) -> RequestError {
        RequestError::Token {
            registry: self.registry.clone(),
            status,
            reason: reason.to_owned(),
            source: source.map(reqwest::Error::without_url),
        }
    }

    /// `text` with every secret of ours (password, tokens, encoded credentials) replaced by
    /// `<redacted>`: for text a registry sends back, which might echo what it got.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<String> = Vec::new();
        match &self.credential {
            Credential::Anonymous => {}
            Credential::Basic { password, .. } => {
                secrets.push(password.clone());
                if let Some(basic) = self.basic() {
                    secrets.extend(basic.strip_prefix("Basic ").map(str::to_owned));
                }
            }
            Credential::Bearer(token) | Credential::IdentityToken(token) => {
                secrets.push(token.clone());
            }
        }
        secrets.extend(
            lock(&self.tokens)
                .values()
                .map(|token| token.value.0.clone()),
        );
        let mut text = text.to_owned();
        for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
            text = text.replace(secret.as_str(), "<redacted>");
        }
        text
    }
}

/// The form of an `OAuth2` refresh-token grant for `scope`.
fn refresh_form(refresh: &str, service: Option<&str>, scope: &Scope) -> String {
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh.to_owned()),
        ("client_id", CLIENT_ID.to_owned()),
        ("scope", scope.params().join(" ")),
    ];
    if let Some(service) = service {
        form.push(("service", service.to_owned()));
    }
    form.iter()
        .map(|(key, value)| format!("{key}={}", form_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(crate) fn form_encode(value: &str) -> String {
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
