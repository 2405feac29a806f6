//! Field-by-field differences between two JSON values (the config, the lifecycle's JSON
//! labels), each named by its path: `runImage.topLayer`, `buildpacks[samples/hello].version`,
//! `history[3].created_by`. Objects are compared key by key (in key order); arrays of objects
//! that carry a unique `key`, `id`, `type` or `name` are compared entry by entry by that field
//! (buildpacks, processes), other arrays of objects position by position, and arrays of
//! plain values whole.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::render;
use crate::section::Section;

/// Fields that name an entry of an array, in order of preference.
const ENTRY_KEYS: [&str; 4] = ["key", "id", "type", "name"];

/// Adds a line to `section` for every place where `first` and `second` differ; `path` names
/// the values themselves (empty at the top).
pub(crate) fn diff(path: &str, first: Option<&Value>, second: Option<&Value>, out: &mut Section) {
    match (first, second) {
        (Some(a), None) => out.push(line(
            path,
            &format!("only in the first image ({})", render::value(a)),
        )),
        (None, Some(b)) => out.push(line(
            path,
            &format!("only in the second image ({})", render::value(b)),
        )),
        (Some(Value::Object(a)), Some(Value::Object(b))) => objects(path, a, b, out),
        (Some(Value::Array(a)), Some(Value::Array(b))) => arrays(path, a, b, out),
        (Some(a), Some(b)) if a != b => out.push(line(path, &render::pair(a, b))),
        _ => {}
    }
}

/// Differences between two objects, key by key, keys in order.
pub(crate) fn objects(
    path: &str,
    first: &Map<String, Value>,
    second: &Map<String, Value>,
    out: &mut Section,
) {
    let keys: BTreeSet<&String> = first.keys().chain(second.keys()).collect();
    for key in keys {
        diff(
            &join(path, key),
            first.get(key.as_str()),
            second.get(key.as_str()),
            out,
        );
    }
}

fn arrays(path: &str, first: &[Value], second: &[Value], out: &mut Section) {
    if first == second {
        return;
    }
    if let Some(key) = entry_key(first, second) {
        let name = |entry: &Value| entry.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut names: Vec<String> = first.iter().filter_map(name).collect();
        for entry in second.iter().filter_map(name) {
            if !names.contains(&entry) {
                names.push(entry);
            }
        }
        for entry in names {
            let find = |side: &[Value]| {
                side.iter()
                    .find(|item| name(item).as_deref() == Some(entry.as_str()))
                    .cloned()
            };
            let at = format!("{path}[{}]", render::one_line(&entry));
            diff(&at, find(first).as_ref(), find(second).as_ref(), out);
        }
        return;
    }
    let structured = |side: &[Value]| {
        side.iter()
            .any(|item| matches!(item, Value::Object(_) | Value::Array(_)))
    };
    if !structured(first) && !structured(second) {
        let (a, b) = (Value::Array(first.to_vec()), Value::Array(second.to_vec()));
        out.push(line(path, &render::pair(&a, &b)));
        return;
    }
    if first.len() != second.len() {
        out.push(line(
            path,
            &format!("{} entries vs {}", first.len(), second.len()),
        ));
    }
    for (index, (a, b)) in first.iter().zip(second).enumerate() {
        diff(&format!("{path}[{index}]"), Some(a), Some(b), out);
    }
}

/// The field that names every entry of both arrays uniquely, if one does.
fn entry_key(first: &[Value], second: &[Value]) -> Option<&'static str> {
    ENTRY_KEYS.into_iter().find(|key| {
        [first, second].iter().all(|side| {
            let mut seen = BTreeSet::new();
            side.iter().all(|entry| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|name| seen.insert(name))
            })
        })
    })
}

fn join(path: &str, key: &str) -> String {
    let key = render::one_line(key);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn line(path: &str, text: &str) -> String {
    if path.is_empty() {
        text.to_owned()
    } else {
        format!("{path}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn lines(first: &Value, second: &Value) -> Vec<String> {
        let mut out = Section::new("label x", 20);
        diff("", Some(first), Some(second), &mut out);
        out.into_lines()
    }

    #[test]
    fn buildpacks_are_matched_by_key_and_fields_named_by_path() {
        let sha = |n: u8| format!("sha256:{}", format!("{n:02x}").repeat(32));
        let first = json!({
            "buildpacks": [
                {"key": "samples/hello", "version": "0.1", "layers": {"deps": {"sha": sha(1), "launch": true}}},
                {"key": "samples/gone", "version": "1"}
            ],
            "runImage": {"topLayer": sha(3), "reference": "run@x"},
            "app": [{"sha": sha(4)}]
        });
        let second = json!({
            "buildpacks": [
                {"key": "samples/new", "version": "2"},
                {"key": "samples/hello", "version": "0.2", "layers": {"deps": {"sha": sha(2), "launch": true}}}
            ],
            "runImage": {"topLayer": sha(3), "reference": "run@x"},
            "app": [{"sha": sha(4)}, {"sha": sha(5)}]
        });
        assert_eq!(
            lines(&first, &second),
            [
                "label x: app: 1 entries vs 2",
                "label x: buildpacks[samples/hello].layers.deps.sha: sha256:010101010101 vs sha256:020202020202",
                "label x: buildpacks[samples/hello].version: \"0.1\" vs \"0.2\"",
                "label x: buildpacks[samples/gone]: only in the first image ({\"key\":\"samples/gone\",\"version\":\"1\"})",
                "label x: buildpacks[samples/new]: only in the second image ({\"key\":\"samples/new\",\"version\":\"2\"})",
            ]
        );
    }

    #[test]
    fn arrays_of_plain_values_compare_whole_and_processes_by_type() {
        let first = json!({"processes": [{"type": "web", "command": ["a"]}], "Cmd": ["x", "y"]});
        let second = json!({"processes": [{"type": "web", "command": ["b"]}], "Cmd": ["x"]});
        assert_eq!(
            lines(&first, &second),
            [
                "label x: Cmd: [\"x\",\"y\"] vs [\"x\"]",
                "label x: processes[web].command: [\"a\"] vs [\"b\"]",
            ]
        );
        assert!(lines(&first, &first).is_empty());
        assert_eq!(lines(&json!("a"), &json!(1)), ["label x: \"a\" vs 1"]);
    }
}
