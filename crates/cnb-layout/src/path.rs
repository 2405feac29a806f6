//! The platform spec's mapping from an image reference to a layout directory.

use std::path::{Path, PathBuf};

use cnb_image::{Identifier, ImageRef};

use crate::Error;

/// `<root>/<registry>/<repository>/<tag>` for a tag reference and
/// `<root>/<registry>/<repository>/sha256/<hex>` for a digest reference (platform spec,
/// "Map an image reference to a path in the layout directory"). Docker Hub defaults apply:
/// `busybox` maps to `<root>/index.docker.io/library/busybox/latest`. A reference with an
/// empty, `.` or `..` component is refused, so no reference leads outside `root`.
pub fn layout_path(root: &Path, reference: &ImageRef) -> Result<PathBuf, Error> {
    let mut components = vec![reference.registry().to_owned()];
    components.extend(reference.repository().split('/').map(str::to_owned));
    match reference.identifier() {
        Identifier::Tag(tag) => components.push(tag.clone()),
        Identifier::Digest(digest) => components.extend(["sha256".to_owned(), digest.hex()]),
    }
    if components
        .iter()
        .any(|component| matches!(component.as_str(), "" | "." | ".."))
    {
        return Err(Error::UnsafeReference {
            reference: reference.to_string(),
        });
    }
    Ok(components
        .iter()
        .fold(root.to_path_buf(), |path, component| path.join(component)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(reference: &str) -> PathBuf {
        layout_path(Path::new("/layout"), &ImageRef::parse(reference).unwrap()).unwrap()
    }

    #[test]
    fn maps_tag_and_digest_references_as_the_spec_says() {
        assert_eq!(
            mapped("busybox"),
            Path::new("/layout/index.docker.io/library/busybox/latest")
        );
        assert_eq!(
            mapped("127.0.0.1:5000/test/run:busybox"),
            Path::new("/layout/127.0.0.1:5000/test/run/busybox")
        );
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            mapped(&format!("gcr.io/a/b@sha256:{hex}")),
            Path::new(&format!("/layout/gcr.io/a/b/sha256/{hex}"))
        );
    }

    #[test]
    fn refuses_references_that_would_leave_the_root() {
        for reference in [
            "reg.io/../../etc",
            "reg.io/a//b",
            "reg.io/a:..",
            "../x",
            "reg.io/./a",
        ] {
            let parsed = ImageRef::parse(reference).unwrap();
            let err = layout_path(Path::new("/layout"), &parsed).unwrap_err();
            assert!(
                err.to_string().contains("layout path"),
                "{reference}: {err}"
            );
        }
    }
}
