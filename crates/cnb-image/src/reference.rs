//! Image references (`registry/repository:tag` or `registry/repository@sha256:…`), parsed the
//! way the Go lifecycle parses them (go-containerregistry's `name.ParseReference` with weak
//! validation): Docker Hub is the default registry, single-component Docker Hub repositories
//! get `library/`, and `latest` is the default tag.

use std::fmt;
use std::str::FromStr;

use crate::Digest;

/// The registry assumed when a reference names none.
pub const DEFAULT_REGISTRY: &str = "index.docker.io";
/// The tag assumed when a reference names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";
const DOCKER_HUB_ALIAS: &str = "docker.io";
const REPOSITORY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
const MAX_REPOSITORY_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A repository on a registry: the part of a reference before its tag or digest (Go's
/// `Reference.Context()`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository {
    registry: String,
    repository: String,
}

/// What follows the repository in a reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identifier {
    /// `:<tag>`
    Tag(String),
    /// `@sha256:<hex>`
    Digest(Digest),
}

/// A parsed image reference. `Display` prints the fully qualified name
/// (`index.docker.io/library/busybox:latest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    context: Repository,
    identifier: Identifier,
}

/// A string that is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{reference}' is not an image reference: {reason}")]
pub struct ReferenceError {
    /// The text that failed to parse.
    pub reference: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Repository {
    /// Parses `[registry/]repository` with the defaults described in the module docs.
    pub fn parse(name: &str) -> Result<Self, ReferenceError> {
        Self::parse_inner(name).map_err(|reason| ReferenceError {
            reference: name.to_owned(),
            reason,
        })
    }

    fn parse_inner(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("a repository name must be specified".to_owned());
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first == "localhost" || first.contains('.') || first.contains(':') =>
            {
                (first, rest)
            }
            _ => ("", name),
        };
        check_repository(repository)?;
        check_registry(registry)?;
        let registry = match registry {
            "" | DOCKER_HUB_ALIAS => DEFAULT_REGISTRY,
            other => other,
        };
        let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_owned()
        };
        Ok(Self {
            registry: registry.to_owned(),
            repository,
        })
    }

    /// The registry host, with its port if any (`index.docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path on the registry (`library/busybox`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// A reference to `tag` in this repository.
    pub fn tag(&self, tag: &str) -> Result<ImageRef, ReferenceError> {
        check_tag(tag).map_err(|reason| ReferenceError {
            reference: format!("{self}:{tag}"),
            reason,
        })?;
        Ok(ImageRef {
            context: self.clone(),
            identifier: Identifier::Tag(tag.to_owned()),
        })
    }

    /// A reference to `digest` in this repository.
    pub fn digest(&self, digest: Digest) -> ImageRef {
        ImageRef {
            context: self.clone(),
            identifier: Identifier::Digest(digest),
        }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

impl ImageRef {
    /// Parses a tag or digest reference with the defaults described in the module docs. A
    /// reference with both a tag and a digest keeps the digest, as Go does.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let fail = |reason: String| ReferenceError {
            reference: text.to_owned(),
            reason,
        };
        if let Some((base, digest)) = text.split_once('@') {
            if digest.contains('@') {
                return Err(fail("more than one '@'".to_owned()));
            }
            let digest: Digest = digest.parse().map_err(|_| {
                fail(format!(
                    "'{digest}' is not a sha256 digest (sha256:<64 lowercase hex digits>)"
                ))
            })?;
            let (base, _tag) = split_tag(base).map_err(fail)?;
            let context = Repository::parse_inner(base).map_err(fail)?;
            return Ok(context.digest(digest));
        }
        let (base, tag) = split_tag(text).map_err(fail)?;
        let context = Repository::parse_inner(base).map_err(fail)?;
        Ok(Self {
            context,
            identifier: Identifier::Tag(tag.unwrap_or(DEFAULT_TAG).to_owned()),
        })
    }

    /// The repository this reference points into (Go's `Context()`).
    pub fn context(&self) -> &Repository {
        &self.context
    }

    /// The registry host (`index.docker.io`).
    pub fn registry(&self) -> &str {
        self.context.registry()
    }

    /// The repository path (`library/busybox`).
    pub fn repository(&self) -> &str {
        self.context.repository()
    }

    /// The tag or digest.
    pub fn identifier(&self) -> &Identifier {
        &self.identifier
    }

    /// The tag, for a tag reference.
    pub fn tag(&self) -> Option<&str> {
        match &self.identifier {
            Identifier::Tag(tag) => Some(tag),
            Identifier::Digest(_) => None,
        }
    }

    /// The digest, for a digest reference.
    pub fn digest(&self) -> Option<&Digest> {
        match &self.identifier {
            Identifier::Digest(digest) => Some(digest),
            Identifier::Tag(_) => None,
        }
    }

    /// The same repository, at `digest`.
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Self {
        self.context.digest(digest)
    }
}

/// How an image is named for comparing names regardless of digests (Go `ParseMaybe`): the
/// fully qualified tag reference (`index.docker.io/library/busybox:latest`), with a digest
/// dropped and `latest` assumed; text that does not parse is returned unchanged.
pub fn image_name(text: &str) -> String {
    let base = if text.contains("@sha256:") {
        text.split('@').next().unwrap_or(text)
    } else {
        text
    };
    ImageRef::parse(base).map_or_else(|_| text.to_owned(), |reference| reference.to_string())
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => f.write_str(tag),
            Self::Digest(digest) => fmt::Display::fmt(digest, f),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.identifier {
            Identifier::Tag(tag) => write!(f, "{}:{tag}", self.context),
            Identifier::Digest(digest) => write!(f, "{}@{digest}", self.context),
        }
    }
}

impl FromStr for ImageRef {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Splits `base[:tag]`; a last `:` followed by a `/` belongs to a registry port instead.
fn split_tag(text: &str) -> Result<(&str, Option<&str>), String> {
    match text.rsplit_once(':') {
        Some((base, tag)) if !tag.contains('/') => {
            if tag.is_empty() {
                return Err("no tag after the colon".to_owned());
            }
            check_tag(tag)?;
            Ok((base, Some(tag)))
        }
        _ => Ok((text, None)),
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let valid_chars = tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || !valid_chars {
        return Err(format!(
            "tag '{tag}' must be 1 to {MAX_TAG_LEN} characters of [A-Za-z0-9_.-]"
        ));
    }
    Ok(())
}

fn check_repository(repository: &str) -> Result<(), String> {
    let count = repository.chars().count();
    if count == 0 || count > MAX_REPOSITORY_LEN {
        return Err(format!(
            "repository '{repository}' must be 1 to {MAX_REPOSITORY_LEN} characters long"
        ));
    }
    if !repository.chars().all(|c| REPOSITORY_CHARS.contains(c)) {
        return Err(format!(
            "repository '{repository}' may only contain [a-z0-9_./-]"
        ));
    }
    Ok(())
}

/// A registry must be a URI authority (`host[:port]`) without user info, path or query.
fn check_registry(registry: &str) -> Result<(), String> {
    let valid = registry
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if valid {
        Ok(())
    } else {
        Err(format!("registry '{registry}' is not a host[:port]"))
    }
}

#[cfg(test)]
mod tests;
