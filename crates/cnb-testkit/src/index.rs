//! [`push_index`]: a multi-platform image pushed the way registries hold one: each image's
//! blobs and manifest by digest (no tag of their own), then one index, an OCI image index or
//! a Docker manifest list, under the tag, listing them in the order given.

use std::io;

use serde_json::{Value, json};

use crate::http::{HttpResponse, http_request};
use crate::oci_layout::{LayoutImage, digest_of, invalid, read_blob, read_json};
use crate::registry::RegistryFixture;
use crate::run_image::{OciLayoutImage, split_repo_and_tag};

/// Which kind of index [`push_index`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// `application/vnd.oci.image.index.v1+json` over the images' OCI manifests.
    Oci,
    /// `application/vnd.docker.distribution.manifest.list.v2+json` over the images converted
    /// to Docker schema 2 manifests (`docker manifest create` lists).
    DockerList,
}

impl IndexKind {
    fn index_type(self) -> &'static str {
        match self {
            Self::Oci => "application/vnd.oci.image.index.v1+json",
            Self::DockerList => "application/vnd.docker.distribution.manifest.list.v2+json",
        }
    }

    fn manifest_type(self) -> &'static str {
        match self {
            Self::Oci => "application/vnd.oci.image.manifest.v1+json",
            Self::DockerList => "application/vnd.docker.distribution.manifest.v2+json",
        }
    }
}

/// An index pushed by [`push_index`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedIndex {
    /// `127.0.0.1:<port>/<repo>:<tag>`.
    pub reference: String,
    /// `127.0.0.1:<port>/<repo>`.
    pub repository: String,
    /// The index's digest.
    pub digest: String,
    /// Each listed image: its platform (`linux/arm64/v8`) and manifest digest, in index order.
    pub manifests: Vec<(String, String)>,
}

impl PushedIndex {
    /// The manifest digest of the image for `platform` (`linux/amd64`).
    ///
    /// # Panics
    /// When the index lists no image for it.
    pub fn manifest_for(&self, platform: &str) -> &str {
        self.manifests
            .iter()
            .find(|(listed, _)| listed == platform)
            .map_or_else(
                || panic!("{} lists no {platform}", self.reference),
                |(_, digest)| digest,
            )
    }
}

/// Pushes `images` (each with its own os/architecture/variant) to the anonymous `registry`
/// by digest and an index of `kind` listing them, in this order, as `repo_and_tag`.
pub fn push_index(
    registry: &RegistryFixture,
    repo_and_tag: &str,
    images: &[&OciLayoutImage],
    kind: IndexKind,
) -> io::Result<PushedIndex> {
    if registry.credentials().is_some() {
        return Err(invalid("push_index needs an anonymous registry"));
    }
    let (repo, tag) = split_repo_and_tag(repo_and_tag)?;
    let host = registry.host();
    let mut entries = Vec::new();
    let mut manifests = Vec::new();
    for image in images {
        let layout = image.path();
        let read = LayoutImage::read(&layout, image.tag())?;
        let config = read_json(&layout, read.config_digest())?;
        let mut blobs = vec![read.config_digest().to_owned()];
        blobs.extend(
            read.layers()
                .iter()
                .filter_map(|layer| layer["digest"].as_str().map(str::to_owned)),
        );
        for digest in &blobs {
            upload_blob(&host, repo, digest, &read_blob(&layout, digest)?)?;
        }
        let bytes = match kind {
            IndexKind::Oci => read_blob(&layout, &read.digest)?,
            IndexKind::DockerList => {
                serde_json::to_vec(&docker_manifest(&read.manifest)).map_err(io::Error::other)?
            }
        };
        let digest = digest_of(&bytes);
        put_manifest(&host, repo, &digest, kind.manifest_type(), &bytes)?;
        let mut platform = json!({"architecture": config["architecture"], "os": config["os"]});
        let mut name = format!(
            "{}/{}",
            as_str(&config["os"]),
            as_str(&config["architecture"])
        );
        if let Some(variant) = config["variant"].as_str().filter(|v| !v.is_empty()) {
            platform["variant"] = Value::from(variant);
            name = format!("{name}/{variant}");
        }
        entries.push(json!({
            "mediaType": kind.manifest_type(), "digest": digest, "size": bytes.len(),
            "platform": platform,
        }));
        manifests.push((name, digest));
    }
    let index = json!({"schemaVersion": 2, "mediaType": kind.index_type(), "manifests": entries});
    let bytes = serde_json::to_vec(&index).map_err(io::Error::other)?;
    put_manifest(&host, repo, tag, kind.index_type(), &bytes)?;
    let repository = registry.reference(repo);
    Ok(PushedIndex {
        reference: format!("{repository}:{tag}"),
        repository,
        digest: digest_of(&bytes),
        manifests,
    })
}

fn as_str(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// An OCI manifest of gzip layers as a Docker schema 2 manifest (same config and layer bytes).
fn docker_manifest(oci: &Value) -> Value {
    let mut manifest = oci.clone();
    manifest["mediaType"] = Value::from("application/vnd.docker.distribution.manifest.v2+json");
    manifest["config"]["mediaType"] = Value::from("application/vnd.docker.container.image.v1+json");
    for layer in manifest["layers"].as_array_mut().into_iter().flatten() {
        layer["mediaType"] = Value::from("application/vnd.docker.image.rootfs.diff.tar.gzip");
    }
    if let Some(fields) = manifest.as_object_mut() {
        fields.remove("annotations");
    }
    manifest
}

/// A monolithic blob upload (`POST` then `PUT ?digest=`), skipped when the blob is there.
fn upload_blob(host: &str, repo: &str, digest: &str, bytes: &[u8]) -> io::Result<()> {
    let blob_path = format!("/v2/{repo}/blobs/{digest}");
    if http_request("HEAD", host, &blob_path, &[], &[])?.status == 200 {
        return Ok(());
    }
    let started = expect(
        http_request(
            "POST",
            host,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            &[],
        )?,
        202,
        "start a blob upload",
    )?;
    let location = started
        .header("Location")
        .ok_or_else(|| invalid("a blob upload without Location"))?;
    let location = location.split_once(host).map_or(location, |(_, path)| path);
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = format!("{location}{separator}digest={digest}");
    let headers = [("Content-Type", "application/octet-stream")];
    expect(
        http_request("PUT", host, &put, &headers, bytes)?,
        201,
        "upload a blob",
    )
    .map(drop)
}

fn put_manifest(
    host: &str,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) -> io::Result<()> {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let headers = [("Content-Type", media_type)];
    expect(
        http_request("PUT", host, &path, &headers, bytes)?,
        201,
        "put a manifest",
    )
    .map(drop)
}

fn expect(response: HttpResponse, status: u16, what: &str) -> io::Result<HttpResponse> {
    if response.status == status {
        Ok(response)
    } else {
        Err(io::Error::other(format!(
            "{what}: HTTP {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        )))
    }
}
