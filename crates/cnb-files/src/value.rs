//! Free-form data moves between TOML files and JSON labels (layer `metadata` ↔ `data`, store
//! and project metadata). These two functions do that the way Go's `any` round trip does,
//! except that JSON integers stay integers (Go turns them into floats).

/// TOML to JSON: datetimes become their TOML text, table keys are sorted (as Go's `map`
/// encoding sorts them), and non-finite floats become `null`.
pub fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        toml::Value::String(text) => Json::String(text.clone()),
        toml::Value::Integer(number) => Json::from(*number),
        toml::Value::Float(number) => {
            serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
        }
        toml::Value::Boolean(flag) => Json::Bool(*flag),
        toml::Value::Datetime(datetime) => Json::String(datetime.to_string()),
        toml::Value::Array(items) => Json::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Json::Object(table_to_object(table)),
    }
}

/// A TOML table as a JSON object, keys sorted.
pub fn table_to_object(table: &toml::Table) -> serde_json::Map<String, serde_json::Value> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
        .into_iter()
        .map(|(key, value)| (key.clone(), toml_to_json(value)))
        .collect()
}

/// JSON to TOML. TOML has no null, so `null` gives `None` and null members and items are
/// dropped; integers beyond `i64` become floats.
pub fn json_to_toml(value: &serde_json::Value) -> Option<toml::Value> {
    use serde_json::Value as Json;
    Some(match value {
        Json::Null => return None,
        Json::Bool(flag) => toml::Value::Boolean(*flag),
        Json::Number(number) => match number.as_i64() {
            Some(integer) => toml::Value::Integer(integer),
            None => toml::Value::Float(number.as_f64()?),
        },
        Json::String(text) => toml::Value::String(text.clone()),
        Json::Array(items) => toml::Value::Array(items.iter().filter_map(json_to_toml).collect()),
        Json::Object(object) => toml::Value::Table(object_to_table(object)),
    })
}

/// A JSON object as a TOML table, null members dropped.
pub fn object_to_table(object: &serde_json::Map<String, serde_json::Value>) -> toml::Table {
    object
        .iter()
        .filter_map(|(key, value)| json_to_toml(value).map(|value| (key.clone(), value)))
        .collect()
}

/// How many levels of objects and arrays label data (a layer's `data`, a store's `metadata`)
/// may hold to come back as a TOML `[metadata]` table. The TOML parser refuses documents nested
/// 80 deep (its stack guard), and `analyzed.toml` puts the data 5 levels down already: deeper
/// data would give files the next phase cannot read.
pub const MAX_DATA_DEPTH: usize = 64;

/// A JSON value as a TOML table when it is an object nested at most [`MAX_DATA_DEPTH`] deep;
/// anything else has no TOML table form (deeper data is not restored, like `null` data).
pub fn json_to_table(value: &serde_json::Value) -> Option<toml::Table> {
    if depth(value) > MAX_DATA_DEPTH {
        return None;
    }
    value.as_object().map(object_to_table)
}

/// Levels of objects and arrays in `value` (a scalar has none). Recursive: parsed JSON nests at
/// most 128 deep.
fn depth(value: &serde_json::Value) -> usize {
    use serde_json::Value as Json;
    match value {
        Json::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Json::Object(object) => 1 + object.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn round_trips_through_json_with_sorted_keys() {
        let table: toml::Table =
            toml::from_str("z = 1\na = [1.5, true]\n[t]\nwhen = 1979-05-27T07:32:00Z\n").unwrap();
        let json = serde_json::Value::Object(table_to_object(&table));
        assert_eq!(
            json.to_string(),
            r#"{"a":[1.5,true],"t":{"when":"1979-05-27T07:32:00Z"},"z":1}"#
        );
        let back = json_to_table(&json).unwrap();
        assert_eq!(back["z"], toml::Value::Integer(1));
        assert_eq!(
            back["t"]["when"],
            toml::Value::String("1979-05-27T07:32:00Z".into())
        );
    }

    #[test]
    fn data_nested_deeper_than_toml_files_hold_has_no_table_form() {
        let nested = |levels: usize| -> serde_json::Value {
            let text = format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
            serde_json::from_str(&text).unwrap()
        };
        assert!(json_to_table(&nested(MAX_DATA_DEPTH)).is_some());
        assert_eq!(json_to_table(&nested(MAX_DATA_DEPTH + 1)), None);
    }

    #[test]
    fn drops_nulls() {
        let json = serde_json::json!({"a": null, "b": [null, 2], "c": u64::MAX});
        let table = json_to_table(&json).unwrap();
        assert!(!table.contains_key("a"));
        assert_eq!(
            table["b"],
            toml::Value::Array(vec![toml::Value::Integer(2)])
        );
        assert!(table["c"].is_float());
        assert_eq!(json_to_table(&serde_json::Value::Null), None);
    }
}
