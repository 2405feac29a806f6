//! Connections to the daemon: HTTP/1.1 over a unix socket or TCP, one request at a time each,
//! kept for reuse. A root-owned socket is dialled before privileges drop ([`Pool::pin`]): the
//! process could not dial it again as the build user, so those connections are kept alive by
//! a ping every second while idle (as the Go creator pings while it builds), and a caller that
//! finds them all busy with a ping waits for one instead of dialling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Notify;

use crate::Error;
use crate::body::RequestBody;
use crate::host::Endpoint;

/// How often idle pinned connections are pinged.
const KEEP_ALIVE: Duration = Duration::from_secs(1);
/// The `Host` header the Go client sends over a socket.
const HOST: &str = "api.moby.localhost";

/// Idle connections to one endpoint.
pub(crate) struct Pool {
    endpoint: Endpoint,
    idle: Mutex<Vec<SendRequest<RequestBody>>>,
    pinging: AtomicUsize,
    returned: Notify,
}

impl Pool {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            idle: Mutex::new(Vec::new()),
            pinging: AtomicUsize::new(0),
            returned: Notify::new(),
        }
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Dials `count` connections now and keeps them alive for the pool's lifetime.
    pub(crate) async fn pin(self: &Arc<Self>, count: usize) -> Result<(), Error> {
        for _ in 0..count {
            let sender = self.dial().await?;
            self.release(sender);
        }
        tokio::spawn(Arc::clone(self).keep_alive());
        Ok(())
    }

    /// A new connection.
    pub(crate) async fn dial(&self) -> Result<SendRequest<RequestBody>, Error> {
        let connect = |source| Error::Connect {
            endpoint: self.endpoint.to_string(),
            source,
        };
        let exchange = |source| Error::Exchange {
            endpoint: self.endpoint.to_string(),
            method: "CONNECT".to_owned(),
            path: String::new(),
            source,
        };
        match &self.endpoint {
            Endpoint::Unix(path) => {
                let stream = UnixStream::connect(path).await.map_err(connect)?;
                let (sender, connection) = http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(exchange)?;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!("docker connection closed: {error}");
                    }
                });
                Ok(sender)
            }
            Endpoint::Tcp(address) => {
                let stream = TcpStream::connect(address).await.map_err(connect)?;
                stream.set_nodelay(true).map_err(connect)?;
                let (sender, connection) = http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(exchange)?;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!("docker connection closed: {error}");
                    }
                });
                Ok(sender)
            }
        }
    }

    /// An idle connection ready for a request, else a new one. While pinned connections are
    /// out for a ping, waits for one to come back rather than dialling.
    pub(crate) async fn acquire(&self) -> Result<SendRequest<RequestBody>, Error> {
        loop {
            let returned = self.returned.notified();
            let candidate = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            if let Some(mut sender) = candidate {
                if !sender.is_closed() && sender.ready().await.is_ok() {
                    return Ok(sender);
                }
                continue;
            }
            if self.pinging.load(Ordering::SeqCst) == 0 {
                return self.dial().await;
            }
            returned.await;
        }
    }

    /// Returns a connection whose last answer was read to its end.
    pub(crate) fn release(&self, sender: SendRequest<RequestBody>) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sender);
        }
        self.returned.notify_waiters();
    }

    /// Sends one request on a pooled connection; hands back the answer and the connection,
    /// which goes back to the pool once the answer is read ([`Self::finish`]).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<(Response<Incoming>, SendRequest<RequestBody>), Error> {
        let mut sender = self.acquire().await?;
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(hyper::header::HOST, HOST);
        if matches!(body, RequestBody::Channel(_)) {
            request = request.header(hyper::header::CONTENT_TYPE, "application/x-tar");
        }
        let exchange = |source| Error::Exchange {
            endpoint: self.endpoint.to_string(),
            method: method.to_string(),
            path: path.to_owned(),
            source,
        };
        // Every part of the request is valid by construction (a path we formatted).
        let request = request.body(body).map_err(|error| Error::Api {
            status: 0,
            message: format!("building the request {method} {path}: {error}"),
        })?;
        let response = sender.send_request(request).await.map_err(exchange)?;
        Ok((response, sender))
    }

    /// Reads the whole answer, returns the connection to the pool, and fails on an error
    /// status with the daemon's message.
    pub(crate) async fn finish(
        &self,
        response: Response<Incoming>,
        sender: SendRequest<RequestBody>,
        what: &str,
    ) -> Result<(StatusCode, Bytes), Error> {
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|source| Error::Exchange {
                endpoint: self.endpoint.to_string(),
                method: String::new(),
                path: what.to_owned(),
                source,
            })?
            .to_bytes();
        self.release(sender);
        if status.is_client_error() || status.is_server_error() {
            let message = crate::api::error_message(&body);
            return Err(Error::Api {
                status: status.as_u16(),
                message: if message.is_empty() {
                    format!("the Docker daemon answered {what} with {status}")
                } else {
                    message
                },
            });
        }
        Ok((status, body))
    }

    /// Pings each idle connection in turn, forever.
    async fn keep_alive(self: Arc<Self>) {
        loop {
            tokio::time::sleep(KEEP_ALIVE).await;
            let count = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len();
            for _ in 0..count {
                self.pinging.fetch_add(1, Ordering::SeqCst);
                let taken = self
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop();
                if let Some(mut sender) = taken {
                    if ping(&mut sender).await {
                        self.idle
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(0, sender);
                    } else {
                        tracing::debug!("a pinned docker connection was lost");
                    }
                }
                self.pinging.fetch_sub(1, Ordering::SeqCst);
                self.returned.notify_waiters();
            }
        }
    }
}

/// `HEAD /_ping` on `sender`; whether it answered.
async fn ping(sender: &mut SendRequest<RequestBody>) -> bool {
    if sender.ready().await.is_err() {
        return false;
    }
    let Ok(request) = Request::builder()
        .method(Method::HEAD)
        .uri("/_ping")
        .header(hyper::header::HOST, "docker")
        .body(RequestBody::Empty)
    else {
        return false;
    };
    match sender.send_request(request).await {
        Ok(response) => response.into_body().collect().await.is_ok(),
        Err(_) => false,
    }
}
