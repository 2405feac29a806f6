//! The Engine API's answers this client reads, with only the fields it uses: image inspect
//! and history, info, and the JSON message stream of an image load; and how
//! requests spell names, platforms and queries.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cnb_image::Platform;
use serde::Deserialize;
use serde_json::Value;

/// `GET /images/{name}/json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Inspect {
    /// `sha256:<hex>`: the digest of the image's config.
    #[serde(rename = "Id")]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) created: Option<String>,
    #[serde(default)]
    pub(crate) author: Option<String>,
    #[serde(default)]
    pub(crate) architecture: Option<String>,
    #[serde(default)]
    pub(crate) variant: Option<String>,
    #[serde(default)]
    pub(crate) os: Option<String>,
    #[serde(default)]
    pub(crate) os_version: Option<String>,
    #[serde(default)]
    pub(crate) config: Option<ContainerConfig>,
    #[serde(rename = "RootFS", default)]
    pub(crate) root_fs: Option<RootFs>,
}

/// The container defaults in an inspect answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerConfig {
    #[serde(default)]
    pub(crate) user: Option<String>,
    #[serde(default)]
    pub(crate) env: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) cmd: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) working_dir: Option<String>,
    #[serde(default)]
    pub(crate) labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) volumes: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub(crate) exposed_ports: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub(crate) stop_signal: Option<String>,
    #[serde(default)]
    pub(crate) healthcheck: Option<Value>,
    #[serde(default)]
    pub(crate) shell: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) on_build: Option<Vec<String>>,
}

/// `RootFS` in an inspect answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RootFs {
    #[serde(rename = "Type", default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) layers: Vec<String>,
}

/// One entry of `GET /images/{name}/history`, newest first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct HistoryItem {
    /// Unix seconds.
    #[serde(default)]
    pub(crate) created: i64,
    #[serde(default)]
    pub(crate) created_by: String,
    #[serde(default)]
    pub(crate) comment: String,
}

/// `GET /info`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Info {
    #[serde(default)]
    pub(crate) driver_status: Option<Vec<Vec<String>>>,
}

impl Info {
    /// Whether images live in containerd's store (`driver-type io.containerd.snapshotter.v1`),
    /// which only loads layers sent with their bytes.
    pub(crate) fn uses_containerd_store(&self) -> bool {
        self.driver_status.iter().flatten().any(|pair| {
            pair.first().map(String::as_str) == Some("driver-type")
                && pair.get(1).map(String::as_str) == Some("io.containerd.snapshotter.v1")
        })
    }
}

/// One message of a JSON message stream (`POST /images/load`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(rename = "errorDetail", default)]
    pub(crate) error_detail: Option<ErrorDetail>,
}

/// `errorDetail`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub(crate) message: Option<String>,
}

impl Message {
    /// The error the message carries, if any.
    pub(crate) fn error(&self) -> Option<String> {
        self.error_detail
            .as_ref()
            .and_then(|detail| detail.message.clone())
            .or_else(|| self.error.clone())
            .filter(|message| !message.is_empty())
    }
}

/// The first error in a JSON message stream.
pub(crate) fn first_error(stream: &[u8]) -> Option<String> {
    serde_json::Deserializer::from_slice(stream)
        .into_iter::<Message>()
        .map_while(Result::ok)
        .find_map(|message| message.error())
}

/// An error answer's message: its JSON `message`, else the body as text.
pub(crate) fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_slice::<ErrorBody>(body).map_or_else(
        |_| String::from_utf8_lossy(body).trim().to_owned(),
        |error| error.message,
    )
}

/// The `platform` query value: the OCI platform as JSON, as the Go client encodes it.
pub(crate) fn platform_json(platform: &Platform) -> String {
    let mut value = serde_json::Map::new();
    value.insert("architecture".into(), platform.architecture.clone().into());
    value.insert("os".into(), platform.os.clone().into());
    if let Some(variant) = platform.variant.as_ref().filter(|v| !v.is_empty()) {
        value.insert("variant".into(), variant.clone().into());
    }
    Value::Object(value).to_string()
}

/// `text` percent-encoded for a URL path segment or query value; `keep` lists the reserved
/// characters left as they are (`/:@` in an image name, as the Go client leaves them).
pub(crate) fn encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || keep.as_bytes().contains(&byte)
        {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `?key=value&…`, values encoded; empty without pairs.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        out.push(if index == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&encode(value, ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_come_from_the_first_message_that_has_one() {
        let stream = br#"{"stream":"Loaded image: a:b\n"}
{"errorDetail":{"message":"invalid diffID for layer 0"},"error":"invalid diffID for layer 0"}"#;
        assert_eq!(
            first_error(stream).as_deref(),
            Some("invalid diffID for layer 0")
        );
        assert_eq!(
            first_error(br#"{"stream":"Loaded image ID: sha256:x\n"}"#),
            None
        );
        assert_eq!(
            first_error(br#"{"error":"disk full"}"#).as_deref(),
            Some("disk full")
        );
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_message(br#"{"message":"No such image: x:latest"}"#),
            "No such image: x:latest"
        );
        assert_eq!(error_message(b"page not found\n"), "page not found");
    }

    #[test]
    fn the_containerd_store_is_told_by_its_driver_type() {
        let info: Info = serde_json::from_str(
            r#"{"Driver":"overlayfs","DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]]}"#,
        )
        .unwrap();
        assert!(info.uses_containerd_store());
        let info: Info = serde_json::from_str(r#"{"Driver":"vfs","DriverStatus":null}"#).unwrap();
        assert!(!info.uses_containerd_store());
    }

    #[test]
    fn queries_and_names_are_encoded_as_the_go_client_sends_them() {
        let platform = Platform {
            architecture: "arm64".into(),
            os: "linux".into(),
            variant: Some("v8".into()),
        };
        assert_eq!(
            platform_json(&platform),
            r#"{"architecture":"arm64","os":"linux","variant":"v8"}"#
        );
        assert_eq!(
            query(&[("repo", "127.0.0.1:5000/app"), ("tag", "v1")]),
            "?repo=127.0.0.1%3A5000%2Fapp&tag=v1"
        );
        assert_eq!(
            encode("127.0.0.1:5000/a b@sha256:x", "/:@"),
            "127.0.0.1:5000/a%20b@sha256:x"
        );
        assert_eq!(query(&[]), "");
    }

    #[test]
    fn inspect_answers_parse_with_the_fields_used() {
        let inspect: Inspect = serde_json::from_str(
            r#"{"Id":"sha256:abc","Os":"linux","Architecture":"amd64","Created":"2024-01-01T00:00:00Z",
                "Config":{"Env":["A=1"],"Labels":{"l":"v"},"Cmd":null,"Healthcheck":{"Test":["NONE"]}},
                "RootFS":{"Type":"layers","Layers":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
                "ContainerConfig":{"Hostname":""}}"#,
        )
        .unwrap();
        assert_eq!(inspect.id, "sha256:abc");
        let config = inspect.config.unwrap();
        assert_eq!(config.env.unwrap(), ["A=1"]);
        assert!(config.healthcheck.is_some());
        assert_eq!(inspect.root_fs.unwrap().layers.len(), 1);
    }
}
