//! The config compared field by field: `created`, `os`/`architecture`/`variant`, `history`, the
//! container defaults (`Env` variable by variable, `Entrypoint`, `Cmd`, `User`, `WorkingDir`,
//! …) and any field this lifecycle does not model; then the labels, key by key, the JSON ones
//! (`io.buildpacks.lifecycle.metadata`, `io.buildpacks.build.metadata`, …) field by field. The
//! layer list (`rootfs`) is left to the layer comparison.

use std::collections::{BTreeMap, BTreeSet};

use cnb_image::ImageConfig;
use serde_json::{Map, Value};

use crate::json;
use crate::section::Section;

/// The `config` section, then one `label <key>` section per differing label.
pub(crate) fn compare(first: &ImageConfig, second: &ImageConfig, cap: usize) -> Vec<Section> {
    let mut config = Section::new("config", cap);
    json::objects("", &fields(first), &fields(second), &mut config);
    let mut sections = vec![config];
    let (a, b) = (first.labels(), second.labels());
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let mut label = Section::new(format!("label {key}"), cap);
        match (a.get(key.as_str()), b.get(key.as_str())) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => match (structured(x), structured(y)) {
                (Some(x), Some(y)) => json::diff("", Some(&x), Some(&y), &mut label),
                _ => json::diff(
                    "",
                    Some(&Value::String(x.clone())),
                    Some(&Value::String(y.clone())),
                    &mut label,
                ),
            },
            (x, y) => json::diff(
                "",
                x.cloned().map(Value::String).as_ref(),
                y.cloned().map(Value::String).as_ref(),
                &mut label,
            ),
        }
        sections.push(label);
    }
    sections
}

/// A label value that is a JSON object or array.
fn structured(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .filter(|value| matches!(value, Value::Object(_) | Value::Array(_)))
}

/// The config's fields but `rootfs` and the labels, the container defaults lifted to the top
/// (their names are capitalised, the image's are not) and `Env` as a map of variables.
fn fields(config: &ImageConfig) -> Map<String, Value> {
    let mut fields = match serde_json::to_value(config) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    fields.remove("rootfs");
    if let Some(Value::Object(runtime)) = fields.remove("config") {
        for (key, value) in runtime {
            match key.as_str() {
                "Labels" => {}
                "Env" => {
                    fields.insert(key, env_map(&value));
                }
                _ => {
                    fields.insert(key, value);
                }
            }
        }
    }
    fields
}

/// `["K=v", …]` as `{"K": "v", …}` (a later entry wins, as for a container).
fn env_map(env: &Value) -> Value {
    let mut vars = BTreeMap::new();
    for pair in env
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        vars.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    Value::Object(vars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use cnb_image::History;
    use pretty_assertions::assert_eq;

    use super::*;

    fn config() -> ImageConfig {
        let mut config = ImageConfig {
            os: "linux".into(),
            architecture: "amd64".into(),
            created: Some("1980-01-01T00:00:01Z".into()),
            ..ImageConfig::default()
        };
        config.config.env = Some(vec!["PATH=/bin".into(), "CNB_APP_DIR=/workspace".into()]);
        config.config.entrypoint = Some(vec!["/cnb/process/web".into()]);
        config.config.working_dir = Some("/workspace".into());
        config.history = vec![History {
            created_by: Some("Buildpacks Launcher Config".into()),
            ..History::default()
        }];
        config.set_label(
            "io.buildpacks.build.metadata",
            r#"{"buildpacks":[{"id":"samples/hello","version":"0.1"}],"processes":[{"type":"web","command":["run"]}]}"#,
        );
        config.set_label("io.buildpacks.stack.id", "io.buildpacks.samples");
        config.rootfs.diff_ids.push(cnb_image::Digest::of(b"layer"));
        config
    }

    fn lines(first: &ImageConfig, second: &ImageConfig) -> Vec<String> {
        compare(first, second, 10)
            .into_iter()
            .flat_map(Section::into_lines)
            .collect()
    }

    #[test]
    fn the_same_config_has_no_differences() {
        assert!(lines(&config(), &config()).is_empty());
    }

    #[test]
    fn fields_variables_and_json_labels_are_named() {
        let first = config();
        let mut second = config();
        second.created = Some("2024-05-01T10:00:00Z".into());
        second.architecture = "arm64".into();
        second.config.env = Some(vec![
            "PATH=/usr/bin:/bin".into(),
            "CNB_APP_DIR=/workspace".into(),
            "NEW=1".into(),
        ]);
        second.config.entrypoint = Some(vec!["/cnb/process/worker".into()]);
        second.config.user = Some("1000:1000".into());
        second.history[0].created_by = Some("Buildpacks Application Launcher".into());
        second.set_label(
            "io.buildpacks.build.metadata",
            r#"{"buildpacks":[{"id":"samples/hello","version":"0.2"}],"processes":[{"type":"web","command":["run"]}]}"#,
        );
        second.set_label("io.buildpacks.stack.id", "other");
        second.set_label("org.opencontainers.image.source", "x");
        second
            .rootfs
            .diff_ids
            .push(cnb_image::Digest::of(b"another layer"));
        assert_eq!(
            lines(&first, &second),
            [
                "config: Entrypoint: [\"/cnb/process/web\"] vs [\"/cnb/process/worker\"]",
                "config: Env.NEW: only in the second image (\"1\")",
                "config: Env.PATH: \"/bin\" vs \"/usr/bin:/bin\"",
                "config: User: only in the second image (\"1000:1000\")",
                "config: architecture: \"amd64\" vs \"arm64\"",
                "config: created: \"1980-01-01T00:00:01Z\" vs \"2024-05-01T10:00:00Z\"",
                "config: history[0].created_by: \"Buildpacks Launcher Config\" vs \"Buildpacks Application Launcher\"",
                "label io.buildpacks.build.metadata: buildpacks[samples/hello].version: \"0.1\" vs \"0.2\"",
                "label io.buildpacks.stack.id: \"io.buildpacks.samples\" vs \"other\"",
                "label org.opencontainers.image.source: only in the second image (\"x\")",
            ]
        );
    }
}
