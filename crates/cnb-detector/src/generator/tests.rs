use std::path::PathBuf;

use cnb_api::check_platform_api;
use cnb_files::analyzed::{RunImage, TargetMetadata};
use cnb_files::run::RunImageForExport;
use pretty_assertions::assert_eq;

use super::*;
use crate::DetectorConfig;

fn detector(api: &str, generated: &Path) -> Detector {
    Detector::new(DetectorConfig {
        platform_api: check_platform_api(Some(api)).unwrap(),
        app_dir: PathBuf::from("/app"),
        platform_dir: PathBuf::from("/platform"),
        build_config_dir: PathBuf::from("/build-config"),
        buildpacks_dir: PathBuf::from("/buildpacks"),
        extensions_dir: PathBuf::from("/extensions"),
        generated_dir: generated.to_path_buf(),
        run_path: PathBuf::from("/run.toml"),
        image_name: |name| name.trim_end_matches(":latest").to_owned(),
        order_path: PathBuf::from("/order.toml"),
        system_path: PathBuf::from("/system.toml"),
        analyzed_path: PathBuf::from("/analyzed.toml"),
        group_path: PathBuf::from("/group.toml"),
        plan_path: PathBuf::from("/plan.toml"),
        exec_env: "production".into(),
        environ: Vec::new(),
        os_release_path: PathBuf::from("/etc/os-release"),
    })
}

fn run_dockerfile(extension: &str, new_base: Option<&str>, extend: bool) -> Generated {
    Generated {
        extension: extension.into(),
        kind: Kind::Run,
        path: PathBuf::from(format!("/out/{extension}/run.Dockerfile")),
        new_base: new_base.map(str::to_owned),
        extend,
        ignore: false,
    }
}

fn build_dockerfile(extension: &str) -> Generated {
    Generated {
        kind: Kind::Build,
        path: PathBuf::from(format!("/out/{extension}/build.Dockerfile")),
        ..run_dockerfile(extension, None, true)
    }
}

fn analyzed() -> Analyzed {
    Analyzed {
        run_image: Some(RunImage {
            reference: "reg/run@sha256:abc".into(),
            image: Some("reg/run".into()),
            extend: None,
            target: Some(TargetMetadata {
                os: "linux".into(),
                arch: "amd64".into(),
                ..TargetMetadata::default()
            }),
        }),
        ..Analyzed::default()
    }
}

fn run_toml(images: &[&str]) -> Run {
    Run {
        images: images
            .iter()
            .map(|image| RunImageForExport {
                image: Some((*image).to_owned()),
                mirrors: None,
            })
            .collect(),
    }
}

#[test]
fn the_last_switch_wins_and_earlier_run_dockerfiles_are_ignored() {
    let detector = detector("0.13", Path::new("/generated"));
    let mut dockerfiles = vec![
        run_dockerfile("a", Some("reg/a"), true),
        build_dockerfile("a"),
        run_dockerfile("b", None, true),
        run_dockerfile("c", Some("reg/c"), false),
    ];
    let result = detector.switch_run_image(&analyzed(), &mut dockerfiles, &run_toml(&["reg/c"]));
    let ignored: Vec<bool> = dockerfiles.iter().map(|d| d.ignore).collect();
    assert_eq!(ignored, [true, false, true, false]);
    assert_eq!(
        result.run_image,
        Some(RunImage {
            reference: "reg/c".into(),
            image: Some("reg/c".into()),
            extend: None,
            target: None,
        })
    );
}

#[test]
fn run_dockerfiles_after_the_switch_extend_the_new_image() {
    let detector = detector("0.12", Path::new("/generated"));
    let mut dockerfiles = vec![
        run_dockerfile("a", Some("reg/a:latest"), false),
        run_dockerfile("b", None, true),
    ];
    let result = detector.switch_run_image(&analyzed(), &mut dockerfiles, &run_toml(&[]));
    let run_image = result.run_image.unwrap();
    assert_eq!(run_image.image.as_deref(), Some("reg/a:latest"));
    assert_eq!(run_image.reference, "reg/a:latest");
    assert_eq!(run_image.extend, Some(true));
    assert_eq!(run_image.target, None);
}

#[test]
fn extending_only_keeps_the_run_image_and_its_target() {
    let detector = detector("0.13", Path::new("/generated"));
    let mut dockerfiles = vec![build_dockerfile("a"), run_dockerfile("a", None, true)];
    let result = detector.switch_run_image(&analyzed(), &mut dockerfiles, &run_toml(&[]));
    let mut expected = analyzed();
    expected.run_image.as_mut().unwrap().extend = Some(true);
    assert_eq!(result, expected);

    let mut only_build = vec![build_dockerfile("a")];
    let result = detector.switch_run_image(&analyzed(), &mut only_build, &run_toml(&[]));
    assert_eq!(
        result,
        analyzed(),
        "a build.Dockerfile leaves the run image alone"
    );
}

#[test]
fn a_switch_to_the_same_image_changes_nothing_from_platform_api_0_12() {
    let at = |api| detector(api, Path::new("/generated"));
    let mut dockerfiles = vec![run_dockerfile("a", Some("reg/run"), false)];
    let same = at("0.12").switch_run_image(&analyzed(), &mut dockerfiles, &run_toml(&[]));
    assert_eq!(same, analyzed());
    let before = at("0.11").switch_run_image(&analyzed(), &mut dockerfiles, &run_toml(&[]));
    let run_image = before.run_image.unwrap();
    assert_eq!(
        (run_image.reference.as_str(), run_image.target),
        ("reg/run", None)
    );
}

#[test]
fn dockerfiles_are_placed_in_the_layout_of_the_platform_api() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out/ext_a");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("run.Dockerfile"), "FROM reg/a\n").unwrap();
    fs::write(
        out.join("build.Dockerfile"),
        "ARG base_image\nFROM ${base_image}\n",
    )
    .unwrap();
    fs::write(
        out.join("extend-config.toml"),
        "[[build.args]]\nname = \"x\"\n",
    )
    .unwrap();
    let dockerfiles = |ignore| {
        vec![
            Generated {
                extension: "ext/a".into(),
                path: out.join("run.Dockerfile"),
                ignore,
                ..run_dockerfile("ext/a", Some("reg/a"), false)
            },
            Generated {
                extension: "ext/a".into(),
                path: out.join("build.Dockerfile"),
                ..build_dockerfile("ext/a")
            },
        ]
    };

    let generated = root.path().join("generated-0.12");
    detector("0.12", &generated)
        .place(&dockerfiles(true))
        .unwrap();
    let read = |path: &str| fs::read_to_string(generated.join(path)).unwrap();
    assert_eq!(read("run/ext_a/Dockerfile.ignore"), "FROM reg/a\n");
    assert!(!generated.join("run/ext_a/Dockerfile").exists());
    assert_eq!(
        read("build/ext_a/Dockerfile"),
        "ARG base_image\nFROM ${base_image}\n"
    );
    assert_eq!(
        read("build/ext_a/extend-config.toml"),
        "[[build.args]]\nname = \"x\"\n"
    );
    assert_eq!(
        read("run/ext_a/extend-config.toml"),
        "[[build.args]]\nname = \"x\"\n"
    );

    detector("0.13", root.path())
        .place(&dockerfiles(true))
        .unwrap();
    assert!(out.join("run.Dockerfile.ignore").is_file());
    assert!(!out.join("run.Dockerfile").exists());
    assert!(out.join("build.Dockerfile").is_file());
}
