//! An SBOM document read back the way a scanner would, one reader per format, each checking
//! the fields its format requires and that every reference in its dependency graph names an
//! element of the document.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::expected::NameVersion;

/// The formats, by file extension: `cdx.json`, `spdx.json`, `syft.json`.
pub(crate) const EXTENSIONS: [&str; 3] = ["cdx.json", "spdx.json", "syft.json"];

/// What a document says was linked.
#[derive(Debug, Default)]
pub(crate) struct Named {
    /// The binary's own crate.
    pub(crate) root: NameVersion,
    /// Every crate, the root's included.
    pub(crate) crates: BTreeSet<NameVersion>,
    /// The package URL of each crate that has one.
    pub(crate) purls: BTreeMap<NameVersion, String>,
    /// The SHA-256 the document records for each crate that has one.
    pub(crate) checksums: BTreeMap<NameVersion, String>,
    /// The SHA-256 of the binary the document describes.
    pub(crate) binary_sha256: String,
}

/// Reads a document of the format `extension` names.
pub(crate) fn read(extension: &str, bytes: &[u8]) -> Named {
    let document: Value = serde_json::from_slice(bytes).expect("an SBOM is JSON");
    match extension {
        "cdx.json" => cyclonedx(&document),
        "spdx.json" => spdx(&document),
        "syft.json" => syft(&document),
        other => panic!("no SBOM format {other}"),
    }
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {value}"))
}

fn array<'a>(value: &'a Value, field: &str) -> &'a Vec<Value> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is an array in {value}"))
}

fn name_version(value: &Value, version: &str) -> NameVersion {
    (
        text(value, "name").to_owned(),
        text(value, version).to_owned(),
    )
}

fn cyclonedx(document: &Value) -> Named {
    assert_eq!(document["bomFormat"], "CycloneDX");
    let spec = text(document, "specVersion");
    let minor: u32 = spec
        .strip_prefix("1.")
        .and_then(|minor| minor.parse().ok())
        .expect("specVersion 1.x");
    assert!(minor >= 4, "CycloneDX 1.4 or later: {spec}");
    let serial = text(document, "serialNumber");
    assert!(
        serial.len() == 45 && serial.starts_with("urn:uuid:"),
        "{serial}"
    );
    let root = &document["metadata"]["component"];
    let mut named = Named {
        root: name_version(root, "version"),
        ..Named::default()
    };
    let hashes = array(root, "hashes");
    assert_eq!(hashes[0]["alg"], "SHA-256");
    text(&hashes[0], "content").clone_into(&mut named.binary_sha256);
    let mut refs = BTreeSet::from([text(root, "bom-ref").to_owned()]);
    named.crates.insert(named.root.clone());
    for component in array(document, "components") {
        assert!(component["type"].is_string(), "{component}");
        let krate = name_version(component, "version");
        refs.insert(text(component, "bom-ref").to_owned());
        if let Some(purl) = component["purl"].as_str() {
            named.purls.insert(krate.clone(), purl.to_owned());
        }
        if let Some(hash) = component["hashes"].as_array().and_then(|h| h.first()) {
            assert_eq!(hash["alg"], "SHA-256");
            named
                .checksums
                .insert(krate.clone(), text(hash, "content").to_owned());
        }
        named.crates.insert(krate);
    }
    for dependency in array(document, "dependencies") {
        assert!(refs.contains(text(dependency, "ref")), "{dependency}");
        for on in array(dependency, "dependsOn") {
            assert!(refs.contains(on.as_str().expect("a ref")), "{on}");
        }
    }
    named
}

fn spdx(document: &Value) -> Named {
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
    assert_eq!(document["dataLicense"], "CC0-1.0");
    assert_eq!(document["SPDXID"], "SPDXRef-DOCUMENT");
    assert!(document["name"].is_string());
    assert!(text(document, "documentNamespace").contains(':'));
    let creation = &document["creationInfo"];
    assert!(creation["created"].is_string() && !array(creation, "creators").is_empty());
    let mut named = Named::default();
    let mut ids = BTreeMap::new();
    for package in array(document, "packages") {
        assert!(package["downloadLocation"].is_string(), "{package}");
        let krate = name_version(package, "versionInfo");
        ids.insert(text(package, "SPDXID").to_owned(), krate.clone());
        for reference in package["externalRefs"].as_array().into_iter().flatten() {
            if reference["referenceType"] == "purl" {
                let purl = text(reference, "referenceLocator").to_owned();
                named.purls.insert(krate.clone(), purl);
            }
        }
        if let Some(checksum) = package["checksums"].as_array().and_then(|c| c.first()) {
            assert_eq!(checksum["algorithm"], "SHA256");
            let value = text(checksum, "checksumValue").to_owned();
            named.checksums.insert(krate.clone(), value);
        }
        named.crates.insert(krate);
    }
    for relationship in array(document, "relationships") {
        let from = text(relationship, "spdxElementId");
        let to = text(relationship, "relatedSpdxElement");
        assert!(ids.contains_key(to), "{relationship}");
        if relationship["relationshipType"] == "DESCRIBES" {
            assert_eq!(from, "SPDXRef-DOCUMENT");
            named.root = ids[to].clone();
        } else {
            assert!(ids.contains_key(from), "{relationship}");
        }
    }
    // The root's checksum is the binary's.
    named.binary_sha256 = named
        .checksums
        .remove(&named.root)
        .expect("the described package has the binary's checksum");
    named
}

fn syft(document: &Value) -> Named {
    assert!(text(&document["schema"], "url").contains("anchore/syft"));
    assert!(document["schema"]["version"].is_string());
    assert!(document["distro"].is_object() && document["descriptor"]["name"].is_string());
    let source = &document["source"];
    let mut named = Named {
        root: name_version(source, "version"),
        ..Named::default()
    };
    let digest = &array(&source["metadata"], "digests")[0];
    assert_eq!(digest["algorithm"], "sha256");
    text(digest, "value").clone_into(&mut named.binary_sha256);
    let mut ids = BTreeSet::new();
    for artifact in array(document, "artifacts") {
        for field in ["type", "foundBy", "language", "purl"] {
            assert!(artifact[field].is_string(), "{field} in {artifact}");
        }
        for field in ["locations", "licenses", "cpes"] {
            assert!(artifact[field].is_array(), "{field} in {artifact}");
        }
        let krate = name_version(artifact, "version");
        ids.insert(text(artifact, "id").to_owned());
        let purl = text(artifact, "purl");
        if !purl.is_empty() {
            named.purls.insert(krate.clone(), purl.to_owned());
        }
        if let Some(checksum) = artifact["metadata"]["checksum"]
            .as_str()
            .filter(|checksum| !checksum.is_empty())
        {
            named.checksums.insert(krate.clone(), checksum.to_owned());
        }
        named.crates.insert(krate);
    }
    for relationship in array(document, "artifactRelationships") {
        assert!(ids.contains(text(relationship, "parent")), "{relationship}");
        assert!(ids.contains(text(relationship, "child")), "{relationship}");
    }
    named
}
