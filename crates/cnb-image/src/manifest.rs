//! Image manifests and indexes (OCI image-spec `manifest.md`, `image-index.md`; Docker image
//! manifest v2 schema 2 and manifest lists share the shape). Fields this lifecycle does not
//! model (`subject`, `artifactType`, …) are kept and written back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Descriptor, Digest, MediaType, Platform};

/// An image manifest: a config and an ordered list of layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's own media type (required by Docker, optional in OCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// The image config blob.
    pub config: Descriptor,
    /// The layer blobs, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields not modelled above, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An image index or Docker manifest list: one manifest per platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// The index's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// The manifests, each usually with a platform.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields not modelled above, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A manifest or index document that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid {what} JSON")]
pub struct ParseError {
    /// `manifest`, `index` or `config`.
    pub what: &'static str,
    /// The JSON error.
    #[source]
    pub source: serde_json::Error,
}

impl Manifest {
    /// A manifest of `media_type` (OCI or Docker) for `config` and `layers`.
    pub fn new(media_type: MediaType, config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(media_type),
            config,
            layers,
            annotations: BTreeMap::new(),
            other: Map::new(),
        }
    }

    /// Parses manifest JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError {
            what: "manifest",
            source,
        })
    }

    /// The manifest as compact JSON, the bytes whose digest names it. Field order is fixed,
    /// so the same manifest always gives the same digest.
    pub fn to_json(&self) -> Vec<u8> {
        to_vec(self)
    }

    /// Every blob the manifest references: the config, then the layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Descriptor> {
        std::iter::once(&self.config).chain(&self.layers)
    }

    /// The media type to send with the manifest: its own, or OCI when it names none.
    pub fn content_type(&self) -> MediaType {
        self.media_type.clone().unwrap_or(MediaType::OciManifest)
    }
}

impl Index {
    /// Parses index JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError {
            what: "index",
            source,
        })
    }

    /// The index as compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        to_vec(self)
    }

    /// The first image manifest whose platform satisfies `wanted` (see
    /// [`Platform::satisfies`]), whatever the order of the entries; entries without a platform
    /// never match.
    pub fn find(&self, wanted: &Platform) -> Option<&Descriptor> {
        self.manifests.iter().find(|entry| {
            entry.media_type.is_manifest()
                && entry
                    .platform
                    .as_ref()
                    .is_some_and(|platform| platform.satisfies(wanted))
        })
    }

    /// The platforms the index's image manifests are for, in entry order without repeats
    /// (`unknown` for an entry without one), for messages.
    pub fn offered_platforms(&self) -> Vec<String> {
        let mut offered: Vec<String> = Vec::new();
        for entry in self
            .manifests
            .iter()
            .filter(|entry| entry.media_type.is_manifest())
        {
            let name = entry
                .platform
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), ToString::to_string);
            if !offered.contains(&name) {
                offered.push(name);
            }
        }
        offered
    }

    /// The entry with `digest`.
    pub fn entry(&self, digest: &Digest) -> Option<&Descriptor> {
        self.manifests.iter().find(|entry| entry.digest == *digest)
    }
}

fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain data (strings, numbers, maps with string keys) into a Vec cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":3}],"subject":{"x":1},"artifactType":"a/b"}"#;

    #[test]
    fn a_manifest_round_trips_byte_for_byte_with_unknown_fields() {
        let manifest = Manifest::from_json(MANIFEST.as_bytes()).unwrap();
        assert_eq!(manifest.layers[0].media_type, MediaType::OciLayerZstd);
        assert_eq!(manifest.other["artifactType"], "a/b");
        assert_eq!(String::from_utf8(manifest.to_json()).unwrap(), MANIFEST);
        assert_eq!(manifest.blobs().count(), 2);
    }

    #[test]
    fn reads_a_docker_manifest_and_rejects_garbage() {
        let docker = MANIFEST.replace(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        );
        let manifest = Manifest::from_json(docker.as_bytes()).unwrap();
        assert_eq!(manifest.content_type(), MediaType::DockerManifest);
        let err = Manifest::from_json(b"{\"layers\":[]}").unwrap_err();
        assert_eq!(err.to_string(), "invalid manifest JSON");
    }

    fn platform(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.map(Into::into),
        }
    }

    #[test]
    fn an_index_resolves_the_entry_satisfying_the_wanted_platform() {
        let digest = |n: u8| Digest::of(&[n]);
        let entry = |n: u8, platform: Platform| Descriptor {
            platform: Some(platform),
            ..Descriptor::new(MediaType::OciManifest, digest(n), 1)
        };
        let attestation = Descriptor {
            platform: Some(platform("unknown", "unknown", None)),
            ..Descriptor::new(MediaType::OciManifest, digest(5), 1)
        };
        let nested = Descriptor {
            platform: Some(platform("linux", "arm64", None)),
            ..Descriptor::new(MediaType::OciIndex, digest(6), 1)
        };
        let index = Index {
            schema_version: 2,
            media_type: Some(MediaType::OciIndex),
            manifests: vec![
                entry(1, platform("linux", "arm", Some("v6"))),
                entry(2, platform("linux", "arm", Some("v7"))),
                entry(3, platform("linux", "amd64", None)),
                attestation,
                nested,
                entry(4, platform("linux", "arm64", Some("v8"))),
            ],
            annotations: BTreeMap::new(),
            other: Map::new(),
        };
        let found = |wanted| index.find(&wanted).map(|entry| entry.digest);
        assert_eq!(found(platform("linux", "amd64", None)), Some(digest(3)));
        assert_eq!(found(platform("linux", "arm", Some("v7"))), Some(digest(2)));
        assert_eq!(found(platform("linux", "arm", None)), Some(digest(1)));
        assert_eq!(found(platform("linux", "arm", Some(""))), Some(digest(1)));
        assert_eq!(found(platform("linux", "arm64", None)), Some(digest(4)));
        assert_eq!(found(platform("windows", "amd64", None)), None);
        assert_eq!(index.entry(&digest(2)).unwrap().digest, digest(2));
        assert_eq!(
            index.offered_platforms(),
            [
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/amd64",
                "unknown/unknown",
                "linux/arm64/v8"
            ]
        );
        let round_trip = Index::from_json(&index.to_json()).unwrap();
        assert_eq!(round_trip, index);
    }
}
