//! Every environment variable name the lifecycle reads or sets, spelled once.
//! Platform inputs (platform.md › Inputs) first, then the buildpack contract (buildpack.md).

macro_rules! names {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*
    };
}

names! {
    /// Platform API version requested by the platform (required).
    PLATFORM_API = "CNB_PLATFORM_API";
    /// `quiet`, `warn` (default) or `error` for deprecated APIs.
    DEPRECATION_MODE = "CNB_DEPRECATION_MODE";
    /// `quiet`, `warn` or `error` (default) for experimental features.
    EXPERIMENTAL_MODE = "CNB_EXPERIMENTAL_MODE";
    /// `-log-level`.
    LOG_LEVEL = "CNB_LOG_LEVEL";
    /// `-no-color`.
    NO_COLOR = "CNB_NO_COLOR";

    /// `-app`.
    APP_DIR = "CNB_APP_DIR";
    /// `-layers`.
    LAYERS_DIR = "CNB_LAYERS_DIR";
    /// `-platform`.
    PLATFORM_DIR = "CNB_PLATFORM_DIR";
    /// `-buildpacks`.
    BUILDPACKS_DIR = "CNB_BUILDPACKS_DIR";
    /// `-extensions`.
    EXTENSIONS_DIR = "CNB_EXTENSIONS_DIR";
    /// `-build-config`.
    BUILD_CONFIG_DIR = "CNB_BUILD_CONFIG_DIR";
    /// `-analyzed`.
    ANALYZED_PATH = "CNB_ANALYZED_PATH";
    /// `-group`.
    GROUP_PATH = "CNB_GROUP_PATH";
    /// `-plan`.
    PLAN_PATH = "CNB_PLAN_PATH";
    /// `-order`.
    ORDER_PATH = "CNB_ORDER_PATH";
    /// `-system`.
    SYSTEM_PATH = "CNB_SYSTEM_PATH";
    /// `-run`.
    RUN_PATH = "CNB_RUN_PATH";
    /// `-stack`.
    STACK_PATH = "CNB_STACK_PATH";
    /// `-generated`.
    GENERATED_DIR = "CNB_GENERATED_DIR";
    /// `-extended`.
    EXTENDED_DIR = "CNB_EXTENDED_DIR";
    /// `-report`.
    REPORT_PATH = "CNB_REPORT_PATH";
    /// `-project-metadata`.
    PROJECT_METADATA_PATH = "CNB_PROJECT_METADATA_PATH";
    /// `-cache-dir`.
    CACHE_DIR = "CNB_CACHE_DIR";
    /// `-cache-image`.
    CACHE_IMAGE = "CNB_CACHE_IMAGE";
    /// `-launch-cache`.
    LAUNCH_CACHE_DIR = "CNB_LAUNCH_CACHE_DIR";
    /// `-skip-layers`.
    SKIP_LAYERS = "CNB_SKIP_LAYERS";
    /// `-skip-restore`.
    SKIP_RESTORE = "CNB_SKIP_RESTORE";
    /// `-previous-image`.
    PREVIOUS_IMAGE = "CNB_PREVIOUS_IMAGE";
    /// `-run-image`.
    RUN_IMAGE = "CNB_RUN_IMAGE";
    /// `-build-image`.
    BUILD_IMAGE = "CNB_BUILD_IMAGE";
    /// `-daemon`.
    USE_DAEMON = "CNB_USE_DAEMON";
    /// `-layout`.
    USE_LAYOUT = "CNB_USE_LAYOUT";
    /// `-layout-dir`.
    LAYOUT_DIR = "CNB_LAYOUT_DIR";
    /// `-insecure-registry`, comma-separated.
    INSECURE_REGISTRIES = "CNB_INSECURE_REGISTRIES";
    /// `-parallel`.
    PARALLEL_EXPORT = "CNB_PARALLEL_EXPORT";
    /// This lifecycle's own (not in the spec): the gzip implementation for exported layers,
    /// `zlib-rs` (default; the same bytes on every machine) or `isal` (faster; the same bytes
    /// only within one CPU architecture). See docs/performance.md.
    GZIP_ENGINE = "CNB_GZIP_ENGINE";
    /// This lifecycle's own (not in the spec): how long a registry may leave every request
    /// unanswered before a phase gives up on it, a Go duration (`2m`, `90s`); default 2
    /// minutes. See docs/registries.md.
    REGISTRY_TIMEOUT = "CNB_REGISTRY_TIMEOUT";
    /// `-process-type`.
    PROCESS_TYPE = "CNB_PROCESS_TYPE";
    /// `-kind`.
    EXTEND_KIND = "CNB_EXTEND_KIND";
    /// `-kaniko-cache-ttl`.
    KANIKO_CACHE_TTL = "CNB_KANIKO_CACHE_TTL";
    /// `-force`.
    FORCE_REBASE = "CNB_FORCE_REBASE";
    /// `-uid`.
    USER_ID = "CNB_USER_ID";
    /// `-gid`.
    GROUP_ID = "CNB_GROUP_ID";
    /// Execution environment (P0.15; default `production`).
    EXEC_ENV = "CNB_EXEC_ENV";
    /// Opt-in init mode of the launcher when it is PID 1 (a boolean; ours, not the spec's).
    LAUNCHER_INIT = "CNB_LAUNCHER_INIT";
    /// Where the restorer keeps base images for the extender and the extender its cache
    /// (default `/kaniko`, which the spec fixes; ours, for tests and unusual platforms).
    KANIKO_DIR = "CNB_KANIKO_DIR";
    /// Registry credentials as JSON `{"<registry>": "<Authorization header>"}`.
    REGISTRY_AUTH = "CNB_REGISTRY_AUTH";
    /// Deprecated stack id of build images.
    STACK_ID = "CNB_STACK_ID";
    /// Reproducible build time for the exporter (P0.9).
    SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH";

    /// Buildpack contract: the buildpack's own directory.
    BUILDPACK_DIR = "CNB_BUILDPACK_DIR";
    /// Buildpack contract: the extension's own directory.
    EXTENSION_DIR = "CNB_EXTENSION_DIR";
    /// Buildpack contract: where `bin/detect` writes its build plan.
    BUILD_PLAN_PATH = "CNB_BUILD_PLAN_PATH";
    /// Buildpack contract: the buildpack plan `bin/build` reads.
    BP_PLAN_PATH = "CNB_BP_PLAN_PATH";
    /// Buildpack contract: where an extension writes Dockerfiles.
    OUTPUT_DIR = "CNB_OUTPUT_DIR";
    /// Target data: OS.
    TARGET_OS = "CNB_TARGET_OS";
    /// Target data: architecture.
    TARGET_ARCH = "CNB_TARGET_ARCH";
    /// Target data: architecture variant.
    TARGET_ARCH_VARIANT = "CNB_TARGET_ARCH_VARIANT";
    /// Target data: distribution name.
    TARGET_DISTRO_NAME = "CNB_TARGET_DISTRO_NAME";
    /// Target data: distribution version.
    TARGET_DISTRO_VERSION = "CNB_TARGET_DISTRO_VERSION";
}
