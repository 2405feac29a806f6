//! A [`Bill`] as a CycloneDX 1.5 JSON document: the binary as `metadata.component` (with the
//! SHA-256 of its bytes), each crate it links as a `library` component (package URL, `.crate`
//! checksum, license expression, repository), and the dependency graph. The serial number is
//! a UUID derived from the rest of the document.

use serde_json::{Map, Value, json};

use crate::{Bill, Crate, CrateSource, ids};

/// The CycloneDX version written.
pub const SPEC_VERSION: &str = "1.5";

/// The document.
pub fn document(bill: &Bill) -> Value {
    let mut root = component(&bill.root, "application");
    root.insert(
        "hashes".to_owned(),
        json!([{"alg": "SHA-256", "content": bill.binary_sha256}]),
    );
    let mut document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": cnb_image::rfc3339_utc(bill.created),
            "tools": {
                "components": [{
                    "type": "application",
                    "name": env!("CARGO_PKG_NAME"),
                    "version": env!("CARGO_PKG_VERSION"),
                }],
            },
            "component": root,
            "properties": [
                {"name": "cnb:rust:target", "value": bill.target},
                {"name": "cnb:rust:rustc", "value": bill.rustc},
                {"name": "cnb:binary:path", "value": bill.installed_path()},
            ],
        },
        "components": bill
            .crates
            .iter()
            .map(|krate| Value::Object(component(krate, "library")))
            .collect::<Vec<_>>(),
        "dependencies": bill
            .all_crates()
            .map(|krate| json!({"ref": krate.reference(), "dependsOn": krate.dependencies}))
            .collect::<Vec<_>>(),
    });
    let serial = format!("urn:uuid:{}", ids::uuid_of(document.to_string().as_bytes()));
    document["serialNumber"] = Value::String(serial);
    document
}

fn component(krate: &Crate, kind: &str) -> Map<String, Value> {
    let mut component = Map::new();
    let mut put = |key: &str, value: Value| {
        component.insert(key.to_owned(), value);
    };
    put("type", json!(kind));
    put("bom-ref", json!(krate.reference()));
    put("name", json!(krate.name));
    put("version", json!(krate.version));
    if let Some(description) = &krate.description {
        put("description", json!(description));
    }
    if let Some(checksum) = &krate.checksum {
        put("hashes", json!([{"alg": "SHA-256", "content": checksum}]));
    }
    if let Some(license) = &krate.license {
        put("licenses", json!([{"expression": license}]));
    }
    if let Some(purl) = krate.purl() {
        put("purl", json!(purl));
    }
    let references: Vec<Value> = [("vcs", &krate.repository), ("website", &krate.homepage)]
        .into_iter()
        .filter_map(|(kind, url)| url.as_ref().map(|url| json!({"type": kind, "url": url})))
        .collect();
    if !references.is_empty() {
        put("externalReferences", Value::Array(references));
    }
    if let CrateSource::Path(dir) = &krate.source {
        put(
            "properties",
            json!([{"name": "cnb:cargo:path", "value": dir}]),
        );
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::bill;
    use cnb_api::SbomFormat;
    use std::collections::BTreeSet;

    #[test]
    fn has_the_required_fields_and_the_binary_as_metadata_component() {
        let document = document(&bill());
        assert_eq!(document["bomFormat"], "CycloneDX");
        assert_eq!(document["specVersion"], "1.5");
        assert_eq!(document["version"], 1);
        let serial = document["serialNumber"].as_str().unwrap();
        assert!(
            serial.starts_with("urn:uuid:") && serial.len() == 45,
            "{serial}"
        );
        assert_eq!(document["metadata"]["timestamp"], "1980-01-01T00:00:01Z");
        let root = &document["metadata"]["component"];
        assert_eq!(root["type"], "application");
        assert_eq!(root["name"], "launcher");
        assert_eq!(root["hashes"][0]["alg"], "SHA-256");
        assert_eq!(root["hashes"][0]["content"], "ab".repeat(32));
        assert!(root.get("purl").is_none(), "a crate of this repository");
    }

    #[test]
    fn components_carry_purls_checksums_and_licenses() {
        let document = document(&bill());
        let components = document["components"].as_array().unwrap();
        let names: Vec<&str> = components
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["cnb-api", "libc", "toml"]);
        let toml = &components[2];
        assert_eq!(toml["type"], "library");
        assert_eq!(toml["purl"], "pkg:cargo/toml@1.2.2%2Bspec-1.1.0");
        assert_eq!(toml["bom-ref"], toml["purl"]);
        assert_eq!(toml["hashes"][0]["content"], "cd".repeat(32));
        assert_eq!(toml["licenses"][0]["expression"], "MIT OR Apache-2.0");
        assert_eq!(toml["externalReferences"][0]["type"], "vcs");
        assert_eq!(components[0]["properties"][0]["value"], "crates/cnb-api");
    }

    #[test]
    fn every_reference_in_the_graph_names_a_component() {
        let document = document(&bill());
        let mut refs: BTreeSet<&str> = document["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        refs.insert(
            document["metadata"]["component"]["bom-ref"]
                .as_str()
                .unwrap(),
        );
        let dependencies = document["dependencies"].as_array().unwrap();
        assert_eq!(dependencies.len(), refs.len(), "one entry per component");
        for dependency in dependencies {
            assert!(refs.contains(dependency["ref"].as_str().unwrap()));
            for on in dependency["dependsOn"].as_array().unwrap() {
                assert!(refs.contains(on.as_str().unwrap()), "{on}");
            }
        }
    }

    #[test]
    fn the_same_bill_gives_the_same_bytes_and_another_another_serial() {
        let first = crate::render(SbomFormat::CycloneDx, &bill());
        assert_eq!(first, crate::render(SbomFormat::CycloneDx, &bill()));
        let mut other = bill();
        other.crates[1].version = "0.2.192".to_owned();
        let serial = |bill: &Bill| document(bill)["serialNumber"].clone();
        assert_ne!(serial(&bill()), serial(&other));
    }
}
