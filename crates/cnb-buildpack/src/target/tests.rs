use cnb_files::analyzed::OsDistro;
use cnb_files::buildpack::TargetDistro;
use pretty_assertions::assert_eq;

use super::*;

fn target(os: &str, arch: &str, distros: &[(&str, &str)]) -> Target {
    let opt = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Target {
        os: opt(os),
        arch: opt(arch),
        arch_variant: None,
        distros: distros
            .iter()
            .map(|(name, version)| TargetDistro {
                name: opt(name),
                version: opt(version),
            })
            .collect(),
    }
}

fn ubuntu() -> RunTarget {
    RunTarget {
        os: "linux".into(),
        arch: "amd64".into(),
        arch_variant: String::new(),
        distro: Some(Distro {
            name: "ubuntu".into(),
            version: "22.04".into(),
        }),
    }
}

#[test]
fn empty_fields_match_anything_and_distros_must_match_one() {
    let image = ubuntu();
    assert!(image.satisfies(&target("", "", &[])));
    assert!(image.satisfies(&target("linux", "", &[])));
    assert!(image.satisfies(&target("linux", "amd64", &[("ubuntu", "22.04")])));
    assert!(image.satisfies(&target(
        "linux",
        "amd64",
        &[("debian", "12"), ("ubuntu", "")]
    )));
    assert!(!image.satisfies(&target("linux", "arm64", &[])));
    assert!(!image.satisfies(&target("windows", "", &[])));
    assert!(!image.satisfies(&target("", "", &[("ubuntu", "18.04")])));
    let no_distro = RunTarget {
        distro: None,
        ..ubuntu()
    };
    assert!(!no_distro.satisfies(&target("linux", "", &[("ubuntu", "")])));
    assert!(no_distro.satisfies(&target("linux", "", &[])));
}

#[test]
fn env_names_only_what_is_known() {
    assert_eq!(
        ubuntu().env(),
        [
            ("CNB_TARGET_OS", "linux".to_owned()),
            ("CNB_TARGET_ARCH", "amd64".to_owned()),
            ("CNB_TARGET_DISTRO_NAME", "ubuntu".to_owned()),
            ("CNB_TARGET_DISTRO_VERSION", "22.04".to_owned()),
        ]
    );
    let bare = RunTarget {
        os: "linux".into(),
        arch: "arm".into(),
        arch_variant: "v7".into(),
        distro: None,
    };
    assert_eq!(bare.env().len(), 3);
    assert_eq!(bare.to_string(), "linux/arm/v7");
}

#[test]
fn parses_os_release() {
    let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
    assert_eq!(
        parse_os_release(text),
        Some(Distro {
            name: "debian".into(),
            version: "12".into()
        })
    );
    assert_eq!(parse_os_release("NAME=x\n\n# comment\n"), None);
}

#[test]
fn resolve_fills_gaps_from_os_release_and_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let os_release = dir.path().join("os-release");
    std::fs::write(&os_release, "ID=alpine\nVERSION_ID='3.20'\n").unwrap();
    let analyzed = TargetMetadata {
        os: "linux".into(),
        arch: "arm64".into(),
        ..TargetMetadata::default()
    };
    let resolved = RunTarget::resolve(Some(&analyzed), &os_release);
    assert_eq!(resolved.arch, "arm64");
    assert_eq!(
        resolved.distro,
        Some(Distro {
            name: "alpine".into(),
            version: "3.20".into()
        })
    );

    let with_distro = TargetMetadata {
        distro: Some(OsDistro {
            name: "ubuntu".into(),
            version: "24.04".into(),
        }),
        ..analyzed
    };
    let kept = RunTarget::resolve(Some(&with_distro), &os_release);
    assert_eq!(kept.distro.unwrap().name, "ubuntu");

    let nothing = RunTarget::resolve(None, &dir.path().join("missing"));
    assert_eq!(
        (nothing.os.as_str(), nothing.arch.as_str()),
        ("linux", host_arch())
    );
    assert_eq!(nothing.distro, None);
}
