//! The lifecycle's vocabulary: what a key is, what is stored under it, and what a write asks
//! the storage to do. The lifecycle (`mod.rs`), the decisions (`decision.rs`) and the storage
//! all speak it; it imports none of them.
//!
//! A value that has been checked gets its own type, so it cannot be confused with a plain
//! string that has not: a key only comes from [`IdempotencyKey::parse`], a fingerprint only
//! from [`Fingerprint::of`], a claim token only from [`ClaimToken::new`] (or from the database
//! that stored one).

use std::fmt;
use std::time::Duration;

use app::api::{CreateOrderRequest, KeyError, Order};
use sha2::{Digest, Sha256};

/// A key as the client meant it: unquoted (`"k"` and `k` are one key) and checked
/// (1–255 visible ASCII characters, not the `undefined` or `null` of a missing value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Reads an `Idempotency-Key` header value, quoted (IETF) or bare.
    pub fn parse(header_value: &str) -> Result<Self, KeyError> {
        app::api::parse_idempotency_key(header_value).map(Self)
    }

    /// A key read back from the database, where only parsed keys are ever written.
    pub fn stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first characters, enough to follow one operation in a log or a message.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(8)]
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The lab's name for one operation across all its attempts (`X-Lab-Operation`), checked:
/// 1–64 characters of `A-Z a-z 0-9 -`. It is stored with the order and shown, never used to
/// decide anything: only the key decides whether an attempt is a new operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabOperation(String);

impl LabOperation {
    const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-';
        if value.is_empty() || value.len() > Self::MAX_LEN || !value.chars().all(allowed) {
            return Err("1 to 64 characters of A-Z, a-z, 0-9 and -");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// "Is this the same request?": SHA-256 over method, path and the canonical JSON of the typed
/// request, in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Serialising the struct (not a `serde_json::Value`) fixes the field order, so key order
    /// and whitespace in the client's JSON do not change the fingerprint; array order does.
    pub fn of(request: &CreateOrderRequest) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"POST /orders\n");
        hasher.update(serde_json::to_vec(request).expect("a request always serialises"));
        Self(hex::encode(hasher.finalize()))
    }

    pub fn stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fence: only the request holding this token may complete or release its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

impl ClaimToken {
    #[allow(clippy::new_without_default)] // a fresh random token is not a "default"
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn stored(token: String) -> Self {
        Self(token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a key came from, as the server verified it. An issued key carries the expiry it was
/// signed with; whether it is still valid depends on the clock that asks (see [`Self::at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The client made it up.
    Client,
    /// `POST /orders/prepare` issued it, valid until `expires_at_ms`.
    Issued { expires_at_ms: i64 },
}

impl KeySource {
    /// The key's origin at the instant `now_ms` of the clock that decides.
    pub fn at(self, now_ms: i64) -> KeyOrigin {
        match self {
            Self::Client => KeyOrigin::Client,
            Self::Issued { expires_at_ms } if expires_at_ms > now_ms => KeyOrigin::IssuedValid,
            Self::Issued { .. } => KeyOrigin::IssuedExpired,
        }
    }
}

/// What the key's origin allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The client made it up: any well-formed key may start an operation.
    Client,
    /// We issued it and it may still start an operation.
    IssuedValid,
    /// We issued it too long ago to start one; a retry of a finished one may still replay.
    IssuedExpired,
}

/// What is stored for a key, as read back from the database.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub state: RecordState,
    pub replay_count: u64,
    pub created_at_ms: i64,
    /// After this instant the record counts as absent: the key is new again.
    pub expires_at_ms: i64,
}

/// The two states a record can be in.
#[derive(Debug, Clone)]
pub enum RecordState {
    /// A request holds the claim until `locked_until_ms`; only `claim_token` may complete it.
    InFlight {
        claim_token: ClaimToken,
        locked_until_ms: i64,
    },
    /// The first final answer, replayed byte for byte to every retry.
    Completed {
        response: StoredResponse,
        /// The order this answer created: it names this operation, so counters written later
        /// find this record and not a newer one under the same key.
        order_id: Option<String>,
    },
}

/// A final HTTP answer, as stored and replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// A claim to write: the storage stamps it with its own clock (`lease` and `record_ttl` from
/// the instant it writes), so every process that shares the database measures time alike.
#[derive(Debug, Clone)]
pub struct NewClaim {
    pub key: IdempotencyKey,
    /// Whose operation this is: the record remembers it, so one learner's reset clears only
    /// that learner's records.
    pub user_id: String,
    pub fingerprint: Fingerprint,
    pub claim_token: ClaimToken,
    pub source: KeySource,
    pub lease: Duration,
    pub record_ttl: Duration,
}

impl NewClaim {
    /// The claim's lease end and its expiry, stamped at `now_ms` by the storage's clock. A
    /// claim lives at least as long as its lease, whatever the record TTL.
    pub fn times_at(&self, now_ms: i64) -> (i64, i64) {
        let locked_until_ms = now_ms + millis(self.lease);
        let expires_at_ms = (now_ms + millis(self.record_ttl)).max(locked_until_ms);
        (locked_until_ms, expires_at_ms)
    }
}

/// What a claim found.
#[derive(Debug)]
pub enum ClaimResult {
    /// This request holds the key; the token fences its commit.
    Won(ClaimToken),
    /// Another live record holds the key (completed, in flight, or another request's), as
    /// judged at the storage's clock `at_ms`: the caller decides from it at that same instant,
    /// since its own estimate of the storage's clock may put the record's expiry behind it.
    Held { record: Record, at_ms: i64 },
    /// No record, and an expired issued key may not start an operation.
    MayNotStart,
}

/// What the one-transaction write (record, order and answer at once) came to.
#[derive(Debug)]
pub enum CreateResult {
    /// The key had no record: the order and its completed record are stored.
    Created,
    /// The key was taken; here is its record when the same statement could see it (on
    /// PostgreSQL, which answers a replay in that one round trip), else `None`: read it.
    Taken(Option<Record>),
}

/// What the lab's "expire this key now" came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExpiry {
    /// The record now counts as past its TTL: the next request with the key is new.
    Expired,
    /// This learner has no record under the key (another learner's is left alone).
    NoRecord,
    /// A claim whose lease still runs: its request may still commit, and a record never
    /// expires before its claim's lease ends (see [`NewClaim::times_at`]), so it stays.
    StillRunning,
}

/// An order and the answer to store with it, kept until `expires_at_ms`.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order: Order,
    pub key: IdempotencyKey,
    pub created_at_ms: i64,
    pub response: StoredResponse,
    pub expires_at_ms: i64,
}

/// Whole milliseconds, for arithmetic on the stored instants.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::api::OrderItem;

    fn request(json: &str) -> CreateOrderRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fingerprint_ignores_key_order_and_whitespace() {
        let a = request(r#"{"userId":"u1","items":[{"sku":"A-1","qty":2}]}"#);
        let b = request(r#"{ "items" : [ { "qty":2, "sku":"A-1" } ], "userId":"u1" }"#);
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
    }

    #[test]
    fn fingerprint_sees_every_value_and_item_order() {
        let item = |sku: &str| OrderItem {
            sku: sku.into(),
            qty: 1,
        };
        let base = CreateOrderRequest {
            user_id: "u1".into(),
            items: vec![item("A"), item("B")],
        };
        let mut reordered = base.clone();
        reordered.items.reverse();
        let mut other_user = base.clone();
        other_user.user_id = "u2".into();
        assert_ne!(Fingerprint::of(&base), Fingerprint::of(&reordered));
        assert_ne!(Fingerprint::of(&base), Fingerprint::of(&other_user));
    }

    #[test]
    fn quoted_and_bare_spellings_are_one_key() {
        assert_eq!(
            IdempotencyKey::parse("\"k-1\""),
            IdempotencyKey::parse("k-1")
        );
        assert!(IdempotencyKey::parse("a b").is_err());
        assert_eq!(
            IdempotencyKey::parse("\"undefined\""),
            Err(KeyError::Placeholder)
        );
    }

    #[test]
    fn a_lab_operation_is_short_and_plain() {
        let uuid = "3f2a9c1e-0b7d-4e5f-8a6b-1c2d3e4f5a6b";
        assert_eq!(LabOperation::parse(uuid).unwrap().as_str(), uuid);
        assert!(LabOperation::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "a_b", "é", &"a".repeat(65)] {
            assert!(LabOperation::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_issued_key_is_valid_until_its_expiry_by_the_deciding_clock() {
        let issued = KeySource::Issued {
            expires_at_ms: 1_000,
        };
        assert_eq!(issued.at(999), KeyOrigin::IssuedValid);
        assert_eq!(issued.at(1_000), KeyOrigin::IssuedExpired);
        assert_eq!(KeySource::Client.at(i64::MAX), KeyOrigin::Client);
    }
}
