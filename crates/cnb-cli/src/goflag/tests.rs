use cnb_platform::{FlagDef, FlagKind};
use pretty_assertions::assert_eq;

use super::*;

const DEFS: &[FlagDef] = &[
    FlagDef {
        name: "app",
        kind: FlagKind::String,
        usage: "",
    },
    FlagDef {
        name: "daemon",
        kind: FlagKind::Bool,
        usage: "",
    },
    FlagDef {
        name: "tag",
        kind: FlagKind::List,
        usage: "",
    },
    FlagDef {
        name: "uid",
        kind: FlagKind::Int,
        usage: "",
    },
    FlagDef {
        name: "kaniko-cache-ttl",
        kind: FlagKind::Duration,
        usage: "",
    },
];

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|arg| (*arg).to_owned()).collect()
}

fn ok(list: &[&str]) -> FlagValues {
    parse(DEFS, &args(list)).unwrap()
}

#[test]
fn accepts_every_go_value_form() {
    for form in [
        &["-app", "/w"][..],
        &["-app=/w"],
        &["--app", "/w"],
        &["--app=/w"],
    ] {
        assert_eq!(ok(form).last("app"), Some("/w"), "{form:?}");
    }
}

#[test]
fn keeps_values_containing_equals_and_dashes() {
    assert_eq!(ok(&["-app=a=b"]).last("app"), Some("a=b"));
    assert_eq!(
        ok(&["-app", "-not-a-flag"]).last("app"),
        Some("-not-a-flag")
    );
}

#[test]
fn bool_flags_never_take_the_next_argument() {
    let values = ok(&["-daemon", "false"]);
    assert_eq!(values.last("daemon"), Some("true"));
    assert_eq!(values.positionals(), ["false"]);
    assert_eq!(ok(&["-daemon=false"]).last("daemon"), Some("false"));
    assert_eq!(ok(&["--daemon=T"]).last("daemon"), Some("T"));
    assert_eq!(
        parse(DEFS, &args(&["-daemon=yes"])),
        Err(FlagError::BadBool {
            flag: "daemon".into(),
            value: "yes".into()
        })
    );
}

#[test]
fn explicit_empty_values_are_kept_as_empty() {
    let values = ok(&["-app=", "-tag=", "img"]);
    assert_eq!(values.last("app"), Some(""));
    assert_eq!(values.all("tag"), [""]);
    assert_eq!(values.positionals(), ["img"]);
}

#[test]
fn list_flags_repeat_and_scalars_keep_the_last() {
    let values = ok(&["-tag", "a", "-tag=b", "-app=1", "-app=2"]);
    assert_eq!(values.all("tag"), ["a", "b"]);
    assert_eq!(values.last("app"), Some("2"));
}

#[test]
fn parsing_stops_at_the_first_positional_and_after_double_dash() {
    let values = ok(&["-app=/w", "img", "-daemon", "tag"]);
    assert_eq!(values.last("daemon"), None);
    assert_eq!(values.positionals(), ["img", "-daemon", "tag"]);
    let values = ok(&["--", "-daemon"]);
    assert_eq!(values.positionals(), ["-daemon"]);
    assert_eq!(ok(&["-", "x"]).positionals(), ["-", "x"]);
}

#[test]
fn refuses_what_go_refuses() {
    assert_eq!(
        parse(DEFS, &args(&["-nope"])),
        Err(FlagError::Undefined("nope".into()))
    );
    assert_eq!(
        parse(DEFS, &args(&["-nope=1"])),
        Err(FlagError::Undefined("nope".into()))
    );
    assert_eq!(
        parse(DEFS, &args(&["---app"])),
        Err(FlagError::BadSyntax("---app".into()))
    );
    assert_eq!(
        parse(DEFS, &args(&["-=x"])),
        Err(FlagError::BadSyntax("-=x".into()))
    );
    assert_eq!(
        parse(DEFS, &args(&["-app"])),
        Err(FlagError::MissingValue("app".into()))
    );
    assert_eq!(
        parse(DEFS, &args(&["-uid", "root"])),
        Err(FlagError::BadValue {
            flag: "uid".into(),
            value: "root".into()
        })
    );
    assert_eq!(
        parse(DEFS, &args(&["-kaniko-cache-ttl=2weeks"])),
        Err(FlagError::BadValue {
            flag: "kaniko-cache-ttl".into(),
            value: "2weeks".into()
        })
    );
    assert_eq!(
        parse(DEFS, &args(&["-é=1"])),
        Err(FlagError::Undefined("é".into()))
    );
}

#[test]
fn help_is_requested_by_h_and_help() {
    for form in ["-h", "--h", "-help", "--help"] {
        assert_eq!(parse(DEFS, &args(&[form])), Err(FlagError::Help), "{form}");
    }
}

#[test]
fn error_messages_match_go() {
    assert_eq!(
        FlagError::Undefined("x".into()).to_string(),
        "flag provided but not defined: -x"
    );
    assert_eq!(
        FlagError::MissingValue("app".into()).to_string(),
        "flag needs an argument: -app"
    );
}
