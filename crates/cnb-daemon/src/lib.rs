//! An [`ImageStore`](cnb_image::ImageStore) over a Docker daemon's Engine API (`-daemon`): the
//! socket `DOCKER_HOST` names (default `unix:///var/run/docker.sock`; plain `tcp://` too), the
//! API version negotiated as the Go client does, a root-owned socket dialled before privileges
//! drop and its connections kept ([`DaemonClient`]).
//!
//! # The client: hand-written over hyper
//!
//! The Engine API calls are a small client over hyper's HTTP/1.1 connections
//! (`hyper::client::conn::http1`) on a tokio unix or TCP stream, not a client crate. bollard
//! (0.21, tokio and hyper 1, fine in a static musl binary) was the candidate and was left out:
//! its connectors dial lazily per connection, and the Go lifecycle's case that matters for
//! pack, a root-owned socket used after dropping to the build user, needs connections dialled
//! up front and kept alive, which is a custom transport, the bulk of what a client is here;
//! the image load must be a body streamed from a synchronous writer with backpressure, with
//! no request timeout (bollard's default is two minutes); and the eight calls used (ping,
//! version, info, image inspect, history, load, save, tag) are a few hundred lines against the
//! generated models of the whole API that bollard-stubs compiles into every build.
//!
//! # Images without manifests: how the blob-by-blob seam maps onto the daemon
//!
//! A daemon keeps images, not blobs. Reading, an image is `GET /images/{name}/json` (inspect)
//! and `/history`: its config is rebuilt from them as imgutil's local image does, its identity
//! is its image ID ([`ImageIdentity::DaemonId`](cnb_image::ImageIdentity)), and it gets a made-up Docker
//! manifest whose layers are named by their diffIDs (uncompressed). A layer's bytes are read
//! from the launch cache, or else from `GET /images/get` (`docker save`) of the image, once.
//!
//! Writing, an image is one `POST /images/load` whose body is a docker-archive (the layer
//! tars, the config, `manifest.json`) streamed while the exporter works:
//! - a layer written with its size known
//!   ([`blob_writer_sized`](cnb_image::ImageStore::blob_writer_sized)) goes straight into the
//!   archive as one entry, hashed on the way, and into the launch cache's new generation
//!   (written past the page cache: see `cnb_sys::DirectFile`); the exporter counts a layer's
//!   tar before writing it, as the daemon wants uncompressed layers
//!   ([`layer_media_type`](cnb_image::ImageStore::layer_media_type));
//! - the archive takes one entry at a time, and the exporter makes layers in parallel: a
//!   layer that finds another's entry being written waits for it when it is big, and is
//!   spooled when it is small (under 16 MiB). Spooling a big layer would write it to disk,
//!   read it back and hold the daemon's unpacking of it until the export ends: with a 1 GiB
//!   layer, that race alone made some exports half again as slow as `docker load`;
//! - a layer of unknown size is spooled to a file (the launch cache, else a temp dir);
//! - a layer "reused" ([`reuse_blob`](cnb_image::ImageStore::reuse_blob)) is kept in the
//!   launch cache and, when the image is saved, sent as a zero-byte entry if the layers
//!   below it and it are the bottom of an image the daemon holds (it then has the layer chain
//!   and reads nothing), else from the launch cache, else from a `docker save`;
//! - the config is held until [`write_manifest`](cnb_image::ImageStore::write_manifest), which
//!   ends the archive, reads the load's verdict, inspects the loaded image for its ID, tags the
//!   other names and commits the launch cache.
//!
//! An archive cut short loads nothing: the daemon unpacks it whole before it registers a
//! layer, so a failed export leaves no half-loaded image.
//!
//! Layer 3 (adapter): depends on cnb-image, cnb-cache (the launch cache) and cnb-archive
//! (reading compressed layers); owns a small tokio runtime so callers stay synchronous.

mod api;
mod body;
mod client;
mod conn;
mod error;
mod host;
mod image;
mod load;
mod name;
mod save;
mod save_image;
mod store;
mod writer;

pub use client::DaemonClient;
pub use error::Error;
pub use host::{ApiVersion, DEFAULT_HOST, DaemonConfig};
pub use store::DaemonStore;
