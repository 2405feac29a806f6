//! The Kubernetes manifests of `docs/platforms/fleet-rebase.md`: every YAML block parses into
//! typed batch/v1 `Job`, `ConfigMap` and `PersistentVolumeClaim` fields that refuse unknown
//! keys, the Kubernetes rules these manifests lean on hold (Indexed mode, `podFailurePolicy`
//! needs `restartPolicy: Never`, `FailIndex` needs `backoffLimitPerIndex`, mounts name
//! volumes, volumes name the `ConfigMap` and the claim), and each container's `args` and `env`
//! resolve with this rebaser's own argument parser into the inputs the page promises, for
//! every `JOB_COMPLETION_INDEX` the Job hands out.

mod manifest;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use cnb_api::Phase;
use cnb_cli::Invocation;
use cnb_image::ImageRef;
use cnb_platform::Inputs;
use cnb_testkit::Lifecycle;
use manifest::{
    AccessMode, CompletionMode, ConfigMap, EnvVar, ExitCodeOperator, Job, Manifest,
    PersistentVolumeClaim, PodFailurePolicyAction, RestartPolicy,
};

const PAGE: &str = "docs/platforms/fleet-rebase.md";
/// Where the lifecycle image starts its processes (its working dir).
const IMAGE_WORKING_DIR: &str = "/layers";

fn page() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(PAGE);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The contents of every ```` ```yaml ```` block of `markdown`, without the indentation of
/// its fence (blocks nested in list items are indented).
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut open {
            None if trimmed == "```yaml" => open = Some((indent, String::new())),
            None => {}
            Some((_, text)) if trimmed == "```" => {
                blocks.push(std::mem::take(text));
                open = None;
            }
            Some((fence, text)) => {
                text.push_str(line.get(*fence..).unwrap_or_default());
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed yaml block in {PAGE}");
    blocks
}

/// The page's manifests by kind, and its container env fragments.
#[derive(Default)]
struct Page {
    jobs: Vec<Job>,
    config_maps: BTreeMap<String, ConfigMap>,
    claims: BTreeMap<String, PersistentVolumeClaim>,
    env_fragments: Vec<Vec<EnvVar>>,
}

fn parse(markdown: &str) -> Result<Page, String> {
    let mut page = Page::default();
    for block in yaml_blocks(markdown) {
        let first = block
            .lines()
            .find(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'));
        if first.is_some_and(|line| line.starts_with("- ")) {
            let env = serde_saphyr::from_str(&block).map_err(|e| format!("{e}\n{block}"))?;
            page.env_fragments.push(env);
            continue;
        }
        let documents: Vec<Manifest> =
            serde_saphyr::from_multiple(&block).map_err(|e| format!("{e}\n{block}"))?;
        for document in documents {
            match document {
                Manifest::Job(job) => page.jobs.push(job),
                Manifest::ConfigMap(map) => {
                    assert_eq!(map.api_version, "v1");
                    page.config_maps.insert(map.metadata.name.clone(), map);
                }
                Manifest::PersistentVolumeClaim(claim) => {
                    assert_eq!(claim.api_version, "v1");
                    page.claims.insert(claim.metadata.name.clone(), claim);
                }
            }
        }
    }
    Ok(page)
}

/// The container's env as the lifecycle would see it, plus `extra`; `valueFrom` entries get
/// a placeholder (their Secret is not here).
fn environment(env: &[EnvVar], extra: &[(&str, String)]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut names = BTreeSet::new();
    for var in env {
        assert!(names.insert(var.name.as_str()), "{} set twice", var.name);
        let value = match (&var.value, &var.value_from) {
            (Some(value), None) => value.clone(),
            (None, Some(source)) => {
                let secret = source.secret_key_ref.as_ref().expect("a secretKeyRef");
                assert!(
                    !secret.name.is_empty() && !secret.key.is_empty(),
                    "{secret:?}"
                );
                "from-a-secret".to_owned()
            }
            _ => panic!("{}: exactly one of value and valueFrom", var.name),
        };
        map.insert(var.name.clone(), value);
    }
    map.extend(
        extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    map
}

/// What a Job's only container resolves to as rebaser inputs, and where its volumes are.
struct Resolved {
    inputs: Box<Inputs>,
    /// mountPath → (volume name, read-only).
    mounts: BTreeMap<PathBuf, (String, bool)>,
}

/// Checks the pod-level rules of `job` against the page's other objects and resolves its
/// container's command line with `extra` env (the Job's own variables).
fn resolve(page: &Page, job: &Job, extra: &[(&str, String)]) -> Resolved {
    assert_eq!(job.api_version, "batch/v1");
    let pod = &job.spec.template.spec;
    assert_eq!(pod.containers.len(), 1, "{}", job.metadata.name);
    let container = &pod.containers[0];
    ImageRef::parse(&container.image).expect("the lifecycle image is a reference");
    assert_eq!(container.command, ["/cnb/lifecycle/rebaser"]);
    assert!(
        Lifecycle::installed().path("rebaser").exists(),
        "the lifecycle installs /cnb/lifecycle/rebaser"
    );

    let volumes: BTreeMap<&str, _> = pod.volumes.iter().map(|v| (v.name.as_str(), v)).collect();
    assert_eq!(volumes.len(), pod.volumes.len(), "volume names are unique");
    let mut mounts = BTreeMap::new();
    for mount in &container.volume_mounts {
        let volume = volumes
            .get(mount.name.as_str())
            .unwrap_or_else(|| panic!("mount {} names no volume", mount.name));
        let sources = [
            volume.config_map.as_ref().map(|source| {
                assert!(
                    page.config_maps.contains_key(&source.name),
                    "{}",
                    source.name
                );
            }),
            volume.secret.as_ref().map(|source| {
                assert!(!source.secret_name.is_empty());
            }),
            volume.persistent_volume_claim.as_ref().map(|source| {
                let claim = page
                    .claims
                    .get(&source.claim_name)
                    .unwrap_or_else(|| panic!("no claim {}", source.claim_name));
                assert!(claim.spec.resources.requests.contains_key("storage"));
                if job.spec.parallelism.unwrap_or(1) > 1 {
                    // Pods on several nodes write at once.
                    assert!(claim.spec.access_modes.contains(&AccessMode::ReadWriteMany));
                }
            }),
        ];
        assert_eq!(sources.iter().flatten().count(), 1, "{}", volume.name);
        let read_only = mount.read_only.unwrap_or(false);
        let path = PathBuf::from(&mount.mount_path);
        assert!(
            mounts
                .insert(path, (mount.name.clone(), read_only))
                .is_none()
        );
    }
    let mounted: BTreeSet<&str> = mounts.values().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        mounted,
        volumes.keys().copied().collect(),
        "every volume is mounted"
    );

    let mut env = environment(&container.env, extra);
    if let Some(context) = &pod.security_context {
        // Not root: the rebaser may only "switch" to the user it already is.
        let user = context.run_as_user.expect("runAsUser").to_string();
        let group = context.run_as_group.expect("runAsGroup").to_string();
        assert_eq!(env.get("CNB_USER_ID"), Some(&user));
        assert_eq!(env.get("CNB_GROUP_ID"), Some(&group));
        assert_eq!(context.fs_group, context.run_as_group, "volumes writable");
    }
    if let Some(dir) = env.get("DOCKER_CONFIG") {
        let (name, _) = &mounts[Path::new(dir)];
        let secret = volumes[name.as_str()].secret.as_ref().expect("a Secret");
        let items: Vec<(&str, &str)> = secret
            .items
            .iter()
            .map(|item| (item.key.as_str(), item.path.as_str()))
            .collect();
        // What `kubectl create secret docker-registry` makes, where the keychain reads it.
        assert_eq!(items, [(".dockerconfigjson", "config.json")]);
    }
    env.insert("HOME".to_owned(), "/".to_owned());
    let invocation = cnb_cli::invocation(Phase::Rebaser, &container.args, &env, || {
        Ok(PathBuf::from(IMAGE_WORKING_DIR))
    })
    .unwrap_or_else(|failure| panic!("{}: {}", job.metadata.name, failure.message));
    let inputs = match invocation {
        Invocation::Run(inputs) => inputs,
        Invocation::BadFlags(_, failure) => panic!("{}: {}", job.metadata.name, failure.message),
        _ => panic!("{}: the args do not run the rebaser", job.metadata.name),
    };
    Resolved { inputs, mounts }
}

/// The volume a path sits directly in: (mountPath, name, read-only).
fn mount_of<'a>(resolved: &'a Resolved, file: &'a Path) -> (&'a Path, &'a str, bool) {
    let dir = file.parent().expect("a file in a directory");
    let (name, read_only) = resolved
        .mounts
        .get(dir)
        .unwrap_or_else(|| panic!("{} is on no volume", file.display()));
    (dir, name, *read_only)
}

fn check_indexed_job(page: &Page, job: &Job) -> PathBuf {
    let spec = &job.spec;
    assert_eq!(spec.completion_mode, Some(CompletionMode::Indexed));
    let completions = spec.completions.expect("completions");
    let parallelism = spec.parallelism.expect("parallelism");
    assert!(completions > 1 && (1..=completions).contains(&parallelism));
    let pod = &spec.template.spec;
    let policy = spec.pod_failure_policy.as_ref().expect("podFailurePolicy");
    // Kubernetes: a podFailurePolicy needs restartPolicy Never; FailIndex needs
    // backoffLimitPerIndex; exit code 0 cannot be matched with In.
    assert_eq!(pod.restart_policy, RestartPolicy::Never);
    let mut actions = BTreeMap::new();
    for rule in &policy.rules {
        if rule.action == PodFailurePolicyAction::FailIndex {
            assert!(spec.backoff_limit_per_index.is_some());
        }
        let codes = rule.on_exit_codes.as_ref().expect("onExitCodes");
        let name = codes.container_name.as_deref().expect("containerName");
        assert!(pod.containers.iter().any(|c| c.name == name), "{name}");
        assert_eq!(codes.operator, ExitCodeOperator::In);
        for code in &codes.values {
            assert_ne!(*code, 0);
            actions.insert(*code, rule.action);
        }
    }
    // The rebaser's codes: 3 for bad inputs (no retry helps), 72 when images failed.
    assert_eq!(actions.get(&3), Some(&PodFailurePolicyAction::FailJob));
    assert_eq!(actions.get(&72), Some(&PodFailurePolicyAction::FailIndex));
    assert_eq!(spec.backoff_limit, None, "per index instead");

    let mut reports = BTreeSet::new();
    for index in 0..completions {
        let extra = [("JOB_COMPLETION_INDEX", index.to_string())];
        let resolved = resolve(page, job, &extra);
        let inputs = &resolved.inputs;
        let shard = inputs.rebase_shard.expect("a shard");
        assert_eq!((shard.index, shard.count.get()), (index, completions));
        let list = inputs.images_from.as_deref().expect("-images-from");
        let (_, volume, _) = mount_of(&resolved, list);
        let pod_volume = pod
            .volumes
            .iter()
            .find(|v| v.name == volume)
            .expect("volume");
        let map = &page.config_maps[&pod_volume.config_map.as_ref().expect("a ConfigMap").name];
        let file = list
            .file_name()
            .and_then(|name| name.to_str())
            .expect("name");
        let listed: Vec<&str> = map.data[file]
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert!(!listed.is_empty());
        for image in listed {
            ImageRef::parse(image).unwrap_or_else(|e| panic!("{e}"));
        }
        let (dir, _, read_only) = mount_of(&resolved, &inputs.report_path);
        assert!(!read_only, "the reports volume is written");
        reports.insert(dir.to_owned());
    }
    assert_eq!(reports.len(), 1, "all shards report to one volume");
    reports.into_iter().next().expect("one")
}

fn check_merge_job(page: &Page, job: &Job, reports: &Path) {
    assert_eq!(job.spec.completion_mode, None);
    assert_eq!(job.spec.template.spec.restart_policy, RestartPolicy::Never);
    assert!(job.spec.backoff_limit.is_some());
    let resolved = resolve(page, job, &[]);
    assert_eq!(resolved.inputs.merge_reports, [reports]);
    assert_eq!(resolved.inputs.rebase_shard, None);
    let (dir, _, read_only) = mount_of(&resolved, &resolved.inputs.report_path);
    assert_eq!(dir, reports);
    assert!(!read_only);
}

#[test]
fn the_fleet_rebase_manifests_are_valid_kubernetes_and_resolve_as_rebaser_inputs() {
    let page = parse(&page()).unwrap_or_else(|e| panic!("{PAGE}: {e}"));
    let (indexed, others): (Vec<&Job>, Vec<&Job>) = page
        .jobs
        .iter()
        .partition(|job| job.spec.completion_mode == Some(CompletionMode::Indexed));
    assert_eq!((indexed.len(), others.len()), (1, 1));
    let reports = check_indexed_job(&page, indexed[0]);
    check_merge_job(&page, others[0], &reports);
    let claims = |job: &Job| -> Vec<String> {
        job.spec
            .template
            .spec
            .volumes
            .iter()
            .filter_map(|v| v.persistent_volume_claim.as_ref())
            .map(|claim| claim.claim_name.clone())
            .collect()
    };
    assert_eq!(claims(indexed[0]), claims(others[0]), "one report volume");
    assert_eq!(
        indexed[0].spec.template.spec.containers[0].image,
        others[0].spec.template.spec.containers[0].image
    );
    assert_eq!(page.env_fragments.len(), 1);
    let env = environment(&page.env_fragments[0], &[]);
    assert!(env.contains_key("CNB_REGISTRY_AUTH"), "{env:?}");
}

#[test]
fn a_misspelt_or_unknown_field_fails_to_parse() {
    let text = page();
    assert!(parse(&text).is_ok());
    for (right, wrong) in [
        ("completionMode: Indexed", "completionmode: Indexed"),
        ("parallelism: 4", "paralelism: 4"),
        ("restartPolicy: Never", "restartPolicy: Always"),
        ("mountPath: /reports", "mountpath: /reports"),
        ("action: FailIndex", "action: FailIndexes"),
        ("claimName: rebase-reports", "claim: rebase-reports"),
    ] {
        assert!(text.contains(right), "{right}");
        let broken = text.replacen(right, wrong, 1);
        assert!(parse(&broken).is_err(), "{wrong} was accepted");
    }
}
