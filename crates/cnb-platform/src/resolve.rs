//! Resolution: flag > env > default for every input, then `<layers>` placeholders, the
//! order.toml lookup rule, absolute paths and the per-phase argument checks.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use cnb_api::{DeprecationMode, ExperimentalMode, Phase, PlatformApi, env};

mod fleet;

use crate::flag_table::{Arity, arity};
use crate::values::{parse_bool, parse_duration, parse_int};
use crate::{EnvSource, Error, GzipEngine, Inputs, LogLevel};

/// The flags given on a command line and their values, in order of appearance (a repeated
/// scalar flag keeps its last value; a list flag keeps all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagValues {
    values: BTreeMap<&'static str, Vec<String>>,
    positionals: Vec<String>,
}

impl FlagValues {
    /// Records `-name value` (a bool flag given bare records `"true"`).
    pub fn push(&mut self, name: &'static str, value: String) {
        self.values.entry(name).or_default().push(value);
    }

    /// Records the positional arguments that followed the flags.
    pub fn set_positionals(&mut self, positionals: Vec<String>) {
        self.positionals = positionals;
    }

    /// The last value given for `name`, if the flag appeared.
    pub fn last(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|values| values.last())
            .map(String::as_str)
    }

    /// Every value given for `name`.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// The positional arguments.
    pub fn positionals(&self) -> &[String] {
        &self.positionals
    }
}

/// Where an input comes from when no flag sets it.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    /// An absolute default.
    Path(&'static str),
    /// A file or directory under `<layers>` (moves with `-layers`).
    InLayers(&'static str),
    /// Unset.
    Unset,
}

/// The environment variable and default behind each path-like flag (platform.md › Inputs;
/// spec-matrix.md §2). Scalar inputs are resolved inline in [`resolve`].
const PATHS: &[(&str, Option<&str>, Fallback)] = &[
    ("app", Some(env::APP_DIR), Fallback::Path("/workspace")),
    ("layers", Some(env::LAYERS_DIR), Fallback::Path("/layers")),
    (
        "platform",
        Some(env::PLATFORM_DIR),
        Fallback::Path("/platform"),
    ),
    (
        "buildpacks",
        Some(env::BUILDPACKS_DIR),
        Fallback::Path("/cnb/buildpacks"),
    ),
    (
        "extensions",
        Some(env::EXTENSIONS_DIR),
        Fallback::Path("/cnb/extensions"),
    ),
    (
        "build-config",
        Some(env::BUILD_CONFIG_DIR),
        Fallback::Path("/cnb/build-config"),
    ),
    (
        "generated",
        Some(env::GENERATED_DIR),
        Fallback::InLayers("generated"),
    ),
    (
        "extended",
        Some(env::EXTENDED_DIR),
        Fallback::InLayers("extended"),
    ),
    (
        "analyzed",
        Some(env::ANALYZED_PATH),
        Fallback::InLayers("analyzed.toml"),
    ),
    (
        "group",
        Some(env::GROUP_PATH),
        Fallback::InLayers("group.toml"),
    ),
    (
        "plan",
        Some(env::PLAN_PATH),
        Fallback::InLayers("plan.toml"),
    ),
    (
        "report",
        Some(env::REPORT_PATH),
        Fallback::InLayers("report.toml"),
    ),
    (
        "project-metadata",
        Some(env::PROJECT_METADATA_PATH),
        Fallback::InLayers("project-metadata.toml"),
    ),
    (
        "system",
        Some(env::SYSTEM_PATH),
        Fallback::Path("/cnb/system.toml"),
    ),
    ("run", Some(env::RUN_PATH), Fallback::Path("/cnb/run.toml")),
    (
        "stack",
        Some(env::STACK_PATH),
        Fallback::Path("/cnb/stack.toml"),
    ),
    ("launcher", None, Fallback::Path("/cnb/lifecycle/launcher")),
    (
        "launcher-sbom",
        None,
        Fallback::Path(cnb_api::LIFECYCLE_DIR),
    ),
    ("cache-dir", Some(env::CACHE_DIR), Fallback::Unset),
    ("launch-cache", Some(env::LAUNCH_CACHE_DIR), Fallback::Unset),
    ("layout-dir", Some(env::LAYOUT_DIR), Fallback::Unset),
];

/// Where the spec puts kaniko's directory (`<kaniko-dir>`, "must be `/kaniko`");
/// `CNB_KANIKO_DIR`, ours, moves it.
const KANIKO_DIR: &str = "/kaniko";

/// The order.toml a platform puts in `<layers>` wins over the builder's `/cnb/order.toml`.
const LAYERS_ORDER: &str = "order.toml";
const CNB_ORDER: &str = "/cnb/order.toml";

/// The environment variable and default documented for a flag, for usage text.
pub fn documented_source(flag: &str) -> (Option<&'static str>, Option<String>) {
    if let Some((_, env, fallback)) = PATHS.iter().find(|(name, _, _)| *name == flag) {
        let default = match fallback {
            Fallback::Path(path) => Some((*path).to_owned()),
            Fallback::InLayers(file) => Some(format!("<layers>/{file}")),
            Fallback::Unset => None,
        };
        return (*env, default);
    }
    match flag {
        "order" => (
            Some(env::ORDER_PATH),
            Some(format!(
                "<layers>/{LAYERS_ORDER} if present, else {CNB_ORDER}"
            )),
        ),
        "log-level" => (Some(env::LOG_LEVEL), Some("info".to_owned())),
        "no-color" => (Some(env::NO_COLOR), None),
        "cache-image" => (Some(env::CACHE_IMAGE), None),
        "skip-layers" => (Some(env::SKIP_LAYERS), None),
        "skip-restore" => (Some(env::SKIP_RESTORE), None),
        "previous-image" => (Some(env::PREVIOUS_IMAGE), None),
        "run-image" => (Some(env::RUN_IMAGE), None),
        "build-image" => (Some(env::BUILD_IMAGE), None),
        "daemon" => (Some(env::USE_DAEMON), None),
        "layout" => (Some(env::USE_LAYOUT), None),
        "insecure-registry" => (Some(env::INSECURE_REGISTRIES), None),
        "parallel" => (Some(env::PARALLEL_EXPORT), None),
        "process-type" => (Some(env::PROCESS_TYPE), None),
        "kind" => (Some(env::EXTEND_KIND), Some("build".to_owned())),
        "kaniko-cache-ttl" => (Some(env::KANIKO_CACHE_TTL), Some("336h".to_owned())),
        "force" => (Some(env::FORCE_REBASE), None),
        "shard" => (Some(env::REBASE_SHARD), None),
        "shard-count" => (Some(env::REBASE_SHARD_COUNT), None),
        "uid" => (Some(env::USER_ID), None),
        "gid" => (Some(env::GROUP_ID), None),
        "max-layers" => (None, Some(crate::DEFAULT_MAX_LAYERS.to_string())),
        "max-lines" => (None, Some(crate::DEFAULT_MAX_LINES.to_string())),
        _ => (None, None),
    }
}

pub(crate) struct Resolver<'a> {
    flags: &'a FlagValues,
    env: &'a dyn EnvSource,
    cwd: &'a Path,
}

impl<'a> Resolver<'a> {
    /// A resolver for a command without path inputs (relative paths would be taken against
    /// `/`).
    pub(crate) fn without_paths(flags: &'a FlagValues, env: &'a dyn EnvSource) -> Self {
        Self {
            flags,
            env,
            cwd: Path::new("/"),
        }
    }

    /// flag (even when empty) > non-empty env; `None` when neither.
    pub(crate) fn raw(&self, flag: &str, env: Option<&str>) -> Option<String> {
        self.flags
            .last(flag)
            .map(str::to_owned)
            .or_else(|| env.and_then(|name| self.env.non_empty(name)))
    }

    /// `path` against the working directory, cleaned lexically as Go's `filepath.Abs` does:
    /// no trailing slash, no `.`, `..` folded, so `-app=/workspace/source/` is recorded in
    /// the app image (`WorkingDir`, `CNB_APP_DIR`) as `/workspace/source`.
    fn absolute(&self, path: &str) -> PathBuf {
        let mut clean = PathBuf::new();
        for part in self.cwd.join(path).components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        clean
    }

    fn source(flag: &str) -> (Option<&'static str>, Fallback) {
        PATHS
            .iter()
            .find(|(name, _, _)| *name == flag)
            .map_or((None, Fallback::Unset), |(_, env, fallback)| {
                (*env, *fallback)
            })
    }

    /// A path that always has a value. An explicitly empty flag means the current directory for
    /// directories (Go leaves the path empty, which the OS reads as `.`) and the default for
    /// files.
    fn path(&self, flag: &str, layers: &Path, empty_is_cwd: bool) -> PathBuf {
        let (env, fallback) = Self::source(flag);
        match self.raw(flag, env) {
            Some(value) if !value.is_empty() => self.absolute(&value),
            Some(_) if empty_is_cwd => self.cwd.to_path_buf(),
            _ => match fallback {
                Fallback::Path(path) => PathBuf::from(path),
                Fallback::InLayers(file) => layers.join(file),
                Fallback::Unset => self.cwd.to_path_buf(),
            },
        }
    }

    /// A path that may be unset; an empty value means unset.
    fn optional_path(&self, flag: &str) -> Option<PathBuf> {
        let (env, _) = Self::source(flag);
        self.raw(flag, env)
            .filter(|value| !value.is_empty())
            .map(|value| self.absolute(&value))
    }

    fn optional_string(&self, flag: &str, env: &str) -> Option<String> {
        self.raw(flag, Some(env)).filter(|value| !value.is_empty())
    }

    /// Flag (validated by the parser) > env (`ParseBool`, anything else is false) > false.
    pub(crate) fn bool(&self, flag: &str, envs: &[&str]) -> bool {
        if let Some(value) = self.flags.last(flag) {
            return parse_bool(value).unwrap_or(false);
        }
        self.env_bool(envs)
    }

    /// True when any of `envs` parses as true.
    fn env_bool(&self, envs: &[&str]) -> bool {
        envs.iter().any(|name| {
            self.env
                .var(name)
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false)
        })
    }

    /// Flag > env (`Atoi`, anything else is 0) > 0. Negative ids are not ids: they become 0.
    /// `-uid`/`-gid`, else its variable, else 0. A value that is not a user or group ID (a
    /// negative number, or garbage in the variable) is an invalid input: Go takes such a
    /// variable for 0 and would run as root.
    fn id(&self, flag: &str, env: &str) -> Result<u32, Error> {
        let (name, text) = match self.flags.last(flag) {
            Some(text) => (format!("-{flag}"), text.to_owned()),
            None => match self.env.non_empty(env) {
                Some(text) => (env.to_owned(), text),
                None => return Ok(0),
            },
        };
        parse_int(&text)
            .and_then(|value| u32::try_from(value).ok())
            .ok_or(Error::InvalidId { name, value: text })
    }

    pub(crate) fn list(&self, flag: &str, env: Option<&str>) -> Vec<String> {
        let from_env = env.and_then(|name| self.env.var(name)).unwrap_or_default();
        let mut items: Vec<String> = Vec::new();
        for item in from_env
            .split(',')
            .map(str::to_owned)
            .chain(self.flags.all(flag).iter().cloned())
        {
            if !item.is_empty() && !items.contains(&item) {
                items.push(item);
            }
        }
        items
    }
}

/// `CNB_GZIP_ENGINE`: the default engine when unset or empty.
fn gzip_engine(env_source: &dyn EnvSource) -> Result<GzipEngine, Error> {
    let text = env_source.var(env::GZIP_ENGINE).unwrap_or_default();
    GzipEngine::parse(&text).ok_or(Error::GzipEngine(text))
}

/// Resolves every input of `phase` at Platform API `api` from parsed `flags`, the environment
/// and the defaults; relative paths are taken against `cwd` (which must be absolute).
pub fn resolve(
    phase: Phase,
    api: PlatformApi,
    flags: &FlagValues,
    env_source: &dyn EnvSource,
    cwd: &Path,
) -> Result<Inputs, Error> {
    let r = Resolver {
        flags,
        env: env_source,
        cwd,
    };
    let mut warnings = Vec::new();

    let log_level = log_level(&r)?;

    let layers_dir = r.path("layers", Path::new("/layers"), true);
    let order_path = match r
        .raw("order", Some(env::ORDER_PATH))
        .filter(|value| !value.is_empty())
    {
        Some(value) => r.absolute(&value),
        None if layers_dir.join(LAYERS_ORDER).exists() => layers_dir.join(LAYERS_ORDER),
        None => PathBuf::from(CNB_ORDER),
    };

    let fleet = fleet::fleet_inputs(&r, phase, &mut warnings)?;
    let no_image_needed = fleet.images_from.is_some() || !fleet.merge_reports.is_empty();
    let (output_image, additional_tags) = positionals(phase, flags, no_image_needed)?;
    let mut tags = additional_tags;
    for tag in r.list("tag", None) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }

    let run_image = run_image(phase, &r)?;
    let previous_image = r
        .optional_string("previous-image", env::PREVIOUS_IMAGE)
        .or_else(|| {
            matches!(phase, Phase::Analyzer | Phase::Creator | Phase::Rebaser)
                .then(|| output_image.clone())
                .flatten()
        });

    let inputs = Inputs {
        phase,
        platform_api: api,
        log_level,
        no_color: r.bool("no-color", &[env::NO_COLOR]),
        deprecation_mode: DeprecationMode::from_env_value(
            env_source.var(env::DEPRECATION_MODE).as_deref(),
        ),
        experimental_mode: ExperimentalMode::from_env_value(
            env_source.var(env::EXPERIMENTAL_MODE).as_deref(),
        ),
        app_dir: r.path("app", &layers_dir, true),
        platform_dir: r.path("platform", &layers_dir, true),
        buildpacks_dir: r.path("buildpacks", &layers_dir, true),
        extensions_dir: r.path("extensions", &layers_dir, true),
        build_config_dir: r.path("build-config", &layers_dir, true),
        generated_dir: r.path("generated", &layers_dir, true),
        extended_dir: r.path("extended", &layers_dir, true),
        kaniko_dir: kaniko_dir(&r),
        analyzed_path: r.path("analyzed", &layers_dir, false),
        group_path: r.path("group", &layers_dir, false),
        plan_path: r.path("plan", &layers_dir, false),
        order_path,
        system_path: r.path("system", &layers_dir, false),
        run_path: r.path("run", &layers_dir, false),
        stack_path: r.path("stack", &layers_dir, false),
        report_path: r.path("report", &layers_dir, false),
        project_metadata_path: r.path("project-metadata", &layers_dir, false),
        cache_dir: r.optional_path("cache-dir"),
        cache_image: r.optional_string("cache-image", env::CACHE_IMAGE),
        launch_cache_dir: r.optional_path("launch-cache"),
        skip_layers: skip_layers(&r),
        parallel_export: r.bool("parallel", &[env::PARALLEL_EXPORT]),
        gzip_engine: gzip_engine(env_source)?,
        output_image,
        additional_tags: tags,
        previous_image,
        run_image,
        build_image: r.optional_string("build-image", env::BUILD_IMAGE),
        use_daemon: r.bool("daemon", &[env::USE_DAEMON]),
        use_layout: r.bool("layout", &[env::USE_LAYOUT]),
        layout_dir: r.optional_path("layout-dir"),
        insecure_registries: r.list("insecure-registry", Some(env::INSECURE_REGISTRIES)),
        registry_timeout: registry_timeout(env_source)?,
        process_type: r.optional_string("process-type", env::PROCESS_TYPE),
        launcher_path: r.path("launcher", &layers_dir, false),
        launcher_sbom_dir: r.path("launcher-sbom", &layers_dir, false),
        extend_kind: r
            .raw("kind", Some(env::EXTEND_KIND))
            .filter(|kind| !kind.is_empty())
            .unwrap_or_else(|| "build".to_owned()),
        kaniko_cache_ttl: kaniko_cache_ttl(&r),
        force_rebase: r.bool("force", &[env::FORCE_REBASE]),
        images_from: fleet.images_from,
        rebase_shard: fleet.rebase_shard,
        merge_reports: fleet.merge_reports,
        uid: r.id("uid", env::USER_ID)?,
        gid: r.id("gid", env::GROUP_ID)?,
        exec_env: env_source
            .non_empty(env::EXEC_ENV)
            .unwrap_or_else(|| "production".to_owned()),
        layers_dir,
        environ: crate::Environ(env_source.environ()),
        warnings: Vec::new(),
    };
    check(&inputs, &mut warnings)?;
    Ok(Inputs { warnings, ..inputs })
}

/// The output image and the positional tags; the count is checked against the phase's arity
/// (the rebaser's fleet mode, `-images-from`, and its `-merge-reports` may have none).
fn positionals(
    phase: Phase,
    flags: &FlagValues,
    no_image_needed: bool,
) -> Result<(Option<String>, Vec<String>), Error> {
    let args = flags.positionals();
    match (arity(phase), args) {
        (Arity::AtLeastOne, []) if no_image_needed => Ok((None, Vec::new())),
        (Arity::None, []) => Ok((None, Vec::new())),
        (Arity::None, _) => Err(Error::UnexpectedArguments),
        (Arity::One, [image]) => Ok((Some(image.clone()), Vec::new())),
        (Arity::One, _) => Err(Error::ExpectedOneArgument { got: args.len() }),
        (Arity::AtLeastOne, []) => Err(Error::ImageArgumentRequired),
        (Arity::AtLeastOne, [image, tags @ ..]) => {
            let tags = tags.iter().filter(|tag| !tag.is_empty()).cloned().collect();
            Ok((Some(image.clone()), tags))
        }
    }
}

/// `-run-image` and the deprecated `-image`: the exporter takes the run image from
/// analyzed.toml and refuses both flags (a `-run-image` equal to `CNB_RUN_IMAGE` is tolerated,
/// as kpack sets the variable); the rebaser accepts `-image` as an alias.
fn run_image(phase: Phase, r: &Resolver<'_>) -> Result<Option<String>, Error> {
    let env_value = r.env.non_empty(env::RUN_IMAGE);
    let flag_value = r.flags.last("run-image").filter(|value| !value.is_empty());
    let deprecated = r.flags.last("image").filter(|value| !value.is_empty());
    match phase {
        Phase::Exporter if flag_value.is_some_and(|value| Some(value) != env_value.as_deref()) => {
            Err(Error::RunImageUnsupported)
        }
        Phase::Exporter if deprecated.is_some() => Err(Error::ImageUnsupported),
        Phase::Exporter => Ok(None),
        _ if deprecated.is_some() && flag_value.is_some() => Err(Error::OneRunImageOnly),
        _ if deprecated.is_some() => Ok(deprecated.map(str::to_owned)),
        _ => Ok(r.optional_string("run-image", env::RUN_IMAGE)),
    }
}

/// `-skip-layers` or the creator's `-skip-restore`; either variable sets it in every phase.
fn skip_layers(r: &Resolver<'_>) -> bool {
    let from_flag = r
        .flags
        .last("skip-layers")
        .or_else(|| r.flags.last("skip-restore"));
    match from_flag {
        Some(value) => parse_bool(value).unwrap_or(false),
        None => r.env_bool(&[env::SKIP_LAYERS, env::SKIP_RESTORE]),
    }
}

/// `/kaniko`, unless `CNB_KANIKO_DIR` (ours) moves it.
fn kaniko_dir(r: &Resolver<'_>) -> PathBuf {
    r.env
        .non_empty(env::KANIKO_DIR)
        .map_or_else(|| PathBuf::from(KANIKO_DIR), |dir| r.absolute(&dir))
}

fn kaniko_cache_ttl(r: &Resolver<'_>) -> Duration {
    const DEFAULT: Duration = Duration::from_hours(14 * 24);
    if let Some(value) = r.flags.last("kaniko-cache-ttl") {
        return parse_duration(value).unwrap_or(DEFAULT);
    }
    r.env
        .non_empty(env::KANIKO_CACHE_TTL)
        .and_then(|text| parse_duration(&text))
        .unwrap_or(DEFAULT)
}

/// `-log-level` or `CNB_LOG_LEVEL`, `info` by default.
fn log_level(r: &Resolver<'_>) -> Result<LogLevel, Error> {
    let text = r
        .raw("log-level", Some(env::LOG_LEVEL))
        .unwrap_or_else(|| "info".to_owned());
    LogLevel::parse(&text).ok_or(Error::LogLevel(text))
}

/// `CNB_REGISTRY_TIMEOUT`, this lifecycle's own: unset or empty is the store's default;
/// anything else must be a positive Go duration.
pub(crate) fn registry_timeout(env_source: &dyn EnvSource) -> Result<Option<Duration>, Error> {
    let Some(text) = env_source.non_empty(env::REGISTRY_TIMEOUT) else {
        return Ok(None);
    };
    match parse_duration(text.trim()) {
        Some(timeout) if !timeout.is_zero() => Ok(Some(timeout)),
        _ => Err(Error::RegistryTimeout(text)),
    }
}

/// The per-phase checks of Go's `ResolveInputs` that need no image or file: an empty output
/// image, the experimental guard on `-layout`, and warnings about inputs that will be ignored.
fn check(inputs: &Inputs, warnings: &mut Vec<String>) -> Result<(), Error> {
    let phase = inputs.phase;
    let takes_image = matches!(
        phase,
        Phase::Analyzer | Phase::Exporter | Phase::Creator | Phase::Rebaser
    );
    let fleet = (inputs.images_from.is_some() || !inputs.merge_reports.is_empty())
        && inputs.output_image.is_none();
    if takes_image && !fleet && inputs.output_image.as_deref().is_none_or(str::is_empty) {
        return Err(Error::OutputImageEmpty);
    }
    let no_cache = inputs.cache_dir.is_none() && inputs.cache_image.is_none();
    if matches!(phase, Phase::Restorer | Phase::Exporter | Phase::Creator) && no_cache {
        warnings.push("No cached data will be used, no cache specified.".to_owned());
    }
    if matches!(phase, Phase::Analyzer | Phase::Exporter | Phase::Creator)
        && inputs.launch_cache_dir.is_some()
        && !inputs.use_daemon
    {
        warnings.push("Ignoring -launch-cache, only intended for use with -daemon".to_owned());
    }
    if matches!(phase, Phase::Analyzer | Phase::Creator) && inputs.parallel_export && no_cache {
        warnings.push(
            "Parallel export has been enabled, but it has not taken effect because no cache has been specified."
                .to_owned(),
        );
    }
    let layout_phase = matches!(
        phase,
        Phase::Analyzer | Phase::Exporter | Phase::Creator | Phase::Rebaser
    );
    if layout_phase && inputs.use_layout {
        match inputs.experimental_mode {
            ExperimentalMode::Error => {
                return Err(Error::ExperimentalDisabled("export to OCI layout format"));
            }
            ExperimentalMode::Warn => {
                warnings.push(
                    "Platform requested experimental feature 'export to OCI layout format'"
                        .to_owned(),
                );
            }
            ExperimentalMode::Quiet => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
