//! The Kubernetes API fields the fleet-rebase manifests use, as serde types that refuse any
//! other key (a misspelt field fails to parse, where `kubectl apply` would drop it or refuse
//! it only at apply time). Field names and enum values follow the `batch/v1` and `core/v1`
//! API reference: `Job`, `JobSpec`, `PodFailurePolicy`, `PodTemplateSpec`, `PodSpec`,
//! `PodSecurityContext`, `Container`, `EnvVar`, `VolumeMount`, `Volume`, `ConfigMap`,
//! `PersistentVolumeClaim`. Only the subset the manifests use is here: a field they do not
//! use is refused too, so that adding one means adding it here and checking it.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One YAML document, by its `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind")]
pub(super) enum Manifest {
    Job(Job),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ObjectMeta {
    pub(super) name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Job {
    pub(super) api_version: String,
    pub(super) metadata: ObjectMeta,
    pub(super) spec: JobSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct JobSpec {
    pub(super) completion_mode: Option<CompletionMode>,
    pub(super) completions: Option<u32>,
    pub(super) parallelism: Option<u32>,
    pub(super) backoff_limit: Option<u32>,
    pub(super) backoff_limit_per_index: Option<u32>,
    pub(super) pod_failure_policy: Option<PodFailurePolicy>,
    pub(super) template: PodTemplateSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum CompletionMode {
    NonIndexed,
    Indexed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PodFailurePolicy {
    pub(super) rules: Vec<PodFailurePolicyRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PodFailurePolicyRule {
    pub(super) action: PodFailurePolicyAction,
    pub(super) on_exit_codes: Option<OnExitCodes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum PodFailurePolicyAction {
    FailJob,
    FailIndex,
    Ignore,
    Count,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct OnExitCodes {
    pub(super) container_name: Option<String>,
    pub(super) operator: ExitCodeOperator,
    pub(super) values: Vec<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum ExitCodeOperator {
    In,
    NotIn,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PodTemplateSpec {
    pub(super) spec: PodSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PodSpec {
    pub(super) restart_policy: RestartPolicy,
    pub(super) security_context: Option<PodSecurityContext>,
    pub(super) containers: Vec<Container>,
    #[serde(default)]
    pub(super) volumes: Vec<Volume>,
}

/// A Job's pods may only use `Never` or `OnFailure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum RestartPolicy {
    Never,
    OnFailure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PodSecurityContext {
    pub(super) run_as_user: Option<u32>,
    pub(super) run_as_group: Option<u32>,
    pub(super) fs_group: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Container {
    pub(super) name: String,
    pub(super) image: String,
    #[serde(default)]
    pub(super) command: Vec<String>,
    #[serde(default)]
    pub(super) args: Vec<String>,
    #[serde(default)]
    pub(super) env: Vec<EnvVar>,
    #[serde(default)]
    pub(super) volume_mounts: Vec<VolumeMount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct EnvVar {
    pub(super) name: String,
    pub(super) value: Option<String>,
    pub(super) value_from: Option<EnvVarSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct EnvVarSource {
    pub(super) secret_key_ref: Option<KeySelector>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct KeySelector {
    pub(super) name: String,
    pub(super) key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct VolumeMount {
    pub(super) name: String,
    pub(super) mount_path: String,
    pub(super) read_only: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Volume {
    pub(super) name: String,
    pub(super) config_map: Option<ConfigMapVolumeSource>,
    pub(super) secret: Option<SecretVolumeSource>,
    pub(super) persistent_volume_claim: Option<PersistentVolumeClaimVolumeSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ConfigMapVolumeSource {
    pub(super) name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SecretVolumeSource {
    pub(super) secret_name: String,
    #[serde(default)]
    pub(super) items: Vec<KeyToPath>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct KeyToPath {
    pub(super) key: String,
    pub(super) path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PersistentVolumeClaimVolumeSource {
    pub(super) claim_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ConfigMap {
    pub(super) api_version: String,
    pub(super) metadata: ObjectMeta,
    #[serde(default)]
    pub(super) data: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PersistentVolumeClaim {
    pub(super) api_version: String,
    pub(super) metadata: ObjectMeta,
    pub(super) spec: PersistentVolumeClaimSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PersistentVolumeClaimSpec {
    pub(super) access_modes: Vec<AccessMode>,
    pub(super) resources: VolumeResourceRequirements,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[expect(clippy::enum_variant_names, reason = "the Kubernetes API's names")]
pub(super) enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct VolumeResourceRequirements {
    pub(super) requests: BTreeMap<String, String>,
}
