use super::*;

fn image(os: &str, arch: &str, labels: &[(&str, &str)]) -> ImageConfig {
    let mut config = ImageConfig {
        os: os.into(),
        architecture: arch.into(),
        ..ImageConfig::default()
    };
    for (key, value) in labels {
        config.set_label(key, value);
    }
    config
}

fn recorded(minor: u64) -> Option<PlatformApi> {
    let api = PlatformApi::recorded(cnb_api::Version::new(0, minor));
    (minor > 0).then_some(api)
}

#[test]
fn before_0_12_stack_ids_must_be_present_and_equal() {
    let app = image("linux", "amd64", &[(STACK_ID, "a")]);
    let same = image("linux", "arm64", &[(STACK_ID, "a")]);
    let other = image("linux", "amd64", &[(STACK_ID, "b")]);
    let none = image("linux", "amd64", &[]);
    assert!(validate(&app, &same, recorded(11), false).is_ok());
    assert!(validate(&app, &same, None, false).is_ok());
    let err = validate(&app, &other, recorded(11), true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "incompatible stack: 'b' is not compatible with 'a'"
    );
    let err = validate(&none, &same, None, false).unwrap_err();
    assert_eq!(err.to_string(), "stack not defined on app image");
    let err = validate(&app, &none, None, false).unwrap_err();
    assert_eq!(err.to_string(), "stack not defined on new base image");
}

#[test]
fn before_0_12_the_new_base_covers_the_app_mixins_without_stage_prefixes() {
    let app = image(
        "linux",
        "amd64",
        &[(STACK_ID, "s"), (MIXINS, r#"["build:x","run:y","z","q"]"#)],
    );
    let covers = image(
        "linux",
        "amd64",
        &[
            (STACK_ID, "s"),
            (MIXINS, r#"["x","run:y","z","q","extra"]"#),
        ],
    );
    let lacks = image("linux", "amd64", &[(STACK_ID, "s"), (MIXINS, r#"["x"]"#)]);
    assert!(validate(&app, &covers, recorded(10), false).is_ok());
    let err = validate(&app, &lacks, recorded(10), true).unwrap_err();
    assert_eq!(err.to_string(), "missing required mixin(s): q, y, z");
    let garbage = image("linux", "amd64", &[(STACK_ID, "s"), (MIXINS, "{")]);
    let err = validate(&garbage, &covers, None, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parsing io.buildpacks.stack.mixins of app image"
    );
}

#[test]
fn from_0_12_stacks_are_not_checked_but_rebasable_false_needs_force() {
    let app = image("linux", "amd64", &[(STACK_ID, "a"), (REBASABLE, "false")]);
    let base = image("linux", "amd64", &[(STACK_ID, "b")]);
    let err = validate(&app, &base, recorded(12), false).unwrap_err();
    assert!(matches!(err, Error::NotRebasable));
    assert!(validate(&app, &base, recorded(12), true).is_ok());
    let rebasable = image("linux", "amd64", &[(REBASABLE, "true")]);
    assert!(validate(&rebasable, &base, recorded(13), false).is_ok());
}

#[test]
fn from_0_12_the_target_must_match_unless_forced() {
    let distro = |name, version| [(DISTRO_NAME, name), (DISTRO_VERSION, version)];
    let app = image("linux", "amd64", &distro("ubuntu", "22.04"));
    let arm = image("linux", "arm64", &distro("ubuntu", "22.04"));
    let newer = image("linux", "amd64", &distro("ubuntu", "24.04"));
    let any_version = image("linux", "amd64", &distro("ubuntu", ""));
    let no_distro = image("linux", "amd64", &[]);
    assert!(validate(&app, &any_version, recorded(12), false).is_ok());
    assert!(validate(&app, &no_distro, recorded(12), false).is_ok());
    assert!(validate(&no_distro, &app, recorded(12), false).is_err());
    assert!(validate(&app, &newer, recorded(12), false).is_err());
    let err = validate(&app, &arm, recorded(14), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unable to satisfy target os/arch constraints; new run image: {"os":"linux","arch":"arm64","distro":{"name":"ubuntu","version":"22.04"}}, old run image: {"os":"linux","arch":"amd64","distro":{"name":"ubuntu","version":"22.04"}}; please provide -force to override"#
    );
    assert!(validate(&app, &arm, recorded(14), true).is_ok());
}

#[test]
fn variants_match_when_either_is_unset() {
    let with = |variant: Option<&str>| ImageConfig {
        variant: variant.map(Into::into),
        ..image("linux", "arm", &[])
    };
    assert!(validate(&with(Some("v7")), &with(None), recorded(12), false).is_ok());
    assert!(validate(&with(None), &with(Some("v6")), recorded(12), false).is_ok());
    assert!(validate(&with(Some("v7")), &with(Some("v6")), recorded(12), false).is_err());
}
