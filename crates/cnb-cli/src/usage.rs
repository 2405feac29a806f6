//! The usage text of a phase: its flags at the requested Platform API, each with the variable
//! and default behind it, from the same table the parser and resolver use.

use std::fmt::Write as _;

use cnb_api::{Phase, PlatformApi};
use cnb_platform::{FlagDef, FlagKind, documented_source, flags_for};

/// `Usage of <phase>:` and one entry per flag, in the layout of Go's `flag.PrintDefaults`.
pub(crate) fn text(phase: Phase, api: PlatformApi) -> String {
    let positionals = match cnb_platform::arity(phase) {
        cnb_platform::Arity::None => "",
        cnb_platform::Arity::One => " <image>",
        cnb_platform::Arity::AtLeastOne => " <image> [<tag>...]",
    };
    let mut text = format!("Usage of {phase} (Platform API {api}): {phase} [flags]{positionals}\n");
    text.push_str(&flags(&flags_for(phase, api)));
    text
}

/// One entry per flag of `defs`, with the variable and default behind it.
pub(crate) fn flags(defs: &[FlagDef]) -> String {
    let mut text = String::new();
    for def in defs {
        let kind = match def.kind {
            FlagKind::Bool => "",
            FlagKind::String | FlagKind::List => " string",
            FlagKind::Int => " int",
            FlagKind::Duration => " duration",
        };
        let (env, default) = documented_source(def.name);
        let mut notes = Vec::new();
        if let Some(env) = env {
            notes.push(format!("env {env}"));
        }
        if let Some(default) = default {
            notes.push(format!("default {default}"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let _ = writeln!(text, "  -{}{kind}\n    \t{}{notes}", def.name, def.usage);
    }
    text
}
