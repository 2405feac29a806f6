//! The media types of manifests, indexes, configs and layers this lifecycle reads and writes
//! (OCI image-spec `media-types.md`; Docker image manifest v2 schema 2).

use std::fmt;

/// A media type. Unknown ones are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `application/vnd.oci.image.manifest.v1+json`
    OciManifest,
    /// `application/vnd.oci.image.index.v1+json`
    OciIndex,
    /// `application/vnd.oci.image.config.v1+json`
    OciConfig,
    /// `application/vnd.oci.image.layer.v1.tar`
    OciLayer,
    /// `application/vnd.oci.image.layer.v1.tar+gzip`
    OciLayerGzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`
    OciLayerZstd,
    /// `application/vnd.docker.distribution.manifest.v2+json`
    DockerManifest,
    /// `application/vnd.docker.distribution.manifest.list.v2+json`
    DockerManifestList,
    /// `application/vnd.docker.container.image.v1+json`
    DockerConfig,
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`
    DockerLayerGzip,
    /// `application/vnd.docker.image.rootfs.diff.tar`: an uncompressed layer, as a Docker
    /// daemon keeps them.
    DockerLayer,
    /// Anything else.
    Other(String),
}

const KNOWN: &[(MediaType, &str)] = &[
    (
        MediaType::OciManifest,
        "application/vnd.oci.image.manifest.v1+json",
    ),
    (
        MediaType::OciIndex,
        "application/vnd.oci.image.index.v1+json",
    ),
    (
        MediaType::OciConfig,
        "application/vnd.oci.image.config.v1+json",
    ),
    (
        MediaType::OciLayer,
        "application/vnd.oci.image.layer.v1.tar",
    ),
    (
        MediaType::OciLayerGzip,
        "application/vnd.oci.image.layer.v1.tar+gzip",
    ),
    (
        MediaType::OciLayerZstd,
        "application/vnd.oci.image.layer.v1.tar+zstd",
    ),
    (
        MediaType::DockerManifest,
        "application/vnd.docker.distribution.manifest.v2+json",
    ),
    (
        MediaType::DockerManifestList,
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ),
    (
        MediaType::DockerConfig,
        "application/vnd.docker.container.image.v1+json",
    ),
    (
        MediaType::DockerLayerGzip,
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
    (
        MediaType::DockerLayer,
        "application/vnd.docker.image.rootfs.diff.tar",
    ),
];

impl MediaType {
    /// The media type string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(text) => text,
            known => KNOWN
                .iter()
                .find(|(kind, _)| kind == known)
                .map_or("", |(_, text)| text),
        }
    }

    /// Reads a media type string.
    pub fn parse(text: &str) -> Self {
        KNOWN
            .iter()
            .find(|(_, known)| *known == text)
            .map_or_else(|| Self::Other(text.to_owned()), |(kind, _)| kind.clone())
    }

    /// Whether this is an image manifest (OCI or Docker).
    pub fn is_manifest(&self) -> bool {
        matches!(self, Self::OciManifest | Self::DockerManifest)
    }

    /// Whether this is an index or manifest list.
    pub fn is_index(&self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerManifestList)
    }

    /// Whether this is a layer, in any compression.
    pub fn is_layer(&self) -> bool {
        matches!(
            self,
            Self::OciLayer
                | Self::OciLayerGzip
                | Self::OciLayerZstd
                | Self::DockerLayerGzip
                | Self::DockerLayer
        )
    }

    /// The media type of a manifest or index document: its own `mediaType` field, else an
    /// OCI index when it lists `manifests`, else an OCI manifest (OCI lets both omit it).
    pub fn of_manifest(bytes: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Probe {
            #[serde(rename = "mediaType")]
            media_type: Option<String>,
            manifests: Option<serde::de::IgnoredAny>,
        }
        match serde_json::from_slice::<Probe>(bytes) {
            Ok(Probe {
                media_type: Some(text),
                ..
            }) => Self::parse(&text),
            Ok(Probe {
                manifests: Some(_), ..
            }) => Self::OciIndex,
            _ => Self::OciManifest,
        }
    }

    /// Every manifest and index type, for `Accept` headers (a registry answers 404 to an OCI
    /// manifest the client did not say it accepts).
    pub fn manifest_accept() -> [MediaType; 4] {
        [
            Self::OciManifest,
            Self::OciIndex,
            Self::DockerManifest,
            Self::DockerManifestList,
        ]
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MediaType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MediaType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_round_trip_and_unknown_ones_are_kept() {
        for (kind, text) in KNOWN {
            assert_eq!(&MediaType::parse(text), kind);
            assert_eq!(kind.as_str(), *text);
        }
        assert_eq!(MediaType::parse("x/y").as_str(), "x/y");
    }

    #[test]
    fn tells_a_manifest_from_an_index_by_its_field_or_shape() {
        let docker = br#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#;
        assert_eq!(MediaType::of_manifest(docker), MediaType::DockerManifest);
        assert_eq!(
            MediaType::of_manifest(br#"{"manifests":[]}"#),
            MediaType::OciIndex
        );
        assert_eq!(
            MediaType::of_manifest(br#"{"config":{}}"#),
            MediaType::OciManifest
        );
    }
}
