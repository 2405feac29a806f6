use std::path::{Path, PathBuf};

use cnb_api::{Phase, PlatformApi};
use pretty_assertions::assert_eq;

use super::*;
use crate::flags_for;

fn api(minor: u64) -> PlatformApi {
    cnb_api::check_platform_api(Some(&format!("0.{minor}"))).unwrap()
}

/// Parses `args` the simple way (`-name=value`, bare bools, positionals after), enough for
/// resolution tests; the real Go-syntax parser lives in cnb-cli and has its own tests.
fn flags(args: &[&str]) -> FlagValues {
    let mut values = FlagValues::default();
    let mut positionals = Vec::new();
    for arg in args {
        match arg.strip_prefix('-') {
            Some(flag) if positionals.is_empty() => {
                let (name, value) = flag.split_once('=').unwrap_or((flag, "true"));
                let name: &'static str = crate::flag_table::FLAGS
                    .iter()
                    .find(|def| def.name == name)
                    .unwrap_or_else(|| panic!("no flag -{name}"))
                    .name;
                values.push(name, value.to_owned());
            }
            _ => positionals.push((*arg).to_owned()),
        }
    }
    values.set_positionals(positionals);
    values
}

fn resolve_in(
    phase: Phase,
    minor: u64,
    args: &[&str],
    env: &[(&str, &str)],
    cwd: &Path,
) -> Result<Inputs, Error> {
    resolve(phase, api(minor), &flags(args), &env, cwd)
}

fn image_args(phase: Phase) -> Vec<&'static str> {
    match arity(phase) {
        Arity::None => vec![],
        Arity::One | Arity::AtLeastOne => vec!["registry.example/app"],
    }
}

fn has_flag(phase: Phase, minor: u64, name: &str) -> bool {
    flags_for(phase, api(minor))
        .iter()
        .any(|def| def.name == name)
}

#[test]
fn defaults_follow_the_spec_for_every_phase() {
    let cwd = tempfile::tempdir().unwrap();
    for phase in Phase::ALL {
        let inputs = resolve_in(phase, 15, &image_args(phase), &[], cwd.path()).unwrap();
        assert_eq!(inputs.app_dir, PathBuf::from("/workspace"), "{phase}");
        assert_eq!(inputs.layers_dir, PathBuf::from("/layers"), "{phase}");
        assert_eq!(inputs.platform_dir, PathBuf::from("/platform"), "{phase}");
        assert_eq!(
            inputs.buildpacks_dir,
            PathBuf::from("/cnb/buildpacks"),
            "{phase}"
        );
        assert_eq!(
            inputs.build_config_dir,
            PathBuf::from("/cnb/build-config"),
            "{phase}"
        );
        assert_eq!(
            inputs.analyzed_path,
            PathBuf::from("/layers/analyzed.toml"),
            "{phase}"
        );
        assert_eq!(
            inputs.group_path,
            PathBuf::from("/layers/group.toml"),
            "{phase}"
        );
        assert_eq!(
            inputs.plan_path,
            PathBuf::from("/layers/plan.toml"),
            "{phase}"
        );
        assert_eq!(
            inputs.report_path,
            PathBuf::from("/layers/report.toml"),
            "{phase}"
        );
        assert_eq!(
            inputs.generated_dir,
            PathBuf::from("/layers/generated"),
            "{phase}"
        );
        assert_eq!(inputs.run_path, PathBuf::from("/cnb/run.toml"), "{phase}");
        assert_eq!(
            inputs.system_path,
            PathBuf::from("/cnb/system.toml"),
            "{phase}"
        );
        assert_eq!(
            inputs.launcher_path,
            PathBuf::from("/cnb/lifecycle/launcher"),
            "{phase}"
        );
        assert_eq!(inputs.exec_env, "production", "{phase}");
        assert_eq!(inputs.extend_kind, "build", "{phase}");
        assert_eq!(
            inputs.kaniko_cache_ttl,
            Duration::from_hours(14 * 24),
            "{phase}"
        );
        assert_eq!((inputs.uid, inputs.gid), (0, 0), "{phase}");
        assert_eq!(inputs.cache_dir, None, "{phase}");
        assert_eq!(inputs.log_level, LogLevel::Info, "{phase}");
    }
}

#[test]
fn layers_flag_moves_every_layers_relative_default_in_every_phase() {
    let cwd = tempfile::tempdir().unwrap();
    for phase in Phase::ALL
        .into_iter()
        .filter(|phase| has_flag(*phase, 15, "layers"))
    {
        let mut args = vec!["-layers=/custom/layers"];
        args.extend(image_args(phase));
        let inputs = resolve_in(phase, 15, &args, &[], cwd.path()).unwrap();
        let under = |file: &str| PathBuf::from("/custom/layers").join(file);
        assert_eq!(inputs.analyzed_path, under("analyzed.toml"), "{phase}");
        assert_eq!(inputs.group_path, under("group.toml"), "{phase}");
        assert_eq!(inputs.plan_path, under("plan.toml"), "{phase}");
        assert_eq!(inputs.report_path, under("report.toml"), "{phase}");
        assert_eq!(
            inputs.project_metadata_path,
            under("project-metadata.toml"),
            "{phase}"
        );
        assert_eq!(inputs.generated_dir, under("generated"), "{phase}");
        assert_eq!(inputs.extended_dir, under("extended"), "{phase}");
    }
}

#[test]
fn layers_env_moves_defaults_but_explicit_paths_stay() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [
        ("CNB_LAYERS_DIR", "/env/layers"),
        ("CNB_GROUP_PATH", "/elsewhere/group.toml"),
    ];
    let inputs = resolve_in(Phase::Builder, 15, &[], &env, cwd.path()).unwrap();
    assert_eq!(inputs.layers_dir, PathBuf::from("/env/layers"));
    assert_eq!(inputs.plan_path, PathBuf::from("/env/layers/plan.toml"));
    assert_eq!(inputs.group_path, PathBuf::from("/elsewhere/group.toml"));
}

#[test]
fn flags_win_over_env_and_env_wins_over_defaults() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [
        ("CNB_APP_DIR", "/from-env/app"),
        ("CNB_PLATFORM_DIR", "/from-env/platform"),
        ("CNB_LOG_LEVEL", "debug"),
        ("CNB_USER_ID", "1000"),
        ("CNB_GROUP_ID", "1001"),
    ];
    for phase in [
        Phase::Detector,
        Phase::Builder,
        Phase::Creator,
        Phase::Extender,
    ] {
        let mut args = vec!["-app=/from-flag/app", "-log-level=warn"];
        if has_flag(phase, 15, "uid") {
            args.push("-uid=2000");
        }
        args.extend(image_args(phase));
        let inputs = resolve_in(phase, 15, &args, &env, cwd.path()).unwrap();
        assert_eq!(inputs.app_dir, PathBuf::from("/from-flag/app"), "{phase}");
        assert_eq!(
            inputs.platform_dir,
            PathBuf::from("/from-env/platform"),
            "{phase}"
        );
        assert_eq!(inputs.log_level, LogLevel::Warn, "{phase}");
        let want_uid = if has_flag(phase, 15, "uid") {
            2000
        } else {
            1000
        };
        assert_eq!((inputs.uid, inputs.gid), (want_uid, 1001), "{phase}");
    }
}

#[test]
fn empty_env_values_count_as_unset() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [
        ("CNB_APP_DIR", ""),
        ("CNB_CACHE_DIR", ""),
        ("CNB_LAYERS_DIR", ""),
    ];
    let inputs = resolve_in(Phase::Restorer, 15, &[], &env, cwd.path()).unwrap();
    assert_eq!(inputs.app_dir, PathBuf::from("/workspace"));
    assert_eq!(inputs.layers_dir, PathBuf::from("/layers"));
    assert_eq!(inputs.cache_dir, None);
}

#[test]
fn the_gzip_engine_is_zlib_rs_unless_cnb_gzip_engine_names_isal() {
    let cwd = tempfile::tempdir().unwrap();
    let args = image_args(Phase::Exporter);
    let engine = |value: Option<&str>| {
        let env: Vec<(&str, &str)> = value.map(|v| ("CNB_GZIP_ENGINE", v)).into_iter().collect();
        resolve_in(Phase::Exporter, 15, &args, &env, cwd.path()).map(|inputs| inputs.gzip_engine)
    };
    assert_eq!(engine(None).unwrap(), GzipEngine::ZlibRs);
    assert_eq!(engine(Some("")).unwrap(), GzipEngine::ZlibRs);
    assert_eq!(engine(Some("zlib-rs")).unwrap(), GzipEngine::ZlibRs);
    assert_eq!(engine(Some("ISAL")).unwrap(), GzipEngine::Isal);
    let error = engine(Some("pigz")).unwrap_err();
    assert!(matches!(&error, Error::GzipEngine(value) if value == "pigz"));
    assert_eq!(error.kind(), cnb_api::ExitKind::InvalidArgs);
}

#[test]
fn tekton_empty_flag_values_mean_not_set() {
    let cwd = tempfile::tempdir().unwrap();
    // buildpacks-phases 0.3 restore step with its env unset, and the Tekton 0.6 creator.
    let restorer = resolve_in(
        Phase::Restorer,
        13,
        &[
            "-layers=",
            "-cache-dir=",
            "-cache-image=",
            "-insecure-registry=",
            "-skip-layers=false",
            "-build-image=b",
        ],
        &[("CNB_SKIP_LAYERS", "true"), ("CNB_INSECURE_REGISTRIES", "")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(restorer.layers_dir, cwd.path());
    assert_eq!(restorer.group_path, cwd.path().join("group.toml"));
    assert_eq!(restorer.analyzed_path, cwd.path().join("analyzed.toml"));
    assert_eq!(restorer.cache_dir, None);
    assert_eq!(restorer.cache_image, None);
    assert!(restorer.insecure_registries.is_empty());
    assert!(
        !restorer.skip_layers,
        "an explicit -skip-layers=false beats CNB_SKIP_LAYERS"
    );
    assert_eq!(
        restorer.warnings,
        vec!["No cached data will be used, no cache specified.".to_owned()]
    );

    let creator = resolve_in(
        Phase::Creator,
        9,
        &[
            "-app=/workspace/source/",
            "-cache-dir=",
            "-cache-image=",
            "-run-image=",
            "-previous-image=r/app",
            "-skip-restore=false",
            "r/app",
        ],
        &[("CNB_RUN_IMAGE", "from/env")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(
        creator.run_image, None,
        "an explicit empty flag beats the variable, as in Go"
    );
    assert_eq!(creator.cache_dir, None);
    assert_eq!(creator.app_dir, PathBuf::from("/workspace/source/"));

    let analyzer = resolve_in(
        Phase::Analyzer,
        13,
        &["-tag=", "-insecure-registry=", "r/app"],
        &[],
        cwd.path(),
    )
    .unwrap();
    assert!(analyzer.additional_tags.is_empty());
    assert!(analyzer.insecure_registries.is_empty());
    assert_eq!(analyzer.destination_images(), vec!["r/app".to_owned()]);
}

#[test]
fn relative_paths_become_absolute_against_cwd() {
    let cwd = tempfile::tempdir().unwrap();
    let inputs = resolve_in(
        Phase::Detector,
        15,
        &[
            "-app=.",
            "-layers=layers",
            "-group=layers/group.toml",
            "-order=./order.toml",
        ],
        &[("CNB_PLATFORM_DIR", "platform")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(inputs.app_dir, cwd.path().join("."));
    assert_eq!(inputs.layers_dir, cwd.path().join("layers"));
    assert_eq!(inputs.group_path, cwd.path().join("layers/group.toml"));
    assert_eq!(inputs.plan_path, cwd.path().join("layers/plan.toml"));
    assert_eq!(inputs.order_path, cwd.path().join("./order.toml"));
    assert_eq!(inputs.platform_dir, cwd.path().join("platform"));
    assert!(inputs.app_dir.is_absolute() && inputs.platform_dir.is_absolute());
}

#[test]
fn paths_are_cleaned_as_go_cleans_them() {
    let cwd = tempfile::tempdir().unwrap();
    let inputs = resolve_in(
        Phase::Detector,
        15,
        &["-app=/workspace/source/", "-layers=./layers/../l//"],
        &[("CNB_PLATFORM_DIR", "/../platform/.")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(inputs.app_dir.as_os_str(), "/workspace/source");
    assert_eq!(
        inputs.layers_dir.as_os_str(),
        cwd.path().join("l").as_os_str()
    );
    assert_eq!(inputs.platform_dir.as_os_str(), "/platform");
}

#[test]
fn order_toml_in_layers_wins_over_the_builders() {
    let cwd = tempfile::tempdir().unwrap();
    let layers = cwd.path().join("layers");
    std::fs::create_dir(&layers).unwrap();
    let layers_flag = format!("-layers={}", layers.display());
    for phase in [Phase::Detector, Phase::Creator] {
        let mut args = vec![layers_flag.as_str()];
        args.extend(image_args(phase));
        let without = resolve_in(phase, 15, &args, &[], cwd.path()).unwrap();
        assert_eq!(
            without.order_path,
            PathBuf::from("/cnb/order.toml"),
            "{phase}"
        );

        std::fs::write(layers.join("order.toml"), "").unwrap();
        let with = resolve_in(phase, 15, &args, &[], cwd.path()).unwrap();
        assert_eq!(with.order_path, layers.join("order.toml"), "{phase}");

        let from_env = resolve_in(
            phase,
            15,
            &args,
            &[("CNB_ORDER_PATH", "/env/order.toml")],
            cwd.path(),
        )
        .unwrap();
        assert_eq!(
            from_env.order_path,
            PathBuf::from("/env/order.toml"),
            "{phase}"
        );

        let mut flagged = args.clone();
        flagged.insert(0, "-order=/flag/order.toml");
        let from_flag = resolve_in(
            phase,
            15,
            &flagged,
            &[("CNB_ORDER_PATH", "/env/order.toml")],
            cwd.path(),
        )
        .unwrap();
        assert_eq!(
            from_flag.order_path,
            PathBuf::from("/flag/order.toml"),
            "{phase}"
        );
        std::fs::remove_file(layers.join("order.toml")).unwrap();
    }
}

#[test]
fn insecure_registries_split_on_commas_ignoring_empty_items_and_add_flags() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [("CNB_INSECURE_REGISTRIES", "a.local:5000,,b.local,")];
    let inputs = resolve_in(
        Phase::Exporter,
        13,
        &[
            "-insecure-registry=c.local",
            "-insecure-registry=a.local:5000",
            "img",
        ],
        &env,
        cwd.path(),
    )
    .unwrap();
    assert_eq!(
        inputs.insecure_registries,
        vec!["a.local:5000", "b.local", "c.local"]
    );
}

#[test]
fn the_registry_timeout_is_a_positive_go_duration_or_the_default() {
    let cwd = tempfile::tempdir().unwrap();
    let timeout = |value: &str| {
        resolve_in(
            Phase::Analyzer,
            13,
            &["img"],
            &[("CNB_REGISTRY_TIMEOUT", value)],
            cwd.path(),
        )
        .map(|inputs| inputs.registry_timeout)
    };
    assert_eq!(timeout(""), Ok(None));
    assert_eq!(timeout("90s"), Ok(Some(Duration::from_secs(90))));
    assert_eq!(timeout("1m30s"), Ok(Some(Duration::from_secs(90))));
    assert_eq!(timeout("500ms"), Ok(Some(Duration::from_millis(500))));
    for bad in ["0", "soon", "10", "-5s"] {
        let err = timeout(bad).unwrap_err();
        assert_eq!(err, Error::RegistryTimeout(bad.to_owned()));
        assert_eq!(err.kind(), cnb_api::ExitKind::Failed);
    }
}

#[test]
fn the_environment_prints_its_names_but_never_a_value() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [
        ("CNB_REGISTRY_AUTH", r#"{"r.io":"Basic c2VjcmV0LXZhbHVl"}"#),
        ("HTTPS_PROXY", "http://user:pa55@proxy:3128"),
    ];
    let inputs = resolve_in(Phase::Analyzer, 13, &["img"], &env, cwd.path()).unwrap();
    let shown = format!("{inputs:?}");
    assert!(shown.contains("\"CNB_REGISTRY_AUTH\""), "{shown}");
    assert!(!shown.contains("c2VjcmV0LXZhbHVl"), "{shown}");
    assert!(!shown.contains("pa55"), "{shown}");
}

#[test]
fn either_skip_variable_sets_skip_layers() {
    let cwd = tempfile::tempdir().unwrap();
    for var in ["CNB_SKIP_LAYERS", "CNB_SKIP_RESTORE"] {
        for phase in [Phase::Analyzer, Phase::Restorer, Phase::Creator] {
            let inputs =
                resolve_in(phase, 15, &image_args(phase), &[(var, "true")], cwd.path()).unwrap();
            assert!(inputs.skip_layers, "{var} in {phase}");
        }
    }
    let creator = resolve_in(
        Phase::Creator,
        15,
        &["-skip-restore", "img"],
        &[],
        cwd.path(),
    )
    .unwrap();
    assert!(creator.skip_layers);
    let garbage = resolve_in(
        Phase::Restorer,
        15,
        &[],
        &[("CNB_SKIP_LAYERS", "yes")],
        cwd.path(),
    )
    .unwrap();
    assert!(
        !garbage.skip_layers,
        "ParseBool rejects 'yes', which reads as false"
    );
}

#[test]
fn positional_arguments_are_counted_per_phase() {
    let cwd = tempfile::tempdir().unwrap();
    for phase in [
        Phase::Detector,
        Phase::Restorer,
        Phase::Builder,
        Phase::Extender,
    ] {
        assert_eq!(
            resolve_in(phase, 15, &["extra"], &[], cwd.path()),
            Err(Error::UnexpectedArguments),
            "{phase}"
        );
    }
    for phase in [Phase::Analyzer, Phase::Creator] {
        assert_eq!(
            resolve_in(phase, 15, &[], &[], cwd.path()),
            Err(Error::ExpectedOneArgument { got: 0 }),
            "{phase}"
        );
        assert_eq!(
            resolve_in(phase, 15, &["a", "b"], &[], cwd.path()),
            Err(Error::ExpectedOneArgument { got: 2 }),
            "{phase}"
        );
        assert_eq!(
            resolve_in(phase, 15, &[""], &[], cwd.path()),
            Err(Error::OutputImageEmpty),
            "{phase}"
        );
    }
    for phase in [Phase::Exporter, Phase::Rebaser] {
        assert_eq!(
            resolve_in(phase, 15, &[], &[], cwd.path()),
            Err(Error::ImageArgumentRequired),
            "{phase}"
        );
        let inputs = resolve_in(
            phase,
            15,
            &["r/app", "r/app:v2", "", "r/app:v3"],
            &[],
            cwd.path(),
        )
        .unwrap();
        assert_eq!(inputs.output_image.as_deref(), Some("r/app"));
        assert_eq!(inputs.additional_tags, vec!["r/app:v2", "r/app:v3"]);
    }
    let error = resolve_in(Phase::Analyzer, 15, &[], &[], cwd.path()).unwrap_err();
    assert_eq!(
        format!("failed to {}: {error}", error.action().unwrap()),
        "failed to parse arguments: received 0 arguments, but expected 1"
    );
    assert_eq!(error.kind(), cnb_api::ExitKind::InvalidArgs);
}

#[test]
fn the_rebaser_fleet_mode_reads_images_from_a_file_and_needs_no_image_argument() {
    let cwd = tempfile::tempdir().unwrap();
    let inputs = resolve_in(Phase::Rebaser, 15, &["-images-from=list"], &[], cwd.path()).unwrap();
    assert_eq!(inputs.images_from, Some(cwd.path().join("list")));
    assert_eq!(inputs.output_image, None);
    assert_eq!(inputs.previous_image, None);
    let inputs = resolve_in(
        Phase::Rebaser,
        7,
        &["-images-from=/l", "r/app"],
        &[],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(inputs.images_from.as_deref(), Some(Path::new("/l")));
    assert_eq!(inputs.output_image.as_deref(), Some("r/app"));
    assert_eq!(
        resolve_in(Phase::Rebaser, 15, &["-images-from="], &[], cwd.path()),
        Err(Error::ImageArgumentRequired)
    );
    let inputs = resolve_in(Phase::Rebaser, 15, &["r/app"], &[], cwd.path()).unwrap();
    assert_eq!(inputs.images_from, None);
}

#[test]
fn the_rebaser_layout_mode_is_experimental() {
    let cwd = tempfile::tempdir().unwrap();
    let error = resolve_in(Phase::Rebaser, 12, &["-layout", "r/app"], &[], cwd.path());
    assert_eq!(
        error,
        Err(Error::ExperimentalDisabled("export to OCI layout format"))
    );
    let env = [("CNB_EXPERIMENTAL_MODE", "warn")];
    let inputs = resolve_in(Phase::Rebaser, 12, &["-layout", "r/app"], &env, cwd.path()).unwrap();
    assert!(inputs.use_layout);
}

#[test]
fn previous_image_defaults_to_the_output_image() {
    let cwd = tempfile::tempdir().unwrap();
    for phase in [Phase::Analyzer, Phase::Creator, Phase::Rebaser] {
        let inputs = resolve_in(phase, 15, &["r/app"], &[], cwd.path()).unwrap();
        assert_eq!(inputs.previous_image.as_deref(), Some("r/app"), "{phase}");
        let inputs = resolve_in(
            phase,
            15,
            &["r/app"],
            &[("CNB_PREVIOUS_IMAGE", "r/old")],
            cwd.path(),
        )
        .unwrap();
        assert_eq!(inputs.previous_image.as_deref(), Some("r/old"), "{phase}");
    }
}

#[test]
fn the_exporter_refuses_run_image_flags_but_tolerates_kpacks_variable() {
    let cwd = tempfile::tempdir().unwrap();
    let env = [("CNB_RUN_IMAGE", "r/run")];
    assert_eq!(
        resolve_in(
            Phase::Exporter,
            9,
            &["-run-image=r/other", "img"],
            &env,
            cwd.path()
        ),
        Err(Error::RunImageUnsupported)
    );
    assert_eq!(
        resolve_in(
            Phase::Exporter,
            9,
            &["-image=r/other", "img"],
            &env,
            cwd.path()
        ),
        Err(Error::ImageUnsupported)
    );
    let tolerated = resolve_in(
        Phase::Exporter,
        9,
        &["-run-image=r/run", "img"],
        &env,
        cwd.path(),
    )
    .unwrap();
    assert_eq!(
        tolerated.run_image, None,
        "the exporter's run image always comes from analyzed.toml"
    );
    assert!(resolve_in(Phase::Exporter, 9, &["img"], &env, cwd.path()).is_ok());
}

#[test]
fn the_rebaser_takes_the_deprecated_image_flag_as_the_run_image() {
    let cwd = tempfile::tempdir().unwrap();
    let inputs = resolve_in(
        Phase::Rebaser,
        15,
        &["-image=r/run", "img"],
        &[],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(inputs.run_image.as_deref(), Some("r/run"));
    assert_eq!(
        resolve_in(
            Phase::Rebaser,
            15,
            &["-image=r/run", "-run-image=r/other", "img"],
            &[],
            cwd.path()
        ),
        Err(Error::OneRunImageOnly)
    );
}

#[test]
fn layout_is_experimental_outside_the_restorer() {
    let cwd = tempfile::tempdir().unwrap();
    for phase in [Phase::Analyzer, Phase::Exporter, Phase::Creator] {
        let args = ["-layout", "-layout-dir=/layout-repo", "img"];
        assert_eq!(
            resolve_in(phase, 12, &args, &[], cwd.path()),
            Err(Error::ExperimentalDisabled("export to OCI layout format")),
            "{phase}"
        );
        let warned = resolve_in(
            phase,
            12,
            &args,
            &[("CNB_EXPERIMENTAL_MODE", "silent")],
            cwd.path(),
        )
        .unwrap();
        assert!(
            warned
                .warnings
                .iter()
                .any(|line| line.contains("experimental feature")),
            "{phase}"
        );
        let quiet = resolve_in(
            phase,
            12,
            &args,
            &[("CNB_EXPERIMENTAL_MODE", "quiet")],
            cwd.path(),
        )
        .unwrap();
        assert!(
            quiet.use_layout && quiet.layout_dir == Some(PathBuf::from("/layout-repo")),
            "{phase}"
        );
    }
    assert!(resolve_in(Phase::Restorer, 12, &["-layout"], &[], cwd.path()).is_ok());
}

#[test]
fn invalid_log_level_and_ids_fail_and_an_invalid_ttl_reads_as_the_default() {
    let cwd = tempfile::tempdir().unwrap();
    assert_eq!(
        resolve_in(Phase::Builder, 15, &["-log-level=loud"], &[], cwd.path()),
        Err(Error::LogLevel("loud".into()))
    );
    let inputs = resolve_in(
        Phase::Restorer,
        15,
        &[],
        &[("CNB_KANIKO_CACHE_TTL", "soon")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(inputs.kaniko_cache_ttl, Duration::from_hours(14 * 24));
    // Go reads a garbage CNB_USER_ID as 0, which would run as root: refused here (3).
    let garbage = resolve_in(
        Phase::Restorer,
        15,
        &[],
        &[("CNB_USER_ID", "abc")],
        cwd.path(),
    );
    assert_eq!(
        garbage,
        Err(Error::InvalidId {
            name: "CNB_USER_ID".into(),
            value: "abc".into()
        })
    );
    assert_eq!(garbage.unwrap_err().kind(), cnb_api::ExitKind::InvalidArgs);
    let negative = resolve_in(Phase::Exporter, 15, &["-gid=-5", "app"], &[], cwd.path());
    assert!(
        matches!(negative, Err(Error::InvalidId { .. })),
        "{negative:?}"
    );
    let large = resolve_in(
        Phase::Exporter,
        15,
        &["-uid=4294967296", "app"],
        &[],
        cwd.path(),
    );
    assert!(matches!(large, Err(Error::InvalidId { .. })), "{large:?}");
    let fine = resolve_in(
        Phase::Exporter,
        15,
        &["-uid=0x10", "app"],
        &[("CNB_GROUP_ID", "1000")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!((fine.uid, fine.gid), (16, 1000));
    let empty = resolve_in(Phase::Restorer, 15, &[], &[("CNB_USER_ID", "")], cwd.path());
    assert_eq!(empty.unwrap().uid, 0);
}

#[test]
fn the_kaniko_dir_is_fixed_unless_our_own_variable_moves_it() {
    let cwd = tempfile::tempdir().unwrap();
    let fixed = resolve_in(Phase::Restorer, 15, &[], &[], cwd.path()).unwrap();
    assert_eq!(fixed.kaniko_dir, Path::new("/kaniko"));
    let moved = resolve_in(
        Phase::Restorer,
        15,
        &[],
        &[("CNB_KANIKO_DIR", "kaniko-here")],
        cwd.path(),
    )
    .unwrap();
    assert_eq!(moved.kaniko_dir, cwd.path().join("kaniko-here"));
    let empty = resolve_in(
        Phase::Extender,
        12,
        &[],
        &[("CNB_KANIKO_DIR", "")],
        cwd.path(),
    );
    assert_eq!(empty.unwrap().kaniko_dir, Path::new("/kaniko"));
}
