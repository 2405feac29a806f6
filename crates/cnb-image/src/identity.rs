//! [`ImageIdentity`]: what a store knows an image by. Registries and OCI layouts keep
//! manifests, so an image is its manifest's digest; a Docker daemon keeps no manifest, only
//! the config, so an image is its image ID (the digest of its config). Files and labels name
//! images by it (analyzed.toml, report.toml, `runImage.reference`), each kind the way the Go
//! lifecycle writes it.

use std::fmt;

use crate::{Digest, ImageRef};

/// How a store identifies one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageIdentity {
    /// A registry or layout image: the digest of its manifest.
    Manifest(Digest),
    /// An image in a Docker daemon: its image ID, the digest of its config.
    DaemonId(Digest),
}

impl ImageIdentity {
    /// The digest behind the identity (manifest digest or image ID).
    pub fn digest(&self) -> &Digest {
        match self {
            Self::Manifest(digest) | Self::DaemonId(digest) => digest,
        }
    }

    /// Whether this is a daemon image ID.
    pub fn is_daemon_id(&self) -> bool {
        matches!(self, Self::DaemonId(_))
    }

    /// The manifest digest, for a registry or layout image.
    pub fn manifest_digest(&self) -> Option<&Digest> {
        match self {
            Self::Manifest(digest) => Some(digest),
            Self::DaemonId(_) => None,
        }
    }

    /// A daemon image ID as report.toml's `image-id` holds it: 64 hex digits, no `sha256:`.
    pub fn image_id(&self) -> Option<String> {
        match self {
            Self::Manifest(_) => None,
            Self::DaemonId(id) => Some(id.hex()),
        }
    }

    /// How the Go lifecycle names the image `reference` resolved to when it records it:
    /// `<repository>@sha256:<hex>` for a manifest, the bare 64 hex digits of a daemon image
    /// ID (imgutil's `IDIdentifier` drops the `sha256:` prefix).
    pub fn name(&self, reference: &ImageRef) -> String {
        match self {
            Self::Manifest(digest) => format!("{}@{digest}", reference.context()),
            Self::DaemonId(id) => id.hex(),
        }
    }

    /// What the `*** Images (…)` log line shows: a manifest digest in full, the first 12 hex
    /// digits of a daemon image ID (Go's `shortID`).
    pub fn short(&self) -> String {
        match self {
            Self::Manifest(digest) => digest.to_string(),
            Self::DaemonId(id) => id.hex()[..12].to_owned(),
        }
    }
}

impl fmt::Display for ImageIdentity {
    /// `sha256:<hex>` for either kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.digest().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_short_forms_follow_go() {
        let digest = Digest::of(b"x");
        let reference = ImageRef::parse("registry.test/app:v1").unwrap();
        let manifest = ImageIdentity::Manifest(digest);
        assert_eq!(
            manifest.name(&reference),
            format!("registry.test/app@{digest}")
        );
        assert_eq!(manifest.short(), digest.to_string());
        let id = ImageIdentity::DaemonId(digest);
        assert_eq!(id.name(&reference), digest.hex());
        assert_eq!(id.short(), &digest.hex()[..12]);
        assert!(id.is_daemon_id() && !manifest.is_daemon_id());
        assert_eq!(id.image_id(), Some(digest.hex()));
        assert_eq!(id.manifest_digest(), None);
        assert_eq!(manifest.manifest_digest(), Some(&digest));
        assert_eq!(manifest.image_id(), None);
        assert_eq!(id.to_string(), digest.to_string());
    }
}
