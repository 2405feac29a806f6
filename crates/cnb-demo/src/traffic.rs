//! What the registry received during one build, from the counting proxy's log: which blobs
//! were uploaded (and how many body bytes that took), which were mounted from another
//! repository, and the manifests written.

use std::collections::BTreeSet;

use cnb_testkit::SeenRequest;

/// The registry traffic of one build or rebase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    /// Digests of blobs uploaded (an upload that the registry accepted with 201).
    pub(crate) uploaded: BTreeSet<String>,
    /// Digests of blobs mounted from another repository (no bytes sent).
    pub(crate) mounted: BTreeSet<String>,
    /// Body bytes sent in blob uploads (`/blobs/uploads/`).
    pub(crate) upload_bytes: u64,
    /// Manifests written (PUT `/manifests/`, 201).
    pub(crate) manifests: usize,
    /// Body bytes of those manifests.
    pub(crate) manifest_bytes: u64,
    /// All requests.
    pub(crate) requests: usize,
}

impl Traffic {
    /// Sums up `requests`.
    pub(crate) fn of(requests: &[SeenRequest]) -> Self {
        let mut traffic = Self {
            requests: requests.len(),
            ..Self::default()
        };
        for request in requests {
            let accepted = request.status == Some(201);
            if request.path.contains("/blobs/uploads/") {
                traffic.upload_bytes += request.body_bytes;
                if !accepted {
                    continue;
                }
                if let Some(digest) = query_value(&request.path, "mount") {
                    traffic.mounted.insert(digest);
                } else if let Some(digest) = query_value(&request.path, "digest") {
                    traffic.uploaded.insert(digest);
                }
            } else if request.path.contains("/manifests/") && request.method == "PUT" && accepted {
                traffic.manifests += 1;
                traffic.manifest_bytes += request.body_bytes;
            }
        }
        traffic
    }
}

/// The value of `key` in the path's query, with `%3A` decoded (digests are `sha256:…`).
fn query_value(path: &str, key: &str) -> Option<String> {
    let (_, query) = path.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == key)
        .map(|(_, value)| value.replace("%3A", ":").replace("%3a", ":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(method: &str, path: &str, body_bytes: u64, status: u16) -> SeenRequest {
        SeenRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            body_bytes,
            status: Some(status),
        }
    }

    #[test]
    fn counts_uploads_mounts_and_manifests() {
        let traffic = Traffic::of(&[
            seen("HEAD", "/v2/demo/app/blobs/sha256:aa", 0, 404),
            seen("POST", "/v2/demo/app/blobs/uploads/", 0, 202),
            seen("PATCH", "/v2/demo/app/blobs/uploads/u1?_state=x", 700, 202),
            seen(
                "PUT",
                "/v2/demo/app/blobs/uploads/u1?_state=x&digest=sha256%3Aaa",
                0,
                201,
            ),
            seen(
                "POST",
                "/v2/demo/app/blobs/uploads/?mount=sha256:bb&from=demo/run",
                0,
                201,
            ),
            seen("PUT", "/v2/demo/app/manifests/latest", 900, 201),
        ]);
        assert_eq!(traffic.uploaded, BTreeSet::from(["sha256:aa".to_owned()]));
        assert_eq!(traffic.mounted, BTreeSet::from(["sha256:bb".to_owned()]));
        assert_eq!(traffic.upload_bytes, 700);
        assert_eq!((traffic.manifests, traffic.manifest_bytes), (1, 900));
        assert_eq!(traffic.requests, 6);
    }

    #[test]
    fn a_refused_mount_is_not_counted() {
        let traffic = Traffic::of(&[seen(
            "POST",
            "/v2/demo/app/blobs/uploads/?mount=sha256:bb&from=demo/run",
            0,
            202,
        )]);
        assert!(traffic.mounted.is_empty() && traffic.uploaded.is_empty());
    }
}
