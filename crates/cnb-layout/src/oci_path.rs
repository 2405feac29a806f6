//! `oci:<path>[:<tag>|@<digest>]`: an image in one OCI layout directory, named on a command
//! line the way skopeo's `oci:` transport names it (the form our tools print:
//! `oci:<layout>:<tag>`). The tag is an `org.opencontainers.image.ref.name` annotation in the
//! layout's `index.json`; without tag or digest the layout must hold one image (or one index).
//!
//! Layout paths may hold colons themselves (the platform spec's mapping puts a registry's
//! `host:port` into them), so a path that exists as a directory is taken whole; otherwise what
//! follows the last `@` (a digest) or the last `:` (a tag, without `/`) selects the image.

use std::path::{Path, PathBuf};

use cnb_image::{Digest, ImageRef};

use crate::{Error, LayoutStore, REF_NAME_ANNOTATION};

/// What marks a command-line image as a layout path.
pub const OCI_PREFIX: &str = "oci:";

/// An image in one OCI layout directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciPath {
    dir: PathBuf,
    selector: Selector,
}

/// Which image of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The only one `index.json` lists.
    Only,
    /// The one `index.json` annotates with this `org.opencontainers.image.ref.name`.
    Tag(String),
    /// The manifest or index with this digest.
    Digest(Digest),
}

impl OciPath {
    /// Whether `text` names a layout path (starts with `oci:`).
    pub fn is_oci_path(text: &str) -> bool {
        text.starts_with(OCI_PREFIX)
    }

    /// Parses `oci:<path>[:<tag>|@<digest>]` (see the module docs for how colons are read).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &'static str| Error::BadOciPath {
            text: text.to_owned(),
            reason,
        };
        let rest = text
            .strip_prefix(OCI_PREFIX)
            .ok_or_else(|| bad("it does not start with 'oci:'"))?;
        if rest.is_empty() {
            return Err(bad("the path is empty"));
        }
        let whole = |selector| Self {
            dir: PathBuf::from(rest),
            selector,
        };
        if Path::new(rest).is_dir() {
            return Ok(whole(Selector::Only));
        }
        if let Some((path, digest)) = rest.rsplit_once('@') {
            let digest = digest
                .parse()
                .map_err(|_| bad("what follows '@' is not a sha256 digest"))?;
            return Self::with(path, Selector::Digest(digest))
                .ok_or_else(|| bad("the path is empty"));
        }
        match rest.rsplit_once(':') {
            Some((path, tag)) if !tag.contains('/') => {
                if tag.is_empty() {
                    return Err(bad("the tag after ':' is empty"));
                }
                Self::with(path, Selector::Tag(tag.to_owned()))
                    .ok_or_else(|| bad("the path is empty"))
            }
            _ => Ok(whole(Selector::Only)),
        }
    }

    fn with(path: &str, selector: Selector) -> Option<Self> {
        (!path.is_empty()).then(|| Self {
            dir: PathBuf::from(path),
            selector,
        })
    }

    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Which image of the layout.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// A store over the layout and the reference that reads the selected image from it: a
    /// tag is looked up in `index.json` now, so that a missing one fails here and names the
    /// tags there are.
    pub fn open(&self) -> Result<(LayoutStore, ImageRef), Error> {
        let layout = crate::Layout::new(&self.dir);
        let Some((index, _)) = layout.read_index()? else {
            return Err(Error::NotALayout {
                path: self.dir.clone(),
            });
        };
        // The store at one layout ignores what a reference names but its digest.
        let placeholder = ImageRef::parse("oci-layout").map_err(|_| Error::NotALayout {
            path: self.dir.clone(),
        })?;
        let reference = match &self.selector {
            Selector::Only => placeholder,
            Selector::Digest(digest) => placeholder.with_digest(*digest),
            Selector::Tag(tag) => {
                let tagged = |entry: &&cnb_image::Descriptor| {
                    entry
                        .annotations
                        .get(REF_NAME_ANNOTATION)
                        .map(String::as_str)
                        == Some(tag.as_str())
                };
                let Some(entry) = index.manifests.iter().find(tagged) else {
                    let tags: Vec<&str> = index
                        .manifests
                        .iter()
                        .filter_map(|entry| entry.annotations.get(REF_NAME_ANNOTATION))
                        .map(String::as_str)
                        .collect();
                    return Err(Error::NoSuchTag {
                        path: self.dir.clone(),
                        tag: tag.clone(),
                        tags: if tags.is_empty() {
                            "none".to_owned()
                        } else {
                            tags.join(", ")
                        },
                    });
                };
                placeholder.with_digest(entry.digest)
            }
        };
        Ok((LayoutStore::at(&self.dir), reference))
    }
}

impl std::fmt::Display for OciPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{OCI_PREFIX}{}", self.dir.display())?;
        match &self.selector {
            Selector::Only => Ok(()),
            Selector::Tag(tag) => write!(f, ":{tag}"),
            Selector::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parsed(text: &str) -> (PathBuf, Selector) {
        let path = OciPath::parse(text).unwrap();
        (path.dir().to_path_buf(), path.selector().clone())
    }

    #[test]
    fn a_tag_or_a_digest_follows_the_path() {
        assert_eq!(
            parsed("oci:/no/such/layout"),
            (PathBuf::from("/no/such/layout"), Selector::Only)
        );
        assert_eq!(
            parsed("oci:/no/such/layout:app"),
            (
                PathBuf::from("/no/such/layout"),
                Selector::Tag("app".to_owned())
            )
        );
        let digest: Digest = format!("sha256:{HEX}").parse().unwrap();
        assert_eq!(
            parsed(&format!("oci:rel/layout@sha256:{HEX}")),
            (PathBuf::from("rel/layout"), Selector::Digest(digest))
        );
        assert_eq!(
            OciPath::parse("oci:/x:app").unwrap().to_string(),
            "oci:/x:app"
        );
    }

    #[test]
    fn an_existing_directory_is_taken_whole_and_a_colon_before_a_slash_is_the_path() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("127.0.0.1:5000");
        std::fs::create_dir(&dir).unwrap();
        let text = format!("oci:{}", dir.display());
        assert_eq!(parsed(&text), (dir.clone(), Selector::Only));
        assert_eq!(
            parsed(&format!("{text}:app")),
            (dir.clone(), Selector::Tag("app".to_owned()))
        );
        assert_eq!(
            parsed("oci:/no/127.0.0.1:5000/app/latest"),
            (
                PathBuf::from("/no/127.0.0.1:5000/app/latest"),
                Selector::Only
            )
        );
    }

    #[test]
    fn malformed_paths_say_why() {
        for (text, reason) in [
            ("docker://x", "does not start with 'oci:'"),
            ("oci:", "path is empty"),
            ("oci:/x@sha256:abc", "not a sha256 digest"),
            ("oci:/x:", "tag after ':' is empty"),
            (":", "does not start"),
        ] {
            let err = OciPath::parse(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
