//! The image config blob (OCI image-spec `config.md`; the Docker config has the same shape).
//! Fields are written in go-containerregistry's order, maps sorted by key, and fields this
//! lifecycle does not model are kept after the known ones, so reading and writing back an
//! unchanged config changes nothing but whitespace and order of unknown fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::manifest::ParseError;
use crate::{Digest, Platform};

/// The whole image config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture (`amd64`).
    #[serde(default)]
    pub architecture: String,
    /// Who made the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// One entry per layer-making step (some without a layer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// The uncompressed layer digests.
    #[serde(default)]
    pub rootfs: RootFs,
    /// How to run a container from the image.
    #[serde(default)]
    pub config: RuntimeConfig,
    /// CPU variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Fields not modelled above (`os.version`, `container`, …), kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `config` inside the image config: the container defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeConfig {
    /// Default arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// The entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=value` pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `user[:group]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Volume mount points (values are empty objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Value>>,
    /// The working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `port/proto` entries (values are empty objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// The signal that stops the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Fields not modelled above (`Healthcheck`, `Shell`, …), kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `rootfs`: the layers as uncompressed digests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// One diffID per layer, base first.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Who made the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// RFC 3339 time of the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command of the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the step made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
    /// Fields not modelled above, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Default for RootFs {
    fn default() -> Self {
        Self {
            kind: "layers".to_owned(),
            diff_ids: Vec::new(),
        }
    }
}

impl ImageConfig {
    /// Parses config JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError {
            what: "config",
            source,
        })
    }

    /// The config as compact JSON; the same config always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Plain data with string keys always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The label `key`, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.config.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// All labels (empty when the config has none).
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.config.labels.clone().unwrap_or_default()
    }

    /// Sets label `key` to `value`.
    pub fn set_label(&mut self, key: &str, value: &str) {
        self.config
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), value.to_owned());
    }

    /// The value of environment variable `name` in `config.Env`.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.config.env.as_ref()?.iter().find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then_some(value)
        })
    }

    /// The config's platform: OS, architecture and variant.
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
        }
    }
}

/// `seconds` since the epoch as an RFC 3339 time in UTC (`2022-01-05T05:05:05Z`), as Go
/// formats a `time.Unix` value in an image config.
pub fn rfc3339_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339_utc(1_641_359_105), "2022-01-05T05:05:05Z");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    const DOCKER: &str = r#"{
      "architecture": "amd64", "os": "linux", "os.version": "10", "created": "2024-01-01T00:00:00Z",
      "config": {"User": "1000:1000", "Env": ["PATH=/bin", "CNB_USER_ID=1000", "EMPTY="],
                 "Cmd": null, "Labels": {"b": "2", "a": "1"}, "ExposedPorts": {"8080/tcp": {}},
                 "Healthcheck": {"Test": ["NONE"]}, "StopSignal": "SIGTERM"},
      "rootfs": {"type": "layers", "diff_ids": ["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
      "history": [{"created_by": "umoci", "empty_layer": true, "x": 1}],
      "container": "abc"
    }"#;

    #[test]
    fn reads_a_full_config_and_keeps_unknown_fields() {
        let config = ImageConfig::from_json(DOCKER.as_bytes()).unwrap();
        assert_eq!(config.platform().os, "linux");
        assert_eq!(config.config.user.as_deref(), Some("1000:1000"));
        assert_eq!(config.env("CNB_USER_ID"), Some("1000"));
        assert_eq!(config.env("EMPTY"), Some(""));
        assert_eq!(config.env("MISSING"), None);
        assert_eq!(config.label("a"), Some("1"));
        assert_eq!(config.rootfs.diff_ids.len(), 1);
        assert!(config.history[0].empty_layer);
        assert_eq!(config.other["os.version"], "10");
        assert_eq!(config.config.other["Healthcheck"]["Test"][0], "NONE");
        let again = ImageConfig::from_json(&config.to_json()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn writes_in_a_fixed_order_with_sorted_maps() {
        let mut config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..ImageConfig::default()
        };
        config.set_label("z", "1");
        config.set_label("a", "2");
        assert_eq!(
            String::from_utf8(config.to_json()).unwrap(),
            r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"a":"2","z":"1"}}}"#
        );
        assert_eq!(config.labels().len(), 2);
    }

    #[test]
    fn garbage_is_an_error_naming_the_document() {
        let err = ImageConfig::from_json(b"[]").unwrap_err();
        assert_eq!(err.to_string(), "invalid config JSON");
    }
}
