//! What a binary may and must link, derived here from `cargo metadata` and `Cargo.lock` on
//! their own (not the way the SBOM writer derives it, through `cargo tree`): walking the
//! resolved graph for the target along normal edges, past no proc-macro,
//!
//! - [`Workspace::maybe_linked`] takes every edge, and so over-counts (the resolve unifies
//!   features across the workspace);
//! - [`Workspace::surely_linked`] takes only the edges a manifest declares unconditionally and
//!   not optional, which every build of the package has.
//!
//! An SBOM that names a crate outside the first or misses one of the second is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A crate as the documents name it: (name, version).
pub(crate) type NameVersion = (String, String);

struct Node {
    name: String,
    version: String,
    proc_macro: bool,
    /// (dependency package id, on every build of this package).
    deps: Vec<(String, bool)>,
}

/// The workspace's resolved packages for one target, and Cargo.lock's checksums.
pub(crate) struct Workspace {
    nodes: BTreeMap<String, Node>,
    checksums: BTreeMap<NameVersion, String>,
}

/// The workspace root (this crate's parent).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("spec-tests sits in the workspace")
        .to_owned()
}

impl Workspace {
    /// `cargo metadata --filter-platform <target>` and Cargo.lock.
    pub(crate) fn load(target: &str) -> Self {
        let output = Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--locked",
                "--format-version=1",
                "--filter-platform",
            ])
            .arg(target)
            .current_dir(workspace_root())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
        let packages: BTreeMap<&str, &Value> = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|package| (package["id"].as_str().expect("id"), package))
            .collect();
        let mut nodes = BTreeMap::new();
        for node in metadata["resolve"]["nodes"].as_array().expect("nodes") {
            let id = node["id"].as_str().expect("node id");
            let package = packages[id];
            let mut deps = Vec::new();
            for dep in node["deps"].as_array().expect("deps") {
                let kinds = dep["dep_kinds"].as_array().expect("dep_kinds");
                if !kinds.iter().any(|kind| kind["kind"].is_null()) {
                    continue; // build or dev only
                }
                let dep_id = dep["pkg"].as_str().expect("pkg").to_owned();
                let dep_name = packages[dep_id.as_str()]["name"].as_str().expect("name");
                let unconditional = kinds
                    .iter()
                    .any(|kind| kind["kind"].is_null() && kind["target"].is_null())
                    && package["dependencies"]
                        .as_array()
                        .expect("dependencies")
                        .iter()
                        .any(|declared| {
                            declared["name"] == dep_name
                                && declared["kind"].is_null()
                                && declared["target"].is_null()
                                && declared["optional"] == false
                        });
                deps.push((dep_id, unconditional));
            }
            let proc_macro = package["targets"]
                .as_array()
                .expect("targets")
                .iter()
                .any(|target| {
                    target["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind == "proc-macro"))
                });
            nodes.insert(
                id.to_owned(),
                Node {
                    name: package["name"].as_str().expect("name").to_owned(),
                    version: package["version"].as_str().expect("version").to_owned(),
                    proc_macro,
                    deps,
                },
            );
        }
        let lock: toml::Table = toml::from_str(
            &std::fs::read_to_string(workspace_root().join("Cargo.lock")).expect("Cargo.lock"),
        )
        .expect("Cargo.lock parses");
        let checksums = lock["package"]
            .as_array()
            .expect("[[package]]")
            .iter()
            .filter_map(|package| {
                let checksum = package.get("checksum")?.as_str()?.to_owned();
                let name = package["name"].as_str()?.to_owned();
                let version = package["version"].as_str()?.to_owned();
                Some(((name, version), checksum))
            })
            .collect();
        Self { nodes, checksums }
    }

    /// Every crate reachable from the workspace package `package` over normal edges.
    pub(crate) fn maybe_linked(&self, package: &str) -> BTreeSet<NameVersion> {
        self.walk(package, false)
    }

    /// Every crate reachable over unconditional, non-optional normal edges.
    pub(crate) fn surely_linked(&self, package: &str) -> BTreeSet<NameVersion> {
        self.walk(package, true)
    }

    /// Cargo.lock's checksum of a registry crate.
    pub(crate) fn checksum(&self, krate: &NameVersion) -> Option<&str> {
        self.checksums.get(krate).map(String::as_str)
    }

    fn walk(&self, package: &str, surely: bool) -> BTreeSet<NameVersion> {
        let root = self
            .nodes
            .iter()
            .find(|(id, node)| node.name == package && id.starts_with("path+"))
            .map_or_else(
                || panic!("no workspace package {package}"),
                |(id, _)| id.clone(),
            );
        let mut seen = BTreeSet::new();
        let mut found = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let node = &self.nodes[&id];
            found.insert((node.name.clone(), node.version.clone()));
            for (dep, unconditional) in &node.deps {
                if (*unconditional || !surely) && !self.nodes[dep].proc_macro {
                    stack.push(dep.clone());
                }
            }
        }
        found
    }
}
