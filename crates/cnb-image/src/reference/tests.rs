use super::*;

const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn parsed(text: &str) -> (String, String, String) {
    let reference = ImageRef::parse(text).unwrap();
    (
        reference.registry().to_owned(),
        reference.repository().to_owned(),
        reference.identifier().to_string(),
    )
}

#[test]
fn applies_docker_hub_defaults() {
    let cases = [
        ("busybox", "index.docker.io", "library/busybox", "latest"),
        ("busybox:1.36", "index.docker.io", "library/busybox", "1.36"),
        (
            "docker.io/busybox",
            "index.docker.io",
            "library/busybox",
            "latest",
        ),
        (
            "index.docker.io/paketo/run:base",
            "index.docker.io",
            "paketo/run",
            "base",
        ),
        ("cnbs/sample", "index.docker.io", "cnbs/sample", "latest"),
    ];
    for (text, registry, repository, tag) in cases {
        assert_eq!(
            parsed(text),
            (registry.to_owned(), repository.to_owned(), tag.to_owned()),
            "{text}"
        );
    }
}

#[test]
fn a_first_component_with_a_dot_colon_or_localhost_is_the_registry() {
    assert_eq!(
        parsed("127.0.0.1:5000/test/run"),
        ("127.0.0.1:5000".into(), "test/run".into(), "latest".into())
    );
    assert_eq!(
        parsed("localhost/app:v1"),
        ("localhost".into(), "app".into(), "v1".into())
    );
    assert_eq!(
        parsed("gcr.io/app"),
        ("gcr.io".into(), "app".into(), "latest".into())
    );
    assert_eq!(
        parsed("localhost:5000/a/b/c:T_1.x-y"),
        ("localhost:5000".into(), "a/b/c".into(), "T_1.x-y".into())
    );
}

#[test]
fn digest_references_keep_the_digest_and_drop_a_tag() {
    let reference = ImageRef::parse(&format!("reg.io/app:v1@sha256:{HEX}")).unwrap();
    assert_eq!(reference.digest().unwrap().hex(), HEX);
    assert_eq!(reference.tag(), None);
    assert_eq!(reference.to_string(), format!("reg.io/app@sha256:{HEX}"));
    assert_eq!(
        ImageRef::parse(&format!("busybox@sha256:{HEX}"))
            .unwrap()
            .to_string(),
        format!("index.docker.io/library/busybox@sha256:{HEX}")
    );
}

#[test]
fn display_is_fully_qualified_and_parses_back() {
    for text in ["busybox", "127.0.0.1:5000/x/y:z", "docker.io/a/b:c"] {
        let reference = ImageRef::parse(text).unwrap();
        assert_eq!(ImageRef::parse(&reference.to_string()).unwrap(), reference);
    }
    let reference = ImageRef::parse("busybox").unwrap();
    assert_eq!(
        reference.to_string(),
        "index.docker.io/library/busybox:latest"
    );
    assert_eq!(
        reference.context().to_string(),
        "index.docker.io/library/busybox"
    );
}

#[test]
fn refuses_what_go_refuses() {
    for text in [
        "",
        "Busybox",
        "busybox:",
        "reg.io/app:bad tag",
        "reg.io/",
        "a@b@c",
        "app@sha256:abc",
        "app@md5:d41d8cd98f00b204e9800998ecf8427e",
        "user:pass@reg.io/app",
        &format!("app:{}", "t".repeat(129)),
    ] {
        let err = ImageRef::parse(text).expect_err(text);
        assert_eq!(err.reference, text);
        assert!(!err.to_string().contains('\n'));
    }
}

#[test]
fn builds_references_from_a_repository() {
    let repository = Repository::parse("127.0.0.1:5000/test/app").unwrap();
    assert_eq!(
        repository.tag("v2").unwrap().to_string(),
        "127.0.0.1:5000/test/app:v2"
    );
    assert!(repository.tag("no spaces").is_err());
    let digest: Digest = format!("sha256:{HEX}").parse().unwrap();
    let pinned = ImageRef::parse("127.0.0.1:5000/test/app:v1")
        .unwrap()
        .with_digest(digest);
    assert_eq!(pinned.digest(), Some(&digest));
    assert_eq!(pinned.context(), &repository);
}

#[test]
fn image_names_compare_without_digests_as_go_parse_maybe_does() {
    assert_eq!(
        image_name("busybox"),
        "index.docker.io/library/busybox:latest"
    );
    assert_eq!(
        image_name(&format!("127.0.0.1:5000/run:v1@sha256:{HEX}")),
        "127.0.0.1:5000/run:v1"
    );
    assert_eq!(
        image_name(&format!("127.0.0.1:5000/run@sha256:{HEX}")),
        "127.0.0.1:5000/run:latest"
    );
    assert_eq!(image_name("Not A Reference"), "Not A Reference");
}
