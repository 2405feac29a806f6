//! What talking to the daemon failed at. Each variant names the endpoint, request, image or
//! file involved; none repeats its source.

use std::io;
use std::path::PathBuf;

/// A failed daemon operation. The store wraps it in a [`cnb_image::StoreError`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `DOCKER_HOST` is neither `unix://<path>` nor `tcp://<host>:<port>`.
    #[error("DOCKER_HOST {host:?} is not unix://<path> or tcp://<host>:<port>")]
    Host {
        /// The value.
        host: String,
    },
    /// TLS to a TCP daemon was asked for (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
    #[error(
        "DOCKER_HOST {host} asks for TLS (DOCKER_TLS_VERIFY or DOCKER_CERT_PATH is set), which this lifecycle does not speak to a Docker daemon"
    )]
    Tls {
        /// The host.
        host: String,
    },
    /// `DOCKER_API_VERSION` or the daemon's `Api-Version` is not `<major>.<minor>`.
    #[error("API version {0:?} is not <major>.<minor>")]
    ApiVersion(String),
    /// The daemon only speaks an API older than the oldest this client speaks.
    #[error("the Docker daemon at {endpoint} speaks API {version}, older than {oldest}")]
    DaemonTooOld {
        /// The daemon.
        endpoint: String,
        /// What it speaks.
        version: String,
        /// The oldest we speak.
        oldest: String,
    },
    /// The socket could not be dialled.
    #[error("cannot connect to the Docker daemon at {endpoint}")]
    Connect {
        /// `unix:///var/run/docker.sock`, `tcp://…`.
        endpoint: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An HTTP exchange broke off (connection reset, malformed answer).
    #[error("{method} {path} to the Docker daemon at {endpoint}")]
    Exchange {
        /// The daemon.
        endpoint: String,
        /// The method.
        method: String,
        /// The path, without the version prefix.
        path: String,
        /// The cause.
        #[source]
        source: hyper::Error,
    },
    /// The daemon answered with an error status and this message.
    #[error("{message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The daemon's message (its JSON `message`, else the body).
        message: String,
    },
    /// An answer did not parse.
    #[error("reading the Docker daemon's answer to {what}")]
    Decode {
        /// The request.
        what: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The daemon reported an error while loading an image.
    #[error("the Docker daemon failed to load the image: {0}")]
    Load(String),
    /// The tar the daemon exported (`docker save`) could not be read.
    #[error("reading the images the Docker daemon exported")]
    Save(#[source] io::Error),
    /// The daemon's export lacks what its `manifest.json` names.
    #[error("the Docker daemon's export of {image} is incomplete: {what}")]
    SaveIncomplete {
        /// The image.
        image: String,
        /// What is missing.
        what: String,
    },
    /// A local file could not be read or written.
    #[error("accessing {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The launch cache failed.
    #[error("launch cache")]
    LaunchCache(#[source] cnb_cache::Error),
    /// The background runtime could not start.
    #[error("starting the Docker client's runtime")]
    Runtime(#[source] io::Error),
}

impl Error {
    /// Whether the daemon said the image does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. })
    }

    /// Whether the daemon could not be reached at all (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Exchange { .. })
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
