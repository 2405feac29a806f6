//! [`DaemonClient`]: the Engine API calls the store makes, synchronous to their callers, on a
//! small tokio runtime of the client's own. The API version is negotiated on the first
//! request as the Go client does (`HEAD /_ping`, `GET` if that fails; its `Api-Version`,
//! capped at [`ApiVersion::NEWEST`], refused below [`ApiVersion::OLDEST`]) unless
//! `DOCKER_API_VERSION` fixes it.

use std::future::Future;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use cnb_image::Platform;
use http_body_util::BodyExt;
use hyper::Method;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::Error;
use crate::api::{self, HistoryItem, Info, Inspect};
use crate::body::RequestBody;
use crate::conn::Pool;
use crate::host::{ApiVersion, DaemonConfig, Endpoint};
use crate::load::LoadStream;

/// Connections dialled up front to a root-owned socket: one for a streamed image load, one
/// for what the store asks meanwhile (an export of another image).
const PINNED: usize = 2;
/// Chunks of a streamed answer in flight to a synchronous reader.
const STREAM_CHUNKS: usize = 16;

/// A client of one Docker daemon.
pub struct DaemonClient {
    runtime: Runtime,
    pool: Arc<Pool>,
    fixed: Option<ApiVersion>,
    negotiated: Mutex<Option<ApiVersion>>,
}

impl std::fmt::Debug for DaemonClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonClient")
            .field("endpoint", &self.pool.endpoint().to_string())
            .finish_non_exhaustive()
    }
}

impl DaemonClient {
    /// A client for the daemon `config` names. A root-owned unix socket is dialled now, so
    /// that the client keeps working after the process drops root (the Go lifecycle does the
    /// same); any other endpoint is dialled when first used.
    pub fn connect(config: &DaemonConfig) -> Result<Self, Error> {
        let endpoint = Endpoint::from_config(config)?;
        let fixed = config
            .api_version
            .as_deref()
            .filter(|version| !version.is_empty())
            .map(str::parse)
            .transpose()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cnb-docker")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let pinned = endpoint.is_root_owned_socket();
        let pool = Arc::new(Pool::new(endpoint));
        if pinned {
            runtime.block_on(pool.pin(PINNED))?;
            tracing::debug!("dialled the root-owned docker socket {PINNED} times");
        }
        Ok(Self {
            runtime,
            pool,
            fixed,
            negotiated: Mutex::new(None),
        })
    }

    /// `unix:///var/run/docker.sock`, `tcp://host:port`.
    pub fn endpoint(&self) -> String {
        self.pool.endpoint().to_string()
    }

    /// The API version requests use, negotiated on first use.
    pub fn api_version(&self) -> Result<ApiVersion, Error> {
        self.block_on(self.api_version_async())
    }

    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The API version the daemon names in its ping answer.
    async fn ping(&self) -> Result<ApiVersion, Error> {
        let head = self
            .pool
            .send(Method::HEAD, "/_ping", RequestBody::Empty)
            .await;
        let (response, sender) = match head {
            Ok(answer) => answer,
            Err(error) if error.is_unreachable() => return Err(error),
            Err(_) => {
                self.pool
                    .send(Method::GET, "/_ping", RequestBody::Empty)
                    .await?
            }
        };
        let version = response
            .headers()
            .get("api-version")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        self.pool.finish(response, sender, "GET /_ping").await?;
        match version {
            Some(text) => text.parse(),
            None => Ok(ApiVersion::UNNAMED),
        }
    }

    /// A versioned request with a small body, answered in full.
    async fn call(&self, method: Method, path: &str, body: RequestBody) -> Result<Bytes, Error> {
        let versioned = format!("/v{}{path}", self.api_version_async().await?);
        let (response, sender) = self.pool.send(method.clone(), &versioned, body).await?;
        let (_, body) = self
            .pool
            .finish(response, sender, &format!("{method} {path}"))
            .await?;
        Ok(body)
    }

    /// [`Self::api_version`], from inside the runtime.
    async fn api_version_async(&self) -> Result<ApiVersion, Error> {
        if let Some(version) = self.fixed {
            return Ok(version);
        }
        let known = *self
            .negotiated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(version) = known {
            return Ok(version);
        }
        let daemon = self.ping().await?;
        let version = daemon.min(ApiVersion::NEWEST);
        if version < ApiVersion::OLDEST {
            return Err(Error::DaemonTooOld {
                endpoint: self.endpoint(),
                version: version.to_string(),
                oldest: ApiVersion::OLDEST.to_string(),
            });
        }
        tracing::debug!("docker API version {version}");
        *self
            .negotiated
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(version);
        Ok(version)
    }

    fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, Error> {
        serde_json::from_slice(body).map_err(|source| Error::Decode {
            what: what.to_owned(),
            source,
        })
    }

    /// `GET /info`.
    pub(crate) fn info(&self) -> Result<Info, Error> {
        let body = self.block_on(self.call(Method::GET, "/info", RequestBody::Empty))?;
        Self::decode("GET /info", &body)
    }

    /// `GET /images/{name}/json`, for `platform` when the daemon takes one; `None` when the
    /// daemon has no such image.
    pub(crate) fn inspect(
        &self,
        name: &str,
        platform: Option<&Platform>,
    ) -> Result<Option<Inspect>, Error> {
        let mut path = format!("/images/{}/json", api::encode(name, "/:@"));
        if let Some(platform) = platform.filter(|_| {
            self.api_version()
                .is_ok_and(|version| version >= ApiVersion::PLATFORM_INSPECT)
        }) {
            path.push_str(&api::query(&[("platform", &api::platform_json(platform))]));
        }
        match self.block_on(self.call(Method::GET, &path, RequestBody::Empty)) {
            Ok(body) => Self::decode(&format!("GET {path}"), &body).map(Some),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET /images/{name}/history`, newest first.
    pub(crate) fn history(
        &self,
        name: &str,
        platform: Option<&Platform>,
    ) -> Result<Vec<HistoryItem>, Error> {
        let mut path = format!("/images/{}/history", api::encode(name, "/:@"));
        if let Some(platform) = platform.filter(|_| {
            self.api_version()
                .is_ok_and(|version| version >= ApiVersion::PLATFORM_HISTORY)
        }) {
            path.push_str(&api::query(&[("platform", &api::platform_json(platform))]));
        }
        let body = self.block_on(self.call(Method::GET, &path, RequestBody::Empty))?;
        Self::decode(&format!("GET {path}"), &body)
    }

    /// `POST /images/{source}/tag?repo=&tag=`.
    pub(crate) fn tag(&self, source: &str, repo: &str, tag: &str) -> Result<(), Error> {
        let path = format!(
            "/images/{}/tag{}",
            api::encode(source, "/:@"),
            api::query(&[("repo", repo), ("tag", tag)])
        );
        self.block_on(self.call(Method::POST, &path, RequestBody::Empty))
            .map(drop)
    }

    /// `GET /images/get?names=<name>` (`docker save`), as a stream of tar bytes.
    pub(crate) fn save(
        &self,
        name: &str,
        platform: Option<&Platform>,
    ) -> Result<Box<dyn Read + Send>, Error> {
        let version = self.api_version()?;
        let platform_json = platform
            .filter(|_| version >= ApiVersion::PLATFORM_HISTORY)
            .map(api::platform_json);
        let mut pairs = vec![("names", name)];
        if let Some(platform) = &platform_json {
            pairs.push(("platform", platform));
        }
        let path = format!("/v{version}/images/get{}", api::query(&pairs));
        let (response, sender) =
            self.block_on(self.pool.send(Method::GET, &path, RequestBody::Empty))?;
        if !response.status().is_success() {
            self.block_on(self.pool.finish(response, sender, &path))?;
            return Err(Error::Api {
                status: 0,
                message: format!("GET {path} answered without a body"),
            });
        }
        let (chunks, receiver) = mpsc::channel(STREAM_CHUNKS);
        let pool = Arc::clone(&self.pool);
        self.runtime.spawn(async move {
            let mut body = response.into_body();
            loop {
                match body.frame().await {
                    None => break,
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data()
                            && chunks.send(Ok(data)).await.is_err()
                        {
                            // The reader went away: the connection is dropped mid-answer.
                            return;
                        }
                    }
                    Some(Err(error)) => {
                        let _ = chunks.send(Err(io::Error::other(error))).await;
                        return;
                    }
                }
            }
            pool.release(sender);
        });
        Ok(Box::new(StreamReader {
            receiver,
            current: Bytes::new(),
        }))
    }

    /// Starts `POST /images/load?quiet=1` with a body written as the caller goes.
    pub(crate) fn start_load(&self) -> Result<LoadStream, Error> {
        let version = self.api_version()?;
        let path = format!("/v{version}/images/load?quiet=1");
        Ok(LoadStream::start(self, path))
    }
}

/// A streamed answer read synchronously.
struct StreamReader {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let count = buf.len().min(self.current.len());
        buf[..count].copy_from_slice(&self.current.split_to(count));
        Ok(count)
    }
}
