//! Retries with exponential backoff for requests that fail on the way (connection errors,
//! timeouts, `429`, `5xx`), each attempt bounded by a timeout, all of them by the store's
//! patience with a registry that answers nothing. Anything else (a `401`, a `404`, a bad
//! digest, a certificate nobody trusts) fails at once.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::RequestError;
use crate::read::is_tls_failure;
use crate::registry::Registry;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles each time.
    pub first_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Runs `attempt` against `registry` until it succeeds, fails for good, the attempts run
/// out, or the registry has been silent for longer than the store waits. Each attempt gets
/// `timeout`, or what is left of the store's patience with a silent registry if less.
pub(crate) async fn retry<T, F, Fut>(
    registry: &Registry,
    timeout: Duration,
    operation: &str,
    mut attempt: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let policy = registry.retry;
    let attempts = policy.attempts.max(1);
    let mut tried = 0;
    loop {
        tried += 1;
        let limit = timeout.min(registry.patience(operation)?);
        let start = Instant::now();
        let result = match tokio::time::timeout(limit, attempt()).await {
            Ok(result) => result,
            Err(_) => Err(RequestError::Timeout {
                operation: operation.to_owned(),
                seconds: limit.as_secs(),
            }),
        };
        let err = match result {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        if is_unanswered(&err) {
            registry.unanswered(start);
            // Past the store's patience: say so, rather than the last attempt's error.
            registry.patience(operation)?;
        }
        if tried >= attempts || !is_transient(&err) {
            return Err(err);
        }
        let wait = policy.backoff(tried);
        tracing::debug!(
            operation,
            attempt = tried,
            ?wait,
            error = &err as &dyn std::error::Error,
            "retrying"
        );
        tokio::time::sleep(wait).await;
    }
}

/// Whether the request got no answer at all (from the registry or its token service).
pub(crate) fn is_unanswered(err: &RequestError) -> bool {
    match err {
        RequestError::Timeout { .. } | RequestError::Unresponsive { .. } => true,
        RequestError::Send { source, .. } => !is_tls_failure(source) && !source.is_redirect(),
        RequestError::Token { status, .. } => status.is_none(),
        _ => false,
    }
}

/// Whether trying again may help.
pub(crate) fn is_transient(err: &RequestError) -> bool {
    match err {
        RequestError::Timeout { .. } | RequestError::Send { .. } | RequestError::Token { .. } => {
            is_unanswered(err) || err.status().is_some_and(transient_status)
        }
        RequestError::Status { status, .. } => {
            transient_status(*status) || err.codes().iter().any(|code| code == "TOOMANYREQUESTS")
        }
        RequestError::Unresponsive { .. }
        | RequestError::NoTrustedRoots { .. }
        | RequestError::Spool { .. }
        | RequestError::Credentials(_)
        | RequestError::DigestMismatch { .. }
        | RequestError::TooLarge { .. }
        | RequestError::Protocol { .. } => false,
    }
}

fn transient_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// Whether the registry refused our credentials (or wanted some).
pub(crate) fn is_unauthorized(err: &RequestError) -> bool {
    if matches!(err, RequestError::Credentials(_)) {
        return true;
    }
    matches!(err.status(), Some(401 | 403))
        || err
            .codes()
            .iter()
            .any(|code| code == "UNAUTHORIZED" || code == "DENIED")
}

/// Whether the registry said the thing asked for does not exist.
pub(crate) fn is_not_found(err: &RequestError) -> bool {
    matches!(err, RequestError::Status { status: 404, .. })
        || err.codes().iter().any(|code| {
            matches!(
                code.as_str(),
                "MANIFEST_UNKNOWN" | "NAME_UNKNOWN" | "NOT_FOUND" | "BLOB_UNKNOWN"
            )
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::Credential;
    use crate::transport::Transport;

    fn server_error(code: u16) -> RequestError {
        RequestError::Status {
            operation: "GET manifest".into(),
            status: code,
            codes: Vec::new(),
            detail: String::new(),
        }
    }

    /// A registry (never contacted) with quick retries and `give_up_after` of patience.
    fn registry(give_up_after: Duration) -> Registry {
        let transport = Transport {
            insecure_registries: vec![],
            request_timeout: Duration::from_secs(5),
            give_up_after,
            roots: Arc::new(vec![]),
            https_proxy: None,
            http_proxy: None,
            no_proxy: None,
        };
        let policy = RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = crate::transport::http_client(&transport).unwrap();
        Registry::new("r.io", http, &transport, Credential::Anonymous, policy).unwrap()
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let waits: Vec<u128> = (1..=7).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 8000, 8000]);
    }

    #[test]
    fn retries_transient_failures_until_success() {
        let registry = registry(Duration::from_mins(1));
        let calls = AtomicU32::new(0);
        let result = run(retry(&registry, Duration::from_secs(5), "op", || {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if call < 2 {
                    Err(server_error(503))
                } else {
                    Ok(call)
                }
            }
        }));
        assert_eq!(result.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn gives_up_after_the_last_attempt_and_never_retries_client_errors() {
        let registry = registry(Duration::from_mins(1));
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = run(retry(&registry, Duration::from_secs(5), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(server_error(429)) }
        }));
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), _> = run(retry(&registry, Duration::from_secs(5), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(server_error(401)) }
        }));
        assert!(is_unauthorized(&result.unwrap_err()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(is_not_found(&server_error(404)));
        assert!(!is_not_found(&server_error(500)));
    }

    #[test]
    fn an_attempt_that_hangs_times_out_and_is_retried() {
        let registry = registry(Duration::from_mins(1));
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = run(retry(&registry, Duration::from_millis(20), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::pending()
        }));
        assert!(matches!(result, Err(RequestError::Timeout { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_registry_silent_for_longer_than_the_store_waits_is_given_up_on() {
        let registry = registry(Duration::from_millis(50));
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = run(retry(&registry, Duration::from_secs(5), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::pending()
        }));
        let err = result.unwrap_err();
        assert!(
            matches!(err, RequestError::Unresponsive { ref registry, .. } if registry == "r.io"),
            "{err}"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the attempt got what patience was left"
        );
        // Later requests fail at once.
        let result: Result<(), _> = run(retry(&registry, Duration::from_secs(5), "next", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        }));
        assert!(matches!(result, Err(RequestError::Unresponsive { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Any answer ends the silence.
        registry.answered();
        assert!(registry.patience("op").is_ok());
    }
}
