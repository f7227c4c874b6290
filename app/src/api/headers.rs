//! The headers both sides name, and the values of the ones whose values they must agree on.

use serde::{Deserialize, Serialize};

/// The header that names one operation across all its attempts.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Set to `true` on a response that is a stored answer sent again.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// On a 409: the seconds to wait before sending the same request again.
pub const RETRY_AFTER: &str = "Retry-After";
/// The request body's media type; the API reads only JSON.
pub const CONTENT_TYPE: &str = "Content-Type";
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Lab control: hold the request this long after its claim, before the order commits.
pub const LAB_DELAY_MS: &str = "X-Lab-Delay-Ms";
/// Lab control: `X-Lab-Fail: prepare` makes `POST /orders/prepare` fail on purpose.
pub const LAB_FAIL: &str = "X-Lab-Fail";
/// The step `X-Lab-Fail` knows how to fail.
pub const LAB_FAIL_PREPARE: &str = "prepare";
/// Lab: on a response to a request that held its claim longer than its lease, what became
/// of it (a `LeaseNote`).
pub const LAB_LEASE: &str = "X-Lab-Lease";
/// Lab: names one operation (one intention) across all its attempts, whatever keys they carry,
/// so the page can tell two orders of one intention from two orders that merely look alike.
/// 1–64 characters of `A-Z a-z 0-9 -` (a UUID fits); stored with the order it creates.
pub const LAB_OPERATION: &str = "X-Lab-Operation";
/// Lab control: `X-Lab-Issue: expired` makes `POST /orders/prepare` issue a key whose expiry
/// has already passed, so the refusal of an expired issued key can be watched.
pub const LAB_ISSUE: &str = "X-Lab-Issue";
/// The one value `X-Lab-Issue` takes.
pub const LAB_ISSUE_EXPIRED: &str = "expired";
/// The largest lab delay the server accepts.
pub const MAX_LAB_DELAY_MS: u64 = 10_000;

/// The server's `X-Lab-Lease` note: the request outlived its lease, and then…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaseNote {
    /// …nobody had taken the key over, so its commit still went through.
    OutlivedCommitted,
    /// …another request had taken the key over; the commit was fenced off, and this answer
    /// is the one the key holds now.
    OutlivedFenced,
}

impl LeaseNote {
    pub const ALL: [Self; 2] = [Self::OutlivedCommitted, Self::OutlivedFenced];

    /// The `X-Lab-Lease` value that carries this note.
    pub const fn header_value(self) -> &'static str {
        match self {
            Self::OutlivedCommitted => "outlived-committed",
            Self::OutlivedFenced => "outlived-fenced",
        }
    }

    pub fn from_header(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|note| note.header_value() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_note_reads_back_from_its_header_value() {
        for note in LeaseNote::ALL {
            assert_eq!(LeaseNote::from_header(note.header_value()), Some(note));
        }
        assert_eq!(LeaseNote::from_header("kept"), None);
    }
}
