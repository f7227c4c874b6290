//! The idempotency lifecycle, top to bottom:
//!
//! 1. **Fingerprint** the request (method, path, canonical body).
//! 2. **Look up** the key: a completed record is **replayed** (same fingerprint) or refused as a
//!    **mismatch** (another request under the same key).
//! 3. **Claim** the key in the database. Only one request can hold a claim; the others are told
//!    the operation is **in flight** (409). A claim whose lease ran out (its request died) may be
//!    **taken over**; a record past its TTL is **expired** and the key starts afresh.
//! 4. **Run** the operation while holding the claim (the lab's delay happens here).
//! 5. **Store** the order and the final response in one transaction, fenced on the claim token:
//!    a request that lost its claim cannot also commit.
//! 6. A failure that is not an answer (a database error) **releases** the claim, so a retry runs.
//!
//! Steps 3 to 5 collapse into one transaction when the operation has nothing to wait for (the
//! lab's delay at 0: creating the order only writes this database). The completed record and
//! the order are inserted together, unless the key already has a record: there is no moment in
//! which the key is in flight, and nothing for a crash to leave behind. The claim exists for
//! operations that take time or reach outside the database (a payment, an email), which cannot
//! share the database's transaction.
//!
//! Every decision is made against the database, never an in-memory map, so a restart or a
//! second server process sees the same truth.

use std::time::Duration;

use app::api::{CreateOrderRequest, Order};
use sha2::{Digest, Sha256};

use crate::storage::{NewClaim, NewOrder, Storage, StorageError};
use crate::time::{now_ms, rfc3339};

/// What is stored for a key, as read back from the database.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: String,
    pub fingerprint: String,
    pub state: RecordState,
    pub replay_count: u64,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// The two states a live record can be in. (A record past `expires_at_ms` counts as absent.)
#[derive(Debug, Clone)]
pub enum RecordState {
    /// A request holds the claim until `locked_until_ms`; only `claim_token` may complete it.
    InFlight {
        claim_token: String,
        locked_until_ms: i64,
    },
    /// The first final answer, replayed byte for byte to every retry.
    Completed {
        response: StoredResponse,
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

/// How one attempt ended, as the HTTP layer will tell it.
#[derive(Debug)]
pub enum Outcome {
    /// This attempt ran the operation.
    Created(StoredResponse),
    /// An earlier attempt ran it; this is its stored answer.
    Replayed(StoredResponse),
    /// Another attempt holds the claim right now.
    InFlight { retry_after: Duration },
    /// The key belongs to a different request.
    Mismatch,
    /// A server-issued key past its expiry, with no operation started under it.
    IssuedKeyExpired,
}

/// Why an attempt failed without an answer worth storing.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the operation stopped unexpectedly: {0}")]
    TaskFailed(String),
}

/// Durations that shape the lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long a completed (or claimed) record is kept; after it the key is new again.
    pub record_ttl: Duration,
    /// How long a claim holds before another request may take it over.
    pub lease: Duration,
}

/// One attempt: the key, what was asked, and what the lab adds.
pub struct Attempt {
    pub key: String,
    pub request: CreateOrderRequest,
    /// False for a server-issued key past its expiry: it may replay, but not start.
    pub may_start: bool,
    /// The lab's pause between claim and commit.
    pub delay: Duration,
}

#[derive(Clone)]
pub struct Idempotency {
    storage: Storage,
    policy: Policy,
}

/// Retry-After for a 409: a request in flight usually ends within a second.
const IN_FLIGHT_RETRY_AFTER: Duration = Duration::from_secs(1);

impl Idempotency {
    pub fn new(storage: Storage, policy: Policy) -> Self {
        Self { storage, policy }
    }

    /// Runs one attempt to its outcome.
    ///
    /// The work runs in its own task: if the client hangs up (a reload, an abort), hyper drops
    /// the handler, but the operation still finishes and stores its answer for the retry.
    pub async fn submit(&self, attempt: Attempt) -> Result<Outcome, IdempotencyError> {
        let this = self.clone();
        tokio::spawn(async move { this.run_attempt(attempt).await })
            .await
            .map_err(|e| IdempotencyError::TaskFailed(e.to_string()))?
    }

    async fn run_attempt(&self, attempt: Attempt) -> Result<Outcome, IdempotencyError> {
        let fingerprint = fingerprint(&attempt.request);

        // Replays take the fast path: committed answers are read without the writer.
        if let Some(record) = self.storage.find_record(&attempt.key).await? {
            if let RecordState::Completed { .. } = record.state {
                if is_live(&record, now_ms()) {
                    return Ok(self.answer_from(&record, &fingerprint));
                }
            }
        }

        // Steps 3 to 5 at once, when there is nothing to wait for (see the module's header).
        if attempt.delay.is_zero() && attempt.may_start {
            let (order, response) = new_order(&attempt, self.policy.record_ttl);
            if self.storage.create_completed(&fingerprint, order).await? {
                return Ok(Outcome::Created(response));
            }
            // The key has a record after all (in flight, or expired): the claim decides.
        }

        let claim = self.claim(&attempt, &fingerprint).await?;
        let token = match claim {
            Claim::Won { token } => token,
            Claim::Lost(found) => return Ok(self.answer_from_found(found.as_ref(), &fingerprint)),
        };

        match self.run_and_store(&attempt, &token).await {
            Ok(Some(response)) => Ok(Outcome::Created(response)),
            // Our lease ran out and another request took the key over while we worked.
            Ok(None) => {
                let found = self.storage.find_record(&attempt.key).await?;
                Ok(self.answer_from_found(found.as_ref(), &fingerprint))
            }
            Err(error) => {
                // Not an answer: free the key so that a retry can run the operation.
                if let Err(release_error) = self.storage.release(&attempt.key, &token).await {
                    tracing::error!(%release_error, "could not release a claim; it ends with its lease");
                }
                Err(error)
            }
        }
    }

    /// Step 3: claim the key, or learn who has it.
    async fn claim(&self, attempt: &Attempt, fingerprint: &str) -> Result<Claim, IdempotencyError> {
        let now = now_ms();
        let lease_end = now + millis(self.policy.lease);
        let claim = NewClaim {
            key: attempt.key.clone(),
            fingerprint: fingerprint.to_owned(),
            claim_token: uuid::Uuid::new_v4().to_string(),
            now_ms: now,
            locked_until_ms: lease_end,
            // A claim lives at least as long as its lease, however short the lab's TTL.
            expires_at_ms: (now + millis(self.policy.record_ttl)).max(lease_end),
            may_start: attempt.may_start,
        };
        Ok(self.storage.claim(claim, plan_claim).await?)
    }

    /// Steps 4 and 5: do the work, then commit the order and its answer together.
    /// `None` means the claim was lost (fenced off) and nothing was written.
    async fn run_and_store(
        &self,
        attempt: &Attempt,
        token: &str,
    ) -> Result<Option<StoredResponse>, IdempotencyError> {
        if !attempt.delay.is_zero() {
            tokio::time::sleep(attempt.delay).await;
        }
        let (order, response) = new_order(attempt, self.policy.record_ttl);
        let stored = self.storage.complete(token, order).await?;
        Ok(stored.then_some(response))
    }

    /// Step 2 for a record we found: replay it, or refuse the mismatch.
    fn answer_from(&self, record: &Record, fingerprint: &str) -> Outcome {
        if record.fingerprint != fingerprint {
            return Outcome::Mismatch;
        }
        match &record.state {
            RecordState::Completed { response, .. } => {
                self.storage.count_replay(&record.key);
                Outcome::Replayed(response.clone())
            }
            RecordState::InFlight { .. } => Outcome::InFlight {
                retry_after: IN_FLIGHT_RETRY_AFTER,
            },
        }
    }

    fn answer_from_found(&self, found: Option<&Record>, fingerprint: &str) -> Outcome {
        match found {
            Some(record) if is_live(record, now_ms()) => self.answer_from(record, fingerprint),
            // Only an expired issued key is refused a fresh claim.
            _ => Outcome::IssuedKeyExpired,
        }
    }
}

/// The claim's result.
pub enum Claim {
    /// This request holds the key; `token` fences its commit.
    Won { token: String },
    /// Someone else's live record (or nothing, if this attempt may not start).
    Lost(Option<Record>),
}

/// What the claim should do with what it found under the key. Runs inside the
/// storage's write transaction, so nothing can change between the look and the write.
#[derive(Debug, PartialEq, Eq)]
pub enum ClaimPlan {
    /// No record: create the claim.
    Insert,
    /// An expired record, or a claim whose lease ran out: replace it with ours.
    TakeOver,
    /// A live record someone else owns: leave it and report it.
    Keep,
}

pub fn plan_claim(existing: Option<&Record>, claim: &NewClaim) -> ClaimPlan {
    let Some(record) = existing else {
        return if claim.may_start {
            ClaimPlan::Insert
        } else {
            ClaimPlan::Keep
        };
    };
    if !is_live(record, claim.now_ms) {
        return if claim.may_start {
            ClaimPlan::TakeOver
        } else {
            ClaimPlan::Keep
        };
    }
    match &record.state {
        // Its request died (or is stuck): the same request may carry on in its place.
        RecordState::InFlight {
            locked_until_ms, ..
        } if *locked_until_ms <= claim.now_ms && record.fingerprint == claim.fingerprint => {
            ClaimPlan::TakeOver
        }
        _ => ClaimPlan::Keep,
    }
}

/// The operation itself: the order, and the 201 that will be stored and replayed for it.
fn new_order(attempt: &Attempt, record_ttl: Duration) -> (NewOrder, StoredResponse) {
    let now = now_ms();
    let order = Order {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: attempt.request.user_id.clone(),
        items: attempt.request.items.clone(),
        created_at: rfc3339(now),
        idempotency_key: attempt.key.clone(),
    };
    let response = StoredResponse {
        status: 201,
        content_type: "application/json".into(),
        location: Some(format!("/orders/{}", order.id)),
        body: serde_json::to_vec(&order).expect("an order always serialises"),
    };
    let new = NewOrder {
        order,
        created_at_ms: now,
        response: response.clone(),
        expires_at_ms: now + millis(record_ttl),
    };
    (new, response)
}

/// A record counts until its TTL; after that the key is new again.
fn is_live(record: &Record, now_ms: i64) -> bool {
    record.expires_at_ms > now_ms
}

/// SHA-256 over method, path and the canonical JSON of the typed request.
///
/// Serialising the struct (not a `serde_json::Value`) fixes the field order, so key order
/// and whitespace in the client's JSON do not change the fingerprint; array order does.
pub fn fingerprint(request: &CreateOrderRequest) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"POST /orders\n");
    hasher.update(serde_json::to_vec(request).expect("a request always serialises"));
    hex::encode(hasher.finalize())
}

fn millis(duration: Duration) -> i64 {
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
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn fingerprint_sees_every_value_and_item_order() {
        let base = CreateOrderRequest {
            user_id: "u1".into(),
            items: vec![
                OrderItem {
                    sku: "A".into(),
                    qty: 1,
                },
                OrderItem {
                    sku: "B".into(),
                    qty: 1,
                },
            ],
        };
        let mut reordered = base.clone();
        reordered.items.reverse();
        let mut other_user = base.clone();
        other_user.user_id = "u2".into();
        assert_ne!(fingerprint(&base), fingerprint(&reordered));
        assert_ne!(fingerprint(&base), fingerprint(&other_user));
    }

    fn claim_at(now_ms: i64, may_start: bool) -> NewClaim {
        NewClaim {
            key: "k".into(),
            fingerprint: "f".into(),
            claim_token: "t2".into(),
            now_ms,
            locked_until_ms: now_ms + 30_000,
            expires_at_ms: now_ms + 60_000,
            may_start,
        }
    }

    fn in_flight(locked_until_ms: i64, expires_at_ms: i64, fingerprint: &str) -> Record {
        Record {
            key: "k".into(),
            fingerprint: fingerprint.into(),
            state: RecordState::InFlight {
                claim_token: "t1".into(),
                locked_until_ms,
            },
            replay_count: 0,
            created_at_ms: 0,
            expires_at_ms,
        }
    }

    #[test]
    fn claims_follow_the_lifecycle() {
        let live_lock = in_flight(2_000, 10_000, "f");
        assert_eq!(plan_claim(None, &claim_at(1_000, true)), ClaimPlan::Insert);
        assert_eq!(plan_claim(None, &claim_at(1_000, false)), ClaimPlan::Keep);
        assert_eq!(
            plan_claim(Some(&live_lock), &claim_at(1_000, true)),
            ClaimPlan::Keep
        );
        assert_eq!(
            plan_claim(Some(&live_lock), &claim_at(3_000, true)),
            ClaimPlan::TakeOver
        );
        let other_request = in_flight(2_000, 10_000, "g");
        assert_eq!(
            plan_claim(Some(&other_request), &claim_at(3_000, true)),
            ClaimPlan::Keep
        );
        assert_eq!(
            plan_claim(Some(&other_request), &claim_at(20_000, true)),
            ClaimPlan::TakeOver
        );
        assert_eq!(
            plan_claim(Some(&other_request), &claim_at(20_000, false)),
            ClaimPlan::Keep
        );
    }
}
