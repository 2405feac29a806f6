//! The extender: reads its inputs, applies the Dockerfiles of the kind asked for, and hands
//! back what the caller needs (the build's environment, or the extended run image).

use std::fmt::Write as _;
use std::path::PathBuf;

use cnb_dockerfile::Kind;
use cnb_files::TomlFile;
use cnb_files::analyzed::Analyzed;
use cnb_files::group::Group;
use cnb_image::{Digest, RuntimeConfig};

use crate::ExtenderConfig;
use crate::apply::{Target, apply};
use crate::base::{self, Base};
use crate::cache::Cache;
use crate::dockerfiles::{ExtensionDockerfile, Generated};
use crate::error::Error;
use crate::layers::{InPlace, LayerHook, Snapshots};
use crate::output;
use crate::snapshot::Ignore;
use crate::state::State;

/// The label that says whether an image's layers may be rebased.
const REBASABLE_LABEL: &str = "io.buildpacks.rebasable";

/// What `-kind build` leaves for the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutcome {
    /// The extended build image's `Env`, every entry of which the build's process gets (empty
    /// when there was nothing to apply).
    pub env: Vec<(String, String)>,
}

/// What `-kind run` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The extended run image's manifest digest and layout directory, unless there was no
    /// run.Dockerfile to apply.
    pub image: Option<(Digest, PathBuf)>,
}

/// The extender phase.
#[derive(Debug, Clone)]
pub struct Extender {
    config: ExtenderConfig,
}

impl Extender {
    /// An extender with these inputs.
    pub fn new(config: ExtenderConfig) -> Self {
        Self { config }
    }

    /// `-kind build`: applies the build.Dockerfiles to the root.
    pub fn extend_build(&self) -> Result<BuildOutcome, Error> {
        let Some((dockerfiles, base)) = self.inputs(Kind::Build)? else {
            return Ok(BuildOutcome { env: Vec::new() });
        };
        let (state, _) = self.apply_all(Kind::Build, &dockerfiles, &base, &mut InPlace)?;
        Ok(BuildOutcome { env: state.env() })
    }

    /// `-kind run`: applies the run.Dockerfiles to the root and writes the extended image.
    pub fn extend_run(&self) -> Result<RunOutcome, Error> {
        let Some((dockerfiles, base)) = self.inputs(Kind::Run)? else {
            return Ok(RunOutcome { image: None });
        };
        let config = &self.config;
        let cache =
            Cache::open(&config.kaniko_dir, config.cache_ttl).map_err(|source| Error::Cache {
                source: Box::new(source),
            })?;
        let ignore = Ignore::new(
            &config.root,
            &[
                &config.app_dir,
                &config.layers_dir,
                &config.platform_dir,
                &config.generated_dir,
                &config.extended_dir,
                &config.kaniko_dir,
            ],
            &config.mountinfo_path,
        );
        let mut snapshots = Snapshots::new(&config.root, ignore, cache);
        let (state, author) = self.apply_all(Kind::Run, &dockerfiles, &base, &mut snapshots)?;
        if is_root(user_id(state.config.user.as_deref().unwrap_or_default())) {
            return Err(Error::FinalUserRoot);
        }
        let image = output::extended_config(&base, state.config, author, &snapshots.layers);
        let (digest, dir) = output::write(&config.extended_dir, &base, &image, &snapshots.layers)?;
        tracing::info!(
            "Extended run image {digest}: {} new layers in {}",
            snapshots.layers.len(),
            dir.display()
        );
        Ok(RunOutcome {
            image: Some((digest, dir)),
        })
    }

    /// The Dockerfiles of `kind` and the base image, or `None` when there is nothing to do.
    fn inputs(&self, kind: Kind) -> Result<Option<(Vec<ExtensionDockerfile>, Base)>, Error> {
        let config = &self.config;
        let group = Group::read(&config.group_path).map_err(|source| Error::ReadInput {
            path: config.group_path.clone(),
            source: Box::new(source),
        })?;
        let analyzed =
            Analyzed::read(&config.analyzed_path).map_err(|source| Error::ReadInput {
                path: config.analyzed_path.clone(),
                source: Box::new(source),
            })?;
        let generated = Generated {
            platform_api: config.platform_api,
            dir: &config.generated_dir,
            app_dir: &config.app_dir,
        };
        let dockerfiles = generated.dockerfiles(kind, &group.group_extensions)?;
        if dockerfiles.is_empty() {
            tracing::info!("No {} to apply", kind.file_name());
            return Ok(None);
        }
        let reference = match kind {
            Kind::Build => analyzed.build_image.map(|image| image.reference),
            Kind::Run => analyzed.run_image.map(|image| image.reference),
        }
        .filter(|reference| !reference.is_empty())
        .ok_or(Error::NoImage { kind })?;
        let digest = base::digest_of(kind, &reference)?;
        Ok(Some((dockerfiles, base::read(&config.kaniko_dir, digest)?)))
    }

    /// Applies every Dockerfile in order; returns the final state and author.
    fn apply_all(
        &self,
        kind: Kind,
        dockerfiles: &[ExtensionDockerfile],
        base: &Base,
        hook: &mut dyn Hooked,
    ) -> Result<(State, Option<String>), Error> {
        let mut target = Target {
            root: &self.config.root,
            key: Digest::of(format!("cnb-extender layer cache v1\n{}", base.digest).as_bytes()),
            author: base.config.author.clone(),
        };
        let mut runtime: RuntimeConfig = base.config.config.clone();
        let original_user = user_id(runtime.user.as_deref().unwrap_or_default()).to_owned();
        let mut rebasable = true;
        let mut last = None;
        for (index, dockerfile) in dockerfiles.iter().enumerate() {
            let user = runtime.user.clone().unwrap_or_default();
            let (uid, gid) = user.split_once(':').unwrap_or((&user, ""));
            let base_ref = if index == 0 { base.digest } else { target.key };
            let mut args = vec![
                ("build_id".to_owned(), uuid()),
                ("user_id".to_owned(), uid.to_owned()),
                ("group_id".to_owned(), gid.to_owned()),
            ];
            args.extend(dockerfile.args.iter().cloned());
            args.push(("base_image".to_owned(), format!("base@{base_ref}")));
            let mut state =
                State::new(runtime, &dockerfile.dockerfile, args).map_err(|source| {
                    Error::Instruction {
                        extension: dockerfile.extension.clone(),
                        path: dockerfile.path.clone(),
                        line: 1,
                        instruction: "ARG".to_owned(),
                        source: Box::new(source),
                    }
                })?;
            hook.set_extension(&dockerfile.extension);
            apply(&mut target, dockerfile, &mut state, hook.as_hook())?;
            if kind == Kind::Run {
                rebasable &= state
                    .config
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(REBASABLE_LABEL))
                    .is_some_and(|value| parse_bool(value));
                state
                    .config
                    .labels
                    .get_or_insert_with(Default::default)
                    .insert(REBASABLE_LABEL.to_owned(), rebasable.to_string());
            }
            let now = user_id(state.user()).to_owned();
            if is_root(&now) {
                tracing::warn!(
                    "The {} of extension '{}' leaves the user as {now} (root); a later extension must set a non-root user",
                    kind.file_name(),
                    dockerfile.extension
                );
            }
            runtime = state.config.clone();
            last = Some(state);
        }
        let state = last.ok_or(Error::NoImage { kind })?;
        let final_user = user_id(state.user());
        if final_user != original_user {
            tracing::warn!(
                "The user was {original_user} before the extensions and is {final_user} after them"
            );
        }
        Ok((state, target.author))
    }
}

/// A hook that knows which extension is being applied.
trait Hooked {
    fn set_extension(&mut self, id: &str);
    fn as_hook(&mut self) -> &mut dyn LayerHook;
}

impl Hooked for InPlace {
    fn set_extension(&mut self, _: &str) {}
    fn as_hook(&mut self) -> &mut dyn LayerHook {
        self
    }
}

impl Hooked for Snapshots {
    fn set_extension(&mut self, id: &str) {
        id.clone_into(&mut self.extension);
    }
    fn as_hook(&mut self) -> &mut dyn LayerHook {
        self
    }
}

/// The user part of a `User` value.
fn user_id(user: &str) -> &str {
    user.split_once(':').map_or(user, |(user, _)| user)
}

/// Whether a user id is root, as Go checks it.
fn is_root(user: &str) -> bool {
    user == "0" || user == "root"
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// A random (version 4) UUID: the `build_id` build argument.
fn uuid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digest = Digest::of(format!("{nanos}-{}", std::process::id()).as_bytes());
        bytes.copy_from_slice(&digest.as_bytes()[..16]);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_ids_are_fresh_version_4_uuids() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn root_is_spelled_0_or_root_in_the_user_field() {
        assert!(is_root(user_id("0:0")));
        assert!(is_root(user_id("root")));
        assert!(!is_root(user_id("1000:1000")));
        assert!(!is_root(user_id("")));
    }
}
