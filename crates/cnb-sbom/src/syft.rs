//! A [`Bill`] as a Syft JSON document: the binary as the `file` source (with the SHA-256 of
//! its bytes), each crate (the binary's own included) as a `rust-crate` artifact with its
//! Cargo.lock entry as metadata, and a `dependency-of` relationship per edge (Syft's direction:
//! the dependency is the parent). Artifact ids are derived from the crates' references.

use serde_json::{Value, json};

use crate::{Bill, Crate, ids};

/// The Syft JSON schema version written (the first of the 16 line, whose fields these are).
pub const SCHEMA_VERSION: &str = "16.0.0";

/// The document.
pub fn document(bill: &Bill) -> Value {
    let binary = bill.installed_path();
    let artifacts: Vec<Value> = bill
        .all_crates()
        .map(|krate| artifact(bill, krate, &binary))
        .collect();
    let mut relationships = Vec::new();
    for krate in bill.all_crates() {
        for dependency in &krate.dependencies {
            relationships.push(json!({
                "parent": ids::short_id(dependency),
                "child": artifact_id(krate),
                "type": "dependency-of",
            }));
        }
    }
    json!({
        "artifacts": artifacts,
        "artifactRelationships": relationships,
        "source": {
            "id": bill.binary_sha256,
            "name": bill.binary_name,
            "version": bill.root.version,
            "type": "file",
            "metadata": {
                "path": binary,
                "digests": [{"algorithm": "sha256", "value": bill.binary_sha256}],
                "mimeType": "application/x-executable",
            },
        },
        "distro": {},
        "descriptor": {
            "name": env!("CARGO_PKG_NAME"),
            "version": env!("CARGO_PKG_VERSION"),
            "configuration": {"target": bill.target, "rustc": bill.rustc},
        },
        "schema": {
            "version": SCHEMA_VERSION,
            // Syft and Grype recognise a Syft document by this URL.
            "url": format!(
                "https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-{SCHEMA_VERSION}.json"
            ),
        },
    })
}

fn artifact_id(krate: &Crate) -> String {
    ids::short_id(&krate.reference())
}

fn artifact(bill: &Bill, krate: &Crate, binary: &str) -> Value {
    let licenses: Vec<Value> = krate
        .license
        .iter()
        .map(|license| {
            json!({
                "value": license,
                "spdxExpression": license,
                "type": "declared",
                "urls": [],
                "locations": [],
            })
        })
        .collect();
    let by_reference = |reference: &String| {
        bill.all_crates()
            .find(|other| other.reference() == *reference)
            .map(|other| format!("{} {}", other.name, other.version))
    };
    json!({
        "id": artifact_id(krate),
        "name": krate.name,
        "version": krate.version,
        "type": "rust-crate",
        "foundBy": env!("CARGO_PKG_NAME"),
        "locations": [{"path": binary, "accessPath": binary}],
        "licenses": licenses,
        "language": "rust",
        "cpes": [],
        "purl": krate.purl().unwrap_or_default(),
        "metadataType": "rust-cargo-lock-entry",
        "metadata": {
            "name": krate.name,
            "version": krate.version,
            "source": krate.source.cargo_id(),
            "checksum": krate.checksum.clone().unwrap_or_default(),
            "dependencies": krate.dependencies.iter().filter_map(by_reference).collect::<Vec<_>>(),
        },
    })
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
        for field in [
            "artifacts",
            "artifactRelationships",
            "source",
            "distro",
            "descriptor",
            "schema",
        ] {
            assert!(!document[field].is_null(), "{field}");
        }
        assert!(
            document["schema"]["url"]
                .as_str()
                .unwrap()
                .contains("anchore/syft")
        );
        assert_eq!(document["source"]["type"], "file");
        assert_eq!(
            document["source"]["metadata"]["path"],
            "/cnb/lifecycle/launcher"
        );
        assert_eq!(
            document["source"]["metadata"]["digests"][0]["value"],
            "ab".repeat(32)
        );
        for artifact in document["artifacts"].as_array().unwrap() {
            for field in [
                "id", "name", "version", "type", "foundBy", "language", "purl",
            ] {
                assert!(artifact[field].is_string(), "{field} in {artifact}");
            }
            for field in ["locations", "licenses", "cpes"] {
                assert!(artifact[field].is_array(), "{field} in {artifact}");
            }
            assert_eq!(artifact["type"], "rust-crate");
        }
    }

    #[test]
    fn artifacts_carry_purls_and_cargo_lock_entries() {
        let document = document(&bill());
        let artifacts = document["artifacts"].as_array().unwrap();
        assert_eq!(artifacts[0]["name"], "launcher");
        assert_eq!(artifacts[0]["purl"], "");
        let toml = artifacts.iter().find(|a| a["name"] == "toml").unwrap();
        assert_eq!(toml["purl"], "pkg:cargo/toml@1.2.2%2Bspec-1.1.0");
        assert_eq!(toml["licenses"][0]["spdxExpression"], "MIT OR Apache-2.0");
        assert_eq!(
            toml["metadata"]["source"],
            "registry+https://github.com/rust-lang/crates.io-index"
        );
        assert_eq!(toml["metadata"]["checksum"], "cd".repeat(32));
        let api = artifacts.iter().find(|a| a["name"] == "cnb-api").unwrap();
        assert_eq!(
            api["metadata"]["dependencies"],
            json!(["toml 1.2.2+spec-1.1.0"])
        );
    }

    #[test]
    fn relationships_point_from_dependency_to_dependent_between_known_ids() {
        let document = document(&bill());
        let artifacts = document["artifacts"].as_array().unwrap();
        let ids: BTreeSet<&str> = artifacts
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), artifacts.len(), "ids are unique");
        let id_of = |name: &str| {
            artifacts.iter().find(|a| a["name"] == name).unwrap()["id"]
                .as_str()
                .unwrap()
        };
        let edges: Vec<(&str, &str)> = document["artifactRelationships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["type"], "dependency-of");
                (r["parent"].as_str().unwrap(), r["child"].as_str().unwrap())
            })
            .collect();
        assert_eq!(edges.len(), 3);
        assert!(
            edges
                .iter()
                .all(|(p, c)| ids.contains(p) && ids.contains(c))
        );
        assert!(edges.contains(&(id_of("libc"), id_of("launcher"))));
    }

    #[test]
    fn the_same_bill_gives_the_same_bytes() {
        assert_eq!(
            crate::render(SbomFormat::Syft, &bill()),
            crate::render(SbomFormat::Syft, &bill())
        );
    }
}
