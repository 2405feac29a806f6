//! A [`Bill`] from cargo: `cargo tree` for what the release build of one package links for one
//! target (its own feature resolution, unlike `cargo metadata`'s, which unifies features
//! across the workspace and so lists crates the binary does not link), `cargo metadata` for
//! what each crate says about itself, `Cargo.lock` for checksums, `rustc -vV` for the
//! compiler's release.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_image::Digest;
use serde::Deserialize;

use crate::tree::{self, TreePackage};
use crate::{Bill, Crate, CrateSource, Error, Result, ids};

/// crates.io's Cargo source id.
pub(super) const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
/// crates.io's source id when reached over the sparse protocol.
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

/// What to ask cargo about.
#[derive(Debug, Clone, Copy)]
pub struct CargoQuery<'a> {
    /// A directory of the workspace, where cargo and rustc run.
    pub workspace: &'a Path,
    /// The cargo to run.
    pub cargo: &'a OsStr,
    /// The rustc whose release is recorded.
    pub rustc: &'a OsStr,
    /// The package whose binary it is (`launcher`).
    pub package: &'a str,
    /// The target triple of the release build.
    pub target: &'a str,
    /// The built binary, whose SHA-256 the documents record.
    pub binary: &'a Path,
    /// The documents' time, in seconds since the epoch.
    pub created: i64,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_root: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    license: Option<String>,
    description: Option<String>,
    repository: Option<String>,
    homepage: Option<String>,
    manifest_path: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Locked>,
}

#[derive(Debug, Deserialize)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

impl Bill {
    /// The bill of `query.package`'s binary.
    pub fn from_cargo(query: &CargoQuery<'_>) -> Result<Self> {
        let metadata: Metadata = serde_json::from_str(&run(
            query.workspace,
            query.cargo,
            &[
                "metadata".as_ref(),
                "--locked".as_ref(),
                "--format-version=1".as_ref(),
                "--filter-platform".as_ref(),
                query.target.as_ref(),
            ],
        )?)
        .map_err(|error| query_failed("cargo metadata", &error.to_string()))?;
        let printed = run(
            query.workspace,
            query.cargo,
            &[
                "tree".as_ref(),
                "--locked".as_ref(),
                "--package".as_ref(),
                query.package.as_ref(),
                "--target".as_ref(),
                query.target.as_ref(),
                "--edges=normal,no-proc-macro".as_ref(),
                "--prefix=depth".as_ref(),
                "--format={p}".as_ref(),
            ],
        )?;
        let tree = tree::parse(&printed).map_err(|reason| query_failed("cargo tree", &reason))?;
        let lock_path = metadata.workspace_root.join("Cargo.lock");
        let lock_text = std::fs::read_to_string(&lock_path).map_err(|source| Error::Read {
            path: lock_path.clone(),
            source,
        })?;
        let lock: Lock = toml::from_str(&lock_text)
            .map_err(|error| query_failed(&lock_path.display().to_string(), &error.to_string()))?;
        let binary = std::fs::read(query.binary).map_err(|source| Error::Read {
            path: query.binary.to_owned(),
            source,
        })?;
        let rustc = rustc_release(query.workspace, query.rustc)?;

        let describe = Describer {
            metadata: &metadata,
            lock: &lock,
        };
        let mut crates = BTreeMap::new();
        for package in tree.edges.keys() {
            crates.insert(package.clone(), describe.package(package)?);
        }
        for (package, dependencies) in &tree.edges {
            let mut references: Vec<String> = dependencies
                .iter()
                .filter_map(|dependency| crates.get(dependency).map(Crate::reference))
                .collect();
            references.sort();
            if let Some(described) = crates.get_mut(package) {
                described.dependencies = references;
            }
        }
        let root = crates
            .remove(&tree.root)
            .ok_or_else(|| query_failed("cargo tree", "the root package is not in the tree"))?;
        let mut crates: Vec<Crate> = crates.into_values().collect();
        crates.sort_by_key(Crate::reference);
        Ok(Self {
            binary_name: query.binary.file_name().map_or_else(
                || root.name.clone(),
                |name| name.to_string_lossy().into_owned(),
            ),
            root,
            binary_sha256: Digest::of(&binary).hex(),
            crates,
            target: query.target.to_owned(),
            rustc,
            created: query.created,
        })
    }
}

struct Describer<'a> {
    metadata: &'a Metadata,
    lock: &'a Lock,
}

impl Describer<'_> {
    /// The crate `cargo tree` printed, described by its `cargo metadata` package.
    fn package(&self, printed: &TreePackage) -> Result<Crate> {
        let candidates: Vec<&Package> = self
            .metadata
            .packages
            .iter()
            .filter(|package| package.name == printed.name && package.version == printed.version)
            .collect();
        let package = match candidates[..] {
            [one] => one,
            _ => candidates
                .iter()
                .copied()
                .find(
                    |package| match (&package.source, package.manifest_path.parent()) {
                        (None, Some(dir)) => printed.note == format!("({})", dir.display()),
                        (Some(_), _) => !printed.note.starts_with("(/"),
                        (None, None) => false,
                    },
                )
                .ok_or_else(|| {
                    query_failed(
                        "cargo metadata",
                        &format!(
                            "{} {} {} is not one of its packages",
                            printed.name, printed.version, printed.note
                        ),
                    )
                })?,
        };
        let source = match package.source.as_deref() {
            None => CrateSource::Path(self.relative_dir(package)),
            Some(CRATES_IO | CRATES_IO_SPARSE) => CrateSource::CratesIo,
            Some(id) if id.starts_with("git+") => CrateSource::Git(id.to_owned()),
            Some(id) => CrateSource::Registry(id.to_owned()),
        };
        let checksum = self
            .lock
            .package
            .iter()
            .find(|locked| {
                locked.name == package.name
                    && locked.version == package.version
                    && locked.source == package.source
            })
            .and_then(|locked| locked.checksum.clone());
        Ok(Crate {
            name: package.name.clone(),
            version: package.version.clone(),
            source,
            license: package.license.as_deref().and_then(ids::license_expression),
            description: package.description.as_deref().map(one_line),
            repository: package.repository.clone(),
            homepage: package.homepage.clone(),
            checksum,
            dependencies: Vec::new(),
        })
    }

    /// A path crate's directory relative to the workspace root (no build machine's path in a
    /// document); its directory name when it lies outside.
    fn relative_dir(&self, package: &Package) -> String {
        let dir = package.manifest_path.parent().unwrap_or(Path::new(""));
        match dir.strip_prefix(&self.metadata.workspace_root) {
            Ok(relative) if relative.as_os_str().is_empty() => ".".to_owned(),
            Ok(relative) => relative.display().to_string(),
            Err(_) => dir
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// A description folded onto one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `release: 1.95.0` of `rustc -vV`.
fn rustc_release(workspace: &Path, rustc: &OsStr) -> Result<String> {
    let output = run(workspace, rustc, &["-vV".as_ref()])?;
    output
        .lines()
        .find_map(|line| line.strip_prefix("release: "))
        .map(|release| release.trim().to_owned())
        .ok_or_else(|| query_failed("rustc -vV", "no release line"))
}

/// Runs `program args`, returning its stdout; a failure names the command and the error line
/// it wrote to stderr (else its last line).
fn run(dir: &Path, program: &OsStr, args: &[&OsStr]) -> Result<String> {
    let command = std::iter::once(program)
        .chain(args.iter().copied())
        .map(|arg| arg.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|error| query_failed(&command, &error.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = stderr
            .lines()
            .find(|line| line.starts_with("error"))
            .or_else(|| stderr.lines().rev().find(|line| !line.trim().is_empty()));
        return Err(query_failed(
            &command,
            &format!("{}: {}", output.status, said.unwrap_or("no output")),
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| query_failed(&command, "output is not UTF-8"))
}

fn query_failed(command: &str, reason: &str) -> Error {
    Error::Query {
        command: command.to_owned(),
        reason: reason.to_owned(),
    }
}
