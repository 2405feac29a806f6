//! A small bill for the writers' tests: the launcher, a crate of this repository and two from
//! crates.io (one with build metadata in its version).

use crate::{Bill, Crate, CrateSource};

fn krate(name: &str, version: &str, source: CrateSource) -> Crate {
    Crate {
        name: name.to_owned(),
        version: version.to_owned(),
        source,
        license: Some("MIT OR Apache-2.0".to_owned()),
        description: Some(format!("the {name} crate")),
        repository: None,
        homepage: None,
        checksum: None,
        dependencies: Vec::new(),
    }
}

/// launcher → cnb-api → toml; launcher → libc.
pub(crate) fn bill() -> Bill {
    let mut root = krate(
        "launcher",
        "0.1.0",
        CrateSource::Path("bin/launcher".into()),
    );
    root.license = Some("Apache-2.0".to_owned());
    let mut api = krate(
        "cnb-api",
        "0.1.0",
        CrateSource::Path("crates/cnb-api".into()),
    );
    let mut libc = krate("libc", "0.2.191", CrateSource::CratesIo);
    libc.checksum = Some("ef".repeat(32));
    libc.license = None;
    let mut toml = krate("toml", "1.2.2+spec-1.1.0", CrateSource::CratesIo);
    toml.checksum = Some("cd".repeat(32));
    toml.repository = Some("https://example.com/toml".to_owned());
    api.dependencies = vec![toml.reference()];
    root.dependencies = vec![api.reference(), libc.reference()];
    Bill {
        root,
        binary_name: "launcher".to_owned(),
        binary_sha256: "ab".repeat(32),
        crates: vec![api, libc, toml],
        target: "x86_64-unknown-linux-musl".to_owned(),
        rustc: "1.95.0".to_owned(),
        created: crate::DEFAULT_CREATED,
    }
}
