//! COPY and ADD from the build context into the image root, with Docker's rules: sources are
//! paths or wildcard patterns inside the context (never outside it); a directory source copies
//! its contents; several sources need a destination directory ending in `/`; a relative
//! destination is under WORKDIR; what is copied keeps its mode and mtime and belongs to root
//! unless `--chown` says otherwise, `--chmod` sets the mode; symlinks inside a copied tree are
//! copied as symlinks. ADD also unpacks a local tar archive (plain, gzip or zstd) into the
//! destination. Heredoc sources (`COPY <<EOF /dest`) become files with the heredoc's text
//! (variables expanded unless the delimiter is quoted). The context's `.dockerignore` is
//! honoured.

mod dockerignore;

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, lchown, symlink};
use std::path::{Component, Path, PathBuf};

use cnb_dockerfile::{CopyArgs, Heredoc};
use cnb_image::{Digest, Sha256Writer};

use crate::error::StepError;
use crate::scope;
use crate::state::State;
use crate::users::Users;
use dockerignore::DockerIgnore;

/// What one COPY or ADD will do, worked out before it runs (its cache key needs the sources).
#[derive(Debug)]
pub(crate) struct CopyPlan {
    sources: Vec<Source>,
    /// The destination inside the image (absolute).
    dest: PathBuf,
    /// Whether the sources go into `dest` (a directory) rather than becoming it.
    into_dir: bool,
    owner: (u32, u32),
    chmod: Option<u32>,
    add: bool,
    context: PathBuf,
    ignore: DockerIgnore,
}

#[derive(Debug)]
enum Source {
    /// A file or directory of the context.
    Path { host: PathBuf },
    /// A heredoc's text, as a file of that name.
    Text { name: String, body: String },
}

fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Works out the COPY (or, with `add`, ADD) `args` against `context` and `root`.
pub(crate) fn plan(
    root: &Path,
    context: &Path,
    state: &State,
    args: &CopyArgs,
    add: bool,
) -> Result<CopyPlan, StepError> {
    for flag in &args.flags {
        if !matches!(flag.name.as_str(), "chown" | "chmod" | "link") {
            return Err(StepError::Unsupported {
                what: format!("{} --{}", if add { "ADD" } else { "COPY" }, flag.name),
            });
        }
    }
    let owner = match args.flag("chown") {
        Some(spec) => Users::read(root)?.owner(&state.expand(spec)?)?,
        None => (0, 0),
    };
    let chmod = args
        .flag("chmod")
        .map(|text| {
            u32::from_str_radix(text, 8)
                .ok()
                .filter(|mode| *mode <= 0o7777)
                .ok_or_else(|| StepError::Invalid {
                    what: "--chmod",
                    value: text.to_owned(),
                })
        })
        .transpose()?;
    let ignore = DockerIgnore::read(context)?;
    let mut sources = Vec::new();
    for raw in &args.sources {
        if let Some(heredoc) = heredoc_for(raw, &args.heredocs) {
            let body = if heredoc.expand {
                state.expand_heredoc(&heredoc.body)?
            } else {
                heredoc.body.clone()
            };
            sources.push(Source::Text {
                name: heredoc.name.clone(),
                body,
            });
            continue;
        }
        let source = state.expand(raw)?;
        if source.contains("://") {
            return Err(StepError::Unsupported {
                what: format!("{} from a URL", if add { "ADD" } else { "COPY" }),
            });
        }
        for host in matches(context, &source, &ignore)? {
            sources.push(Source::Path { host });
        }
    }
    let dest_text = state.expand(&args.dest)?;
    let dest = state.absolute(&dest_text);
    let dest_exists_as_dir = scope::resolve(root, &dest).is_ok_and(|host| host.is_dir());
    let single_dir = matches!(sources.as_slice(), [Source::Path { host }] if host.is_dir());
    if sources.len() > 1 && !dest_text.ends_with('/') && !dest_exists_as_dir {
        return Err(StepError::Invalid {
            what: "destination for several sources (it must end with '/')",
            value: dest_text,
        });
    }
    Ok(CopyPlan {
        into_dir: dest_text.ends_with('/') || sources.len() > 1 || dest_exists_as_dir || single_dir,
        sources,
        dest,
        owner,
        chmod,
        add,
        context: context.to_owned(),
        ignore,
    })
}

fn heredoc_for<'a>(raw: &str, heredocs: &'a [Heredoc]) -> Option<&'a Heredoc> {
    let name = raw.strip_prefix("<<")?.trim_start_matches('-');
    let name = name.trim_matches(|c| c == '"' || c == '\'');
    heredocs.iter().find(|h| h.name == name)
}

/// The context paths `source` names: itself, or what its pattern matches (sorted). Symlinks
/// at the top are followed inside the context.
fn matches(context: &Path, source: &str, ignore: &DockerIgnore) -> Result<Vec<PathBuf>, StepError> {
    let missing = || StepError::MissingSource {
        source_path: source.to_owned(),
        context: context.to_owned(),
    };
    let mut elements = Vec::new();
    for component in Path::new(source).components() {
        match component {
            Component::Normal(name) => elements.push(name.to_string_lossy().into_owned()),
            Component::ParentDir if elements.pop().is_none() => {
                return Err(StepError::OutsideContext {
                    source_path: source.to_owned(),
                });
            }
            _ => {}
        }
    }
    let mut found = vec![PathBuf::new()];
    for element in &elements {
        let mut next = Vec::new();
        for relative in &found {
            if is_pattern(element) {
                let dir = scope::resolve(context, relative).map_err(|_| missing())?;
                let Ok(entries) = fs::read_dir(&dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| glob_match(element, name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| relative.join(name)));
            } else {
                next.push(relative.join(element));
            }
        }
        found = next;
    }
    let hosts: Vec<PathBuf> = found
        .iter()
        .filter(|relative| !ignore.excludes(relative))
        .filter_map(|relative| scope::resolve(context, relative).ok())
        .filter(|host| fs::symlink_metadata(host).is_ok())
        .collect();
    if hosts.is_empty() {
        return Err(missing());
    }
    Ok(hosts)
}

/// Go's `filepath.Match` for one path element: `*`, `?`, `[…]` with ranges and `^`/`!`, and
/// `\` escapes.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|skip| glob_at(&p[1..], &n[skip..])),
        Some('?') => !n.is_empty() && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(c) = n.first() else { return false };
            let mut i = 1;
            let negate = matches!(p.get(1), Some('^' | '!'));
            if negate {
                i += 1;
            }
            let mut matched = false;
            let mut first = true;
            while i < p.len() && (first || p[i] != ']') {
                first = false;
                let low = p[i];
                if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|h| *h != ']') {
                    matched |= low <= *c && *c <= p[i + 2];
                    i += 3;
                } else {
                    matched |= low == *c;
                    i += 1;
                }
            }
            i < p.len() && matched != negate && glob_at(&p[i + 1..], &n[1..])
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && glob_at(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && glob_at(&p[1..], &n[1..]),
    }
}

impl CopyPlan {
    /// What the copy reads, as text for a cache key: destination, owner, mode, and every
    /// source's names, types, modes, link targets and contents.
    pub(crate) fn cache_material(&self) -> Result<String, StepError> {
        let mut hasher = Sha256Writer::new(io::sink());
        let mut text = format!(
            "dest {} into_dir {} owner {:?} chmod {:?} add {}\n",
            self.dest.display(),
            self.into_dir,
            self.owner,
            self.chmod,
            self.add
        );
        for source in &self.sources {
            match source {
                Source::Text { name, body } => {
                    let _ = writeln!(text, "text {name} {}", Digest::of(body.as_bytes()));
                }
                Source::Path { host } => {
                    self.hash_tree(host, Path::new(""), &mut hasher)?;
                    text.push_str("path\n");
                }
            }
        }
        text.push_str(&hasher.finish().1.to_string());
        Ok(text)
    }

    /// Copies into `root`.
    pub(crate) fn execute(&self, root: &Path) -> Result<(), StepError> {
        for source in &self.sources {
            match source {
                Source::Text { name, body } => {
                    let target = self.target_for(name);
                    let host = prepare_target(root, &target)?;
                    write_file(
                        &host,
                        &mut body.as_bytes(),
                        self.chmod.unwrap_or(0o644),
                        None,
                    )?;
                    self.finish(&host, false)?;
                }
                Source::Path { host } => self.copy_source(root, host)?,
            }
        }
        Ok(())
    }

    fn target_for(&self, name: &str) -> PathBuf {
        if self.into_dir {
            self.dest.join(name)
        } else {
            self.dest.clone()
        }
    }

    fn copy_source(&self, root: &Path, source: &Path) -> Result<(), StepError> {
        let meta = fs::metadata(source).map_err(StepError::io("reading", source))?;
        if meta.is_dir() {
            let dest = scope::create_dirs(root, &self.dest)
                .map_err(StepError::io("creating", &self.dest))?;
            return self.copy_children(source, &self.dest, &dest);
        }
        if self.add && is_archive(source)? {
            let dest = scope::create_dirs(root, &self.dest)
                .map_err(StepError::io("creating", &self.dest))?;
            let file = File::open(source).map_err(StepError::io("reading", source))?;
            return cnb_archive::extract(file, &dest).map_err(|source_error| StepError::Unpack {
                path: source.to_owned(),
                source: source_error,
            });
        }
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = self.target_for(&name);
        let host = prepare_target(root, &target)?;
        let mut file = File::open(source).map_err(StepError::io("reading", source))?;
        write_file(
            &host,
            &mut file,
            self.chmod.unwrap_or(meta.permissions().mode() & 0o7777),
            meta.modified().ok(),
        )?;
        self.finish(&host, false)
    }

    /// Copies what the context directory `source` holds into the image directory `image`
    /// (host path `host`).
    fn copy_children(&self, source: &Path, image: &Path, host: &Path) -> Result<(), StepError> {
        let mut names: Vec<_> = fs::read_dir(source)
            .map_err(StepError::io("reading", source))?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(StepError::io("reading", source))?;
        names.sort();
        for name in names {
            let from = source.join(&name);
            let to_image = image.join(&name);
            let to = host.join(&name);
            let meta = fs::symlink_metadata(&from).map_err(StepError::io("reading", &from))?;
            if self.left_out(&from, meta.is_dir()) {
                continue;
            }
            let mode = self.chmod.unwrap_or(meta.permissions().mode() & 0o7777);
            if meta.is_dir() {
                match fs::symlink_metadata(&to) {
                    Ok(existing) if existing.is_dir() => {}
                    Ok(_) => {
                        fs::remove_file(&to).map_err(StepError::io("replacing", &to))?;
                        make_dir(&to, mode)?;
                        self.finish(&to, true)?;
                    }
                    Err(_) => {
                        make_dir(&to, mode)?;
                        self.finish(&to, true)?;
                    }
                }
                self.copy_children(&from, &to_image, &to)?;
            } else if meta.file_type().is_symlink() {
                let target = fs::read_link(&from).map_err(StepError::io("reading", &from))?;
                remove_non_dir(&to)?;
                symlink(&target, &to).map_err(StepError::io("creating", &to))?;
                self.finish(&to, true)?;
            } else if meta.is_file() {
                remove_non_dir(&to)?;
                let mut file = File::open(&from).map_err(StepError::io("reading", &from))?;
                write_file(&to, &mut file, mode, meta.modified().ok())?;
                self.finish(&to, false)?;
            }
        }
        Ok(())
    }

    /// Gives a copied entry its owner (and its mode again: chown clears setuid and setgid).
    fn finish(&self, host: &Path, link_or_dir: bool) -> Result<(), StepError> {
        if cnb_sys::is_root() {
            lchown(host, Some(self.owner.0), Some(self.owner.1))
                .map_err(StepError::io("changing the owner of", host))?;
        }
        if !link_or_dir && let Some(mode) = self.chmod {
            fs::set_permissions(host, fs::Permissions::from_mode(mode))
                .map_err(StepError::io("changing the mode of", host))?;
        }
        Ok(())
    }
}

/// The host path a file for image path `target` goes to: its parent created, whatever
/// non-directory was there removed.
fn prepare_target(root: &Path, target: &Path) -> Result<PathBuf, StepError> {
    if let Some(parent) = target.parent() {
        scope::create_dirs(root, parent).map_err(StepError::io("creating", parent))?;
    }
    let host = scope::resolve_parent(root, target).map_err(StepError::io("resolving", target))?;
    remove_non_dir(&host)?;
    Ok(host)
}

fn remove_non_dir(path: &Path) -> Result<(), StepError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(StepError::Io {
            action: "replacing",
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::AlreadyExists, "a directory is in the way"),
        }),
        Ok(_) => fs::remove_file(path).map_err(StepError::io("replacing", path)),
        Err(_) => Ok(()),
    }
}

fn make_dir(path: &Path, mode: u32) -> Result<(), StepError> {
    fs::create_dir(path).map_err(StepError::io("creating", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(StepError::io("changing the mode of", path))
}

fn write_file(
    path: &Path,
    data: &mut dyn Read,
    mode: u32,
    mtime: Option<std::time::SystemTime>,
) -> Result<(), StepError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(StepError::io("creating", path))?;
    io::copy(data, &mut file).map_err(StepError::io("writing", path))?;
    if let Some(mtime) = mtime {
        file.set_modified(mtime)
            .map_err(StepError::io("writing", path))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(StepError::io("changing the mode of", path))
}

/// Whether ADD should unpack `path`: a tar archive, plain or compressed with gzip or zstd.
fn is_archive(path: &Path) -> Result<bool, StepError> {
    let file = File::open(path).map_err(StepError::io("reading", path))?;
    let Ok(reader) = cnb_archive::decompress(file) else {
        return Ok(false);
    };
    let mut header = [0u8; 512];
    let mut read = 0;
    let mut reader = reader;
    while read < header.len() {
        match reader.read(&mut header[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    Ok(read == header.len() && &header[257..262] == b"ustar")
}

impl CopyPlan {
    /// Whether the context entry `host` is excluded by `.dockerignore` (a directory is still
    /// walked when patterns may re-include something in it).
    fn left_out(&self, host: &Path, is_dir: bool) -> bool {
        let relative = host.strip_prefix(&self.context).unwrap_or(host);
        self.ignore.excludes(relative)
            && !(is_dir && self.ignore.has_exceptions() && self.keeps_something(host))
    }

    /// Whether something under the context directory `dir` is not excluded.
    fn keeps_something(&self, dir: &Path) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return false;
        };
        entries.filter_map(Result::ok).any(|entry| {
            let path = entry.path();
            let relative = path.strip_prefix(&self.context).unwrap_or(&path);
            !self.ignore.excludes(relative)
                || (entry.file_type().is_ok_and(|t| t.is_dir()) && self.keeps_something(&path))
        })
    }

    /// Feeds the names, types, modes, link targets and contents under `host` into `hasher`.
    fn hash_tree(
        &self,
        host: &Path,
        name: &Path,
        hasher: &mut Sha256Writer<io::Sink>,
    ) -> Result<(), StepError> {
        use std::io::Write as _;
        let meta = fs::symlink_metadata(host).map_err(StepError::io("reading", host))?;
        let mode = meta.permissions().mode();
        let write = |hasher: &mut Sha256Writer<io::Sink>, bytes: &[u8]| {
            hasher
                .write_all(bytes)
                .map_err(StepError::io("hashing", host))
        };
        write(hasher, name.as_os_str().as_bytes())?;
        write(hasher, format!("\0{mode:o}\0").as_bytes())?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(host).map_err(StepError::io("reading", host))?;
            write(hasher, target.as_os_str().as_bytes())?;
        } else if meta.is_file() {
            let mut file = File::open(host).map_err(StepError::io("reading", host))?;
            io::copy(&mut file, hasher).map_err(StepError::io("hashing", host))?;
        } else if meta.is_dir() {
            let mut names: Vec<_> = fs::read_dir(host)
                .map_err(StepError::io("reading", host))?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(StepError::io("reading", host))?;
            names.sort();
            for child in names {
                let child_host = host.join(&child);
                let child_is_dir = fs::symlink_metadata(&child_host).is_ok_and(|m| m.is_dir());
                if !self.left_out(&child_host, child_is_dir) {
                    self.hash_tree(&child_host, &name.join(&child), hasher)?;
                }
            }
        }
        write(hasher, b"\n")
    }
}

#[cfg(test)]
mod tests;
