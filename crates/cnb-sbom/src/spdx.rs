//! A [`Bill`] as an SPDX 2.3 JSON document: one package for the binary (`APPLICATION`, with
//! the SHA-256 of its bytes) that the document `DESCRIBES`, one `LIBRARY` package per crate it
//! links (package URL as an external reference, `.crate` checksum, declared license), and a
//! `DEPENDS_ON` relationship per edge. The namespace is a UUID URN derived from the rest of the
//! document.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::{Bill, Crate, CrateSource, ids};

/// The SPDX version written.
pub const SPDX_VERSION: &str = "SPDX-2.3";

const NOASSERTION: &str = "NOASSERTION";

/// The document.
pub fn document(bill: &Bill) -> Value {
    let ids = element_ids(bill);
    let id = |krate: &Crate| ids[&krate.reference()].clone();
    let mut root = package(&bill.root, &id(&bill.root), "APPLICATION");
    root.insert(
        "checksums".to_owned(),
        json!([{"algorithm": "SHA256", "checksumValue": bill.binary_sha256}]),
    );
    let mut packages = vec![Value::Object(root)];
    packages.extend(
        bill.crates
            .iter()
            .map(|krate| Value::Object(package(krate, &id(krate), "LIBRARY"))),
    );
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": id(&bill.root),
    })];
    for krate in bill.all_crates() {
        for dependency in &krate.dependencies {
            relationships.push(json!({
                "spdxElementId": id(krate),
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": ids[dependency],
            }));
        }
    }
    let name = format!("{}-{}", bill.binary_name, bill.root.version);
    let mut document = json!({
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": "",
        "creationInfo": {
            "created": cnb_image::rfc3339_utc(bill.created),
            "creators": [format!("Tool: {}-{}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))],
            "comment": format!(
                "{} for {}, built by rustc {}: its standard library (and, for a musl target, \
                 the musl libc rustc bundles) is linked in too",
                bill.installed_path(),
                bill.target,
                bill.rustc
            ),
        },
        "packages": packages,
        "relationships": relationships,
    });
    let namespace = format!("urn:uuid:{}", ids::uuid_of(document.to_string().as_bytes()));
    document["documentNamespace"] = Value::String(namespace);
    document
}

/// `SPDXRef-Package-<name>-<version>` for each crate by reference (`-<n>` appended should two
/// crates of different sources spell the same).
fn element_ids(bill: &Bill) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut taken = std::collections::BTreeSet::new();
    for krate in bill.all_crates() {
        let base = ids::spdx_id("Package", &format!("{}-{}", krate.name, krate.version));
        let mut id = base.clone();
        let mut n = 1;
        while !taken.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        ids.insert(krate.reference(), id);
    }
    ids
}

fn package(krate: &Crate, id: &str, purpose: &str) -> Map<String, Value> {
    let mut package = Map::new();
    let mut put = |key: &str, value: Value| {
        package.insert(key.to_owned(), value);
    };
    put("SPDXID", json!(id));
    put("name", json!(krate.name));
    put("versionInfo", json!(krate.version));
    put("downloadLocation", json!(download_location(krate)));
    put("filesAnalyzed", json!(false));
    if let Some(checksum) = &krate.checksum {
        put(
            "checksums",
            json!([{"algorithm": "SHA256", "checksumValue": checksum}]),
        );
    }
    if let Some(homepage) = &krate.homepage {
        put("homepage", json!(homepage));
    }
    put("licenseConcluded", json!(NOASSERTION));
    put(
        "licenseDeclared",
        json!(krate.license.as_deref().unwrap_or(NOASSERTION)),
    );
    put("copyrightText", json!(NOASSERTION));
    if let Some(description) = &krate.description {
        put("description", json!(description));
    }
    if let Some(purl) = krate.purl() {
        put(
            "externalRefs",
            json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }]),
        );
    }
    put("primaryPackagePurpose", json!(purpose));
    package
}

/// A git crate's repository as SPDX spells a VCS location; nothing is asserted for the rest
/// (the package URL says where a registry crate comes from).
fn download_location(krate: &Crate) -> String {
    match &krate.source {
        CrateSource::Git(id) => id.clone(),
        _ => NOASSERTION.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::bill;
    use cnb_api::SbomFormat;
    use std::collections::BTreeSet;

    #[test]
    fn has_the_required_fields() {
        let document = document(&bill());
        assert_eq!(document["spdxVersion"], "SPDX-2.3");
        assert_eq!(document["dataLicense"], "CC0-1.0");
        assert_eq!(document["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(document["name"], "launcher-0.1.0");
        let namespace = document["documentNamespace"].as_str().unwrap();
        assert!(namespace.starts_with("urn:uuid:"), "{namespace}");
        assert_eq!(document["creationInfo"]["created"], "1980-01-01T00:00:01Z");
        assert_eq!(
            document["creationInfo"]["creators"][0],
            format!("Tool: cnb-sbom-{}", env!("CARGO_PKG_VERSION"))
        );
        for package in document["packages"].as_array().unwrap() {
            for field in ["SPDXID", "name", "downloadLocation", "versionInfo"] {
                assert!(package[field].is_string(), "{field} in {package}");
            }
            assert_eq!(package["filesAnalyzed"], false);
        }
    }

    #[test]
    fn packages_carry_purls_checksums_and_licenses() {
        let document = document(&bill());
        let packages = document["packages"].as_array().unwrap();
        let root = &packages[0];
        assert_eq!(root["primaryPackagePurpose"], "APPLICATION");
        assert_eq!(root["checksums"][0]["checksumValue"], "ab".repeat(32));
        assert_eq!(root["licenseDeclared"], "Apache-2.0");
        let toml = packages.iter().find(|p| p["name"] == "toml").unwrap();
        assert_eq!(toml["SPDXID"], "SPDXRef-Package-toml-1.2.2-spec-1.1.0");
        assert_eq!(toml["primaryPackagePurpose"], "LIBRARY");
        assert_eq!(toml["checksums"][0]["algorithm"], "SHA256");
        assert_eq!(
            toml["externalRefs"][0]["referenceLocator"],
            "pkg:cargo/toml@1.2.2%2Bspec-1.1.0"
        );
        let libc = packages.iter().find(|p| p["name"] == "libc").unwrap();
        assert_eq!(libc["licenseDeclared"], "NOASSERTION");
    }

    #[test]
    fn relationships_describe_the_binary_and_every_edge_between_known_ids() {
        let document = document(&bill());
        let ids: BTreeSet<&str> = document["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        let relationships = document["relationships"].as_array().unwrap();
        assert_eq!(relationships[0]["relationshipType"], "DESCRIBES");
        assert_eq!(
            relationships[0]["relatedSpdxElement"],
            "SPDXRef-Package-launcher-0.1.0"
        );
        let edges: Vec<(&str, &str)> = relationships[1..]
            .iter()
            .map(|r| {
                assert_eq!(r["relationshipType"], "DEPENDS_ON");
                let from = r["spdxElementId"].as_str().unwrap();
                let to = r["relatedSpdxElement"].as_str().unwrap();
                assert!(ids.contains(from) && ids.contains(to), "{r}");
                (from, to)
            })
            .collect();
        assert_eq!(edges.len(), 3);
        assert!(edges.contains(&(
            "SPDXRef-Package-cnb-api-0.1.0",
            "SPDXRef-Package-toml-1.2.2-spec-1.1.0"
        )));
    }

    #[test]
    fn the_same_bill_gives_the_same_bytes_and_another_another_namespace() {
        assert_eq!(
            crate::render(SbomFormat::Spdx, &bill()),
            crate::render(SbomFormat::Spdx, &bill())
        );
        let mut other = bill();
        other.binary_sha256 = "00".repeat(32);
        let namespace = |bill: &Bill| document(bill)["documentNamespace"].clone();
        assert_ne!(namespace(&bill()), namespace(&other));
    }
}
