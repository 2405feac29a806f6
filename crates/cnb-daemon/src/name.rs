//! How image references are spelled to the daemon. References arrive parsed the way the Go
//! lifecycle parses them (`app` is `index.docker.io/library/app:latest`); the daemon gets the
//! short form Docker itself would print (`app`), which it resolves as it resolves what a user
//! types: a name first, then an image ID or ID prefix. Docker refuses 64-hex repository
//! names, so a bare image ID (what analyzed.toml records for a daemon image) cannot be
//! mistaken for a name; `sha256:<hex>` parses as repository `sha256` with tag `<hex>` and is
//! sent back as the ID it is.

use cnb_image::{DEFAULT_REGISTRY, DEFAULT_TAG, Identifier, ImageRef};

/// The string the daemon is asked for `reference`.
pub(crate) fn daemon_name(reference: &ImageRef) -> String {
    let Some(short) = short_repository(reference) else {
        return reference.to_string();
    };
    match reference.identifier() {
        Identifier::Tag(tag) if short == "sha256" && is_hex64(tag) => format!("sha256:{tag}"),
        Identifier::Tag(tag) if tag == DEFAULT_TAG => short.to_owned(),
        Identifier::Tag(tag) => format!("{short}:{tag}"),
        Identifier::Digest(digest) => format!("{short}@{digest}"),
    }
}

/// The repository and tag a tag request names `reference` by (`latest` when it has none).
pub(crate) fn repository_and_tag(reference: &ImageRef) -> (String, String) {
    let repository =
        short_repository(reference).map_or_else(|| reference.context().to_string(), str::to_owned);
    let tag = reference.tag().unwrap_or(DEFAULT_TAG).to_owned();
    (repository, tag)
}

/// `repository:tag` as an archive's `RepoTags` lists it.
pub(crate) fn repo_tag(reference: &ImageRef) -> String {
    let (repository, tag) = repository_and_tag(reference);
    format!("{repository}:{tag}")
}

/// `app` for `index.docker.io/library/app`; `None` for any other repository.
fn short_repository(reference: &ImageRef) -> Option<&str> {
    if reference.registry() != DEFAULT_REGISTRY {
        return None;
    }
    reference
        .repository()
        .strip_prefix("library/")
        .filter(|name| !name.contains('/'))
}

fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> String {
        daemon_name(&ImageRef::parse(text).unwrap())
    }

    #[test]
    fn names_are_sent_in_docker_s_short_form() {
        assert_eq!(name("app"), "app");
        assert_eq!(name("app:v1"), "app:v1");
        assert_eq!(name("docker.io/library/app:latest"), "app");
        assert_eq!(name("user/app:v1"), "index.docker.io/user/app:v1");
        assert_eq!(
            name("127.0.0.1:5000/fixture/app:latest"),
            "127.0.0.1:5000/fixture/app:latest"
        );
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            name(&format!("app@sha256:{hex}")),
            format!("app@sha256:{hex}")
        );
    }

    #[test]
    fn image_ids_stay_image_ids() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(name(hex), hex);
        assert_eq!(name(&format!("sha256:{hex}")), format!("sha256:{hex}"));
        assert_eq!(name("e3b0c44298fc"), "e3b0c44298fc");
    }

    #[test]
    fn tags_split_into_repository_and_tag() {
        let split = |text: &str| repository_and_tag(&ImageRef::parse(text).unwrap());
        assert_eq!(split("app"), ("app".to_owned(), "latest".to_owned()));
        assert_eq!(
            split("127.0.0.1:5000/a/b:v2"),
            ("127.0.0.1:5000/a/b".to_owned(), "v2".to_owned())
        );
        assert_eq!(repo_tag(&ImageRef::parse("app").unwrap()), "app:latest");
    }
}
