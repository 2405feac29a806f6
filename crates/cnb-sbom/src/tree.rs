//! `cargo tree --prefix depth --format {p}` read back into a graph: one node per package
//! (name, version and the source note cargo prints for crates not from crates.io, such as a
//! path), each with the packages it depends on. A package printed again is marked `(*)` and
//! not expanded: its edges come from its first appearance.

use std::collections::{BTreeMap, BTreeSet};

/// A package as `cargo tree` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct TreePackage {
    pub(super) name: String,
    pub(super) version: String,
    /// What follows the version, without the `(*)` and `(proc-macro)` marks: `(/abs/path)`
    /// for a path crate, `(registry `x`)` or a git URL for other sources, empty for crates.io.
    pub(super) note: String,
}

/// The packages printed and their edges; the root is the first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tree {
    pub(super) root: TreePackage,
    pub(super) edges: BTreeMap<TreePackage, BTreeSet<TreePackage>>,
}

/// Reads the output; `Err` names the line that does not parse.
pub(super) fn parse(output: &str) -> Result<Tree, String> {
    let mut root = None;
    let mut edges: BTreeMap<TreePackage, BTreeSet<TreePackage>> = BTreeMap::new();
    let mut path: Vec<TreePackage> = Vec::new();
    for line in output.lines().filter(|line| !line.trim().is_empty()) {
        let (depth, package) =
            parse_line(line).ok_or_else(|| format!("unexpected line {line:?}"))?;
        if depth > path.len() || (depth == 0 && root.is_some()) {
            return Err(format!("line {line:?} is not under the one before"));
        }
        path.truncate(depth);
        if let Some(parent) = path.last() {
            edges
                .entry(parent.clone())
                .or_default()
                .insert(package.clone());
        } else {
            root = Some(package.clone());
        }
        edges.entry(package.clone()).or_default();
        path.push(package);
    }
    let root = root.ok_or_else(|| "no package printed".to_owned())?;
    Ok(Tree { root, edges })
}

/// `3serde v1.0.229 (*)` → (3, serde 1.0.229).
fn parse_line(line: &str) -> Option<(usize, TreePackage)> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    let depth = line[..digits].parse().ok()?;
    let mut words = line[digits..].splitn(3, ' ');
    let name = words.next().filter(|name| !name.is_empty())?;
    let version = words.next()?.strip_prefix('v')?;
    let mut note = words.next().unwrap_or("").trim();
    for mark in ["(*)", "(proc-macro)"] {
        note = note.strip_suffix(mark).unwrap_or(note).trim_end();
    }
    Some((
        depth,
        TreePackage {
            name: name.to_owned(),
            version: version.to_owned(),
            note: note.to_owned(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str, note: &str) -> TreePackage {
        TreePackage {
            name: name.to_owned(),
            version: version.to_owned(),
            note: note.to_owned(),
        }
    }

    const OUTPUT: &str = "\
0launcher v0.1.0 (/src/bin/launcher)
1cnb-api v0.1.0 (/src/crates/cnb-api)
2serde v1.0.229
3serde_core v1.0.229
2thiserror v2.0.21
1cnb-sys v0.1.0 (/src/crates/cnb-sys)
2cnb-api v0.1.0 (/src/crates/cnb-api) (*)
2toml v1.2.2+spec-1.1.0
3serde_core v1.0.229
";

    #[test]
    fn reads_edges_from_first_appearances() {
        let tree = parse(OUTPUT).unwrap();
        assert_eq!(
            tree.root,
            package("launcher", "0.1.0", "(/src/bin/launcher)")
        );
        let api = package("cnb-api", "0.1.0", "(/src/crates/cnb-api)");
        let sys = package("cnb-sys", "0.1.0", "(/src/crates/cnb-sys)");
        let toml = package("toml", "1.2.2+spec-1.1.0", "");
        assert_eq!(tree.edges.len(), 7);
        assert_eq!(
            tree.edges[&tree.root],
            BTreeSet::from([api.clone(), sys.clone()])
        );
        assert_eq!(
            tree.edges[&api],
            BTreeSet::from([
                package("serde", "1.0.229", ""),
                package("thiserror", "2.0.21", "")
            ])
        );
        assert_eq!(tree.edges[&sys], BTreeSet::from([api, toml.clone()]));
        assert_eq!(
            tree.edges[&toml],
            BTreeSet::from([package("serde_core", "1.0.229", "")])
        );
    }

    #[test]
    fn refuses_what_is_not_a_tree() {
        assert!(parse("").is_err());
        assert!(parse("0a v1\n2b v1\n").is_err(), "a skipped level");
        assert!(parse("0a v1\n0b v1\n").is_err(), "two roots");
        assert!(parse("0a 1.0\n").is_err(), "no v before the version");
    }
}
