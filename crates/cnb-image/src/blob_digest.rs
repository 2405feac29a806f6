//! [`BlobDigest`]: what a [`BlobWriter`](crate::BlobWriter) knows of the digest of the blob it
//! writes. It hashes the bytes as they are written, unless the caller says the digest follows
//! ([`BlobWriter::digest_follows`](crate::BlobWriter::digest_follows)): then it only counts
//! them, and takes the caller's digest at the end. A layer's bytes are hashed once that way,
//! by the layer writer, instead of again by the store.

use sha2::{Digest as _, Sha256};

use crate::Digest;

/// The digest of a blob being written: computed, or to be given at the end.
#[derive(Debug, Clone)]
pub struct BlobDigest {
    /// `None` once the caller said the digest follows.
    hasher: Option<Sha256>,
    size: u64,
}

/// Why a blob's digest could not be settled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobDigestError {
    /// The caller's digest is not that of the bytes written.
    #[error("the blob written has digest {computed}, not the {given} its writer computed")]
    Mismatch {
        /// The digest of the bytes written.
        computed: Digest,
        /// The caller's.
        given: Digest,
    },
    /// The caller said the digest follows, then finished without one.
    #[error("the blob's digest was to follow, and it did not")]
    Missing,
}

/// Hashing from the first byte, as [`BlobDigest::new`].
impl Default for BlobDigest {
    fn default() -> Self {
        Self::new()
    }
}

impl BlobDigest {
    /// Hashing from the first byte.
    pub fn new() -> Self {
        Self {
            hasher: Some(Sha256::new()),
            size: 0,
        }
    }

    /// Stops hashing: the caller gives the digest at the end.
    pub fn digest_follows(&mut self) {
        self.hasher = None;
    }

    /// Takes the next bytes of the blob.
    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        self.size += bytes.len() as u64;
    }

    /// Bytes taken so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The blob's digest and size: the digest computed, checked against the caller's `given`
    /// one if any; else the caller's.
    pub fn settle(self, given: Option<Digest>) -> Result<(Digest, u64), BlobDigestError> {
        let computed = self
            .hasher
            .map(|hasher| Digest::from_bytes(hasher.finalize().into()));
        let digest = match (computed, given) {
            (Some(computed), Some(given)) if computed != given => {
                return Err(BlobDigestError::Mismatch { computed, given });
            }
            (Some(digest), _) | (None, Some(digest)) => digest,
            (None, None) => return Err(BlobDigestError::Missing),
        };
        Ok((digest, self.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taking(bytes: &[u8]) -> BlobDigest {
        let mut digest = BlobDigest::new();
        for chunk in bytes.chunks(3) {
            digest.update(chunk);
        }
        digest
    }

    #[test]
    fn computes_the_digest_and_checks_a_given_one() {
        let bytes = b"layer bytes";
        assert_eq!(
            taking(bytes).settle(None),
            Ok((Digest::of(bytes), bytes.len() as u64))
        );
        assert_eq!(
            taking(bytes).settle(Some(Digest::of(bytes))),
            Ok((Digest::of(bytes), bytes.len() as u64))
        );
        assert_eq!(
            taking(bytes).settle(Some(Digest::of(b"other"))),
            Err(BlobDigestError::Mismatch {
                computed: Digest::of(bytes),
                given: Digest::of(b"other"),
            })
        );
    }

    #[test]
    fn when_the_digest_follows_it_takes_the_callers_and_counts_the_bytes() {
        let mut digest = BlobDigest::new();
        digest.digest_follows();
        digest.update(b"layer bytes");
        assert_eq!(digest.size(), 11);
        // not hashed: a digest of other bytes is taken as given
        assert_eq!(
            digest.clone().settle(Some(Digest::of(b"other"))),
            Ok((Digest::of(b"other"), 11))
        );
        assert_eq!(digest.settle(None), Err(BlobDigestError::Missing));
    }
}
