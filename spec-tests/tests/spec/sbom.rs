//! The lifecycle's own SBOMs: `make install` puts `lifecycle.sbom.{cdx,spdx,syft}.json` and
//! `launcher.sbom.*` beside the binaries, as the Go lifecycle's releases have them. Each names
//! the crates its binary links, checked here against cargo's own data ([`expected`]): every
//! crate a build surely links, none it cannot link, the versions and checksums of
//! `Cargo.lock`, and the SHA-256 of the installed binary; and the files are reproducible.
//! The exporter's copy into app images is in `exporter::lifecycle_sbom`.

pub(crate) mod documents;
pub(crate) mod expected;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use cnb_image::Digest;
use cnb_testkit::Lifecycle;
use documents::{EXTENSIONS, Named};
use expected::{NameVersion, Workspace};
use serde_json::Value;

/// The installed `<binary>.sbom.<extension>`.
pub(crate) fn installed_sbom(binary: &str, extension: &str) -> PathBuf {
    Lifecycle::installed()
        .dir()
        .join(format!("{binary}.sbom.{extension}"))
}

/// The target the installed binaries were built for, as their SBOMs record it.
pub(crate) fn installed_target() -> String {
    let text = fs::read(installed_sbom("launcher", "cdx.json")).expect("the launcher's SBOM");
    let document: Value = serde_json::from_slice(&text).expect("JSON");
    document["metadata"]["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|property| property["name"] == "cnb:rust:target")
        .and_then(|property| property["value"].as_str())
        .expect("the target property")
        .to_owned()
}

/// Asserts that `named`, an SBOM of `binary`, names what cargo says the binary links.
pub(crate) fn assert_names_what_it_links(named: &Named, binary: &str, workspace: &Workspace) {
    assert_eq!(named.root.0, binary, "the document describes {binary}");
    let surely = workspace.surely_linked(binary);
    let maybe = workspace.maybe_linked(binary);
    assert!(
        surely.len() > 10,
        "{binary} surely links more than {surely:?}"
    );
    let missing: Vec<&NameVersion> = surely.difference(&named.crates).collect();
    assert!(missing.is_empty(), "{binary}: missing {missing:?}");
    let foreign: Vec<&NameVersion> = named.crates.difference(&maybe).collect();
    assert!(foreign.is_empty(), "{binary}: cannot link {foreign:?}");
    for krate in &named.crates {
        let locked = workspace.checksum(krate);
        assert_eq!(
            named.checksums.get(krate).map(String::as_str),
            locked,
            "{binary}: checksum of {krate:?}"
        );
        // registry crates (those with a checksum) have a package URL, ours none
        let purl = named.purls.get(krate);
        match locked {
            Some(_) => {
                let prefix = format!("pkg:cargo/{}@", krate.0);
                let purl = purl.unwrap_or_else(|| panic!("{binary}: no purl for {krate:?}"));
                assert!(purl.starts_with(&prefix), "{purl}");
                let version = &purl[prefix.len()..];
                assert_eq!(version.replace("%2B", "+"), krate.1, "{purl}");
            }
            None => assert_eq!(purl, None, "{binary}: {krate:?} is ours"),
        }
    }
}

/// Crates the lifecycle surely links and the launcher cannot (its registry and HTTP stack).
pub(crate) fn lifecycle_only(workspace: &Workspace) -> BTreeSet<NameVersion> {
    let launcher = workspace.maybe_linked("launcher");
    let only: BTreeSet<NameVersion> = workspace
        .surely_linked("lifecycle")
        .difference(&launcher)
        .cloned()
        .collect();
    assert!(
        only.iter()
            .any(|(name, _)| ["oci-client", "hyper", "tokio", "rustls"].contains(&name.as_str())),
        "the lifecycle alone links the registry client: {only:?}"
    );
    only
}

#[test]
fn the_installed_sboms_name_what_each_binary_links_in_every_format() {
    let workspace = Workspace::load(&installed_target());
    let only = lifecycle_only(&workspace);
    for binary in ["launcher", "lifecycle"] {
        let bytes = fs::read(Lifecycle::installed().path(binary)).expect("the binary");
        let sha256 = Digest::of(&bytes).hex();
        for extension in EXTENSIONS {
            let text = fs::read(installed_sbom(binary, extension)).expect("installed SBOM");
            let named = documents::read(extension, &text);
            assert_names_what_it_links(&named, binary, &workspace);
            assert_eq!(named.binary_sha256, sha256, "{binary}.sbom.{extension}");
            let shared: Vec<&NameVersion> = named.crates.intersection(&only).collect();
            if binary == "launcher" {
                assert!(shared.is_empty(), "the launcher links {shared:?}");
            } else {
                assert_eq!(shared.len(), only.len(), "{extension}");
            }
        }
    }
}

#[test]
fn lifecycle_toml_lists_the_formats_shipped() {
    let text = fs::read_to_string(Lifecycle::installed().dir().join("../lifecycle.toml"))
        .expect("lifecycle.toml");
    let descriptor: toml::Table = toml::from_str(&text).expect("lifecycle.toml parses");
    let formats: Vec<&str> = descriptor["lifecycle"]["sbom-formats"]
        .as_array()
        .expect("sbom-formats")
        .iter()
        .map(|format| format.as_str().expect("a media type"))
        .collect();
    assert_eq!(
        formats,
        [
            "application/vnd.cyclonedx+json",
            "application/spdx+json",
            "application/vnd.syft+json"
        ]
    );
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ`.
fn epoch_of(time: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| -> i64 { time[range].parse().expect("a number") };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    // days from civil (Howard Hinnant)
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

#[test]
fn the_installed_sboms_are_what_the_writer_makes_again_byte_for_byte() {
    let lifecycle = Lifecycle::installed();
    let target = installed_target();
    for binary in ["launcher", "lifecycle"] {
        let cdx: Value =
            serde_json::from_slice(&fs::read(installed_sbom(binary, "cdx.json")).expect("SBOM"))
                .expect("JSON");
        let created = epoch_of(cdx["metadata"]["timestamp"].as_str().expect("timestamp"));
        let binary_path = lifecycle.path(binary);
        let workspace = expected::workspace_root();
        let query = cnb_sbom::CargoQuery {
            workspace: &workspace,
            cargo: env!("CARGO").as_ref(),
            rustc: "rustc".as_ref(),
            package: binary,
            target: &target,
            binary: &binary_path,
            created,
        };
        let out = tempfile::tempdir().expect("temp dir");
        let bill = cnb_sbom::Bill::from_cargo(&query).expect("the bill");
        bill.write_all(out.path()).expect("written");
        for extension in EXTENSIONS {
            let name = format!("{binary}.sbom.{extension}");
            assert!(
                fs::read(out.path().join(&name)).ok()
                    == fs::read(installed_sbom(binary, extension)).ok(),
                "{name} differs from the installed one"
            );
        }
    }
}

#[test]
fn epochs_read_back_from_rfc3339() {
    assert_eq!(epoch_of("1980-01-01T00:00:01Z"), 315_532_801);
    assert_eq!(epoch_of("2022-01-05T05:05:05Z"), 1_641_359_105);
    assert_eq!(epoch_of("2000-02-29T00:00:00Z"), 951_782_400);
}
