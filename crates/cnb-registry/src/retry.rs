//! Retries with exponential backoff for requests that fail on the way (connection errors,
//! timeouts, `429`, `5xx`), each attempt bounded by a timeout. Anything else (a `401`, a
//! `404`, a bad digest) fails at once.

use std::future::Future;
use std::time::Duration;

use oci_client::errors::{OciDistributionError, OciErrorCode};

use crate::RequestError;

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

/// Runs `attempt` until it succeeds, fails for good, or the attempts run out. Each attempt
/// gets `timeout`.
pub(crate) async fn retry<T, F, Fut>(
    policy: RetryPolicy,
    timeout: Duration,
    operation: &str,
    mut attempt: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let attempts = policy.attempts.max(1);
    let mut tried = 0;
    loop {
        tried += 1;
        let result = match tokio::time::timeout(timeout, attempt()).await {
            Ok(result) => result,
            Err(_) => Err(RequestError::Timeout {
                operation: operation.to_owned(),
                seconds: timeout.as_secs(),
            }),
        };
        match result {
            Ok(value) => return Ok(value),
            Err(err) if tried < attempts && is_transient(&err) => {
                let wait = policy.backoff(tried);
                tracing::debug!(operation, attempt = tried, ?wait, error = %err, "retrying");
                tokio::time::sleep(wait).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Whether trying again may help.
pub(crate) fn is_transient(err: &RequestError) -> bool {
    match err {
        RequestError::Timeout { .. } => true,
        RequestError::Registry { source, .. } => is_transient_oci(source),
        RequestError::Spool { .. }
        | RequestError::Client(_)
        | RequestError::Credentials(_)
        | RequestError::TokenExchange { .. }
        | RequestError::DigestMismatch { .. } => false,
    }
}

fn is_transient_oci(err: &OciDistributionError) -> bool {
    match err {
        OciDistributionError::RequestError(err) => err.status().map_or_else(
            || err.is_connect() || err.is_timeout() || err.is_request() || err.is_body(),
            |status| transient_status(status.as_u16()),
        ),
        OciDistributionError::ServerError { code, .. } => transient_status(*code),
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|error| error.code == OciErrorCode::Toomanyrequests),
        OciDistributionError::IoError(_) => true,
        _ => false,
    }
}

fn transient_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The HTTP status behind an error, when there is one.
pub(crate) fn status_of(err: &OciDistributionError) -> Option<u16> {
    match err {
        OciDistributionError::RequestError(err) => err.status().map(|status| status.as_u16()),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::UnauthorizedError { .. } => Some(401),
        _ => None,
    }
}

/// Whether the registry refused our credentials (or wanted some).
pub(crate) fn is_unauthorized(err: &RequestError) -> bool {
    let RequestError::Registry { source, .. } = err else {
        return matches!(
            err,
            RequestError::Credentials(_) | RequestError::TokenExchange { .. }
        );
    };
    if matches!(status_of(source), Some(401 | 403)) {
        return true;
    }
    matches!(source, OciDistributionError::AuthenticationFailure(_))
        || matches!(source, OciDistributionError::RegistryError { envelope, .. }
        if envelope.errors.iter().any(|error| {
            matches!(error.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)
        }))
}

/// Whether the registry said the thing asked for does not exist.
pub(crate) fn is_not_found(err: &RequestError) -> bool {
    let RequestError::Registry { source, .. } = err else {
        return false;
    };
    status_of(source) == Some(404)
        || matches!(source, OciDistributionError::ImageManifestNotFoundError(_))
        || matches!(source, OciDistributionError::RegistryError { envelope, .. }
        if envelope.errors.iter().any(|error| {
            matches!(
                error.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound
                    | OciErrorCode::BlobUnknown
            )
        }))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn server_error(code: u16) -> RequestError {
        RequestError::Registry {
            operation: "GET manifest".into(),
            source: OciDistributionError::ServerError {
                code,
                url: "http://r/v2/".into(),
                message: String::new(),
            },
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        }
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
        let calls = AtomicU32::new(0);
        let result = run(retry(quick(), Duration::from_secs(5), "op", || {
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
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = run(retry(quick(), Duration::from_secs(5), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(server_error(429)) }
        }));
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), _> = run(retry(quick(), Duration::from_secs(5), "op", || {
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
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = run(retry(quick(), Duration::from_millis(20), "op", || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::pending()
        }));
        assert!(matches!(result, Err(RequestError::Timeout { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
