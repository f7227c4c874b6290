//! The idempotency lifecycle, top to bottom. The words it uses are in `record.rs`; the
//! decisions it takes are in `decision.rs`, as a table.
//!
//! 1. **Fingerprint** the request (method, path, canonical body).
//! 2. **Read** the record under the key and **decide**: a completed record is **replayed**
//!    (same fingerprint) or refused as a **mismatch** (422); a live claim of the same request
//!    is **in flight** (409). These answers are reads: they never wait for a write.
//! 3. **Claim** the key in the database, deciding again inside the write transaction. Only one
//!    request can hold a claim. A claim whose lease ran out (its request died) may be **taken
//!    over**; a record past its expiry counts as absent, and the key starts afresh.
//! 4. **Run** the operation while holding the claim (the lab's delay happens here).
//! 5. **Store** the order and the final response in one transaction, fenced on the claim token:
//!    a request that lost its claim cannot also commit. A request that outlives its lease
//!    still commits if nobody took the key over (its token is still there), and is fenced off
//!    if somebody did.
//! 6. A request that was fenced off, or that lost a race between its read and its write,
//!    **decides again** from what is there now: the stored answer, a 409, or a new claim.
//! 7. A failure that is not an answer (a database error) **releases** the claim, so a retry runs.
//!
//! Steps 3 to 5 collapse into one transaction when the operation has nothing to wait for (the
//! lab's delay at 0: creating the order only writes this database) and the key has no record
//! at all: the completed record and the order are inserted together, so there is no moment in
//! which the key is in flight and nothing for a crash to leave behind. A key whose record has
//! expired still goes through claim → commit, since its old record must be replaced. The claim
//! exists for operations that take time or reach outside the database (a payment, an email),
//! which cannot share the database's transaction.
//!
//! On PostgreSQL the one-transaction write is tried before any read (a new key is the common
//! case, and a write that finds the key taken costs no more than a read there); on SQLite,
//! whose single writer is the server's throughput, the read comes first so that replays, 409s
//! and 422s never queue behind writes.
//!
//! Every decision is made against the database and its clock, never an in-memory map, so a
//! restart or a second server process sees the same truth.

pub mod decision;
pub mod record;

use std::time::Duration;

use app::api::{CreateOrderRequest, Order};

use crate::storage::{Storage, StorageError};
use crate::time::rfc3339;
use decision::{decide, Decision};
use record::{
    millis, ClaimResult, ClaimToken, CreateResult, Fingerprint, IdempotencyKey, KeyOrigin,
    KeySource, LabOperation, NewClaim, NewOrder, Record, RecordState, StoredResponse,
};

/// How one attempt ended, as the HTTP layer will tell it.
#[derive(Debug)]
pub enum Outcome {
    /// This attempt ran the operation.
    Created(StoredResponse, Lease),
    /// An earlier attempt ran it; this is its stored answer.
    Replayed(StoredResponse, Lease),
    /// Another attempt holds the claim right now.
    InFlight { retry_after: Duration },
    /// The key belongs to a different request.
    Mismatch,
    /// A server-issued key past its expiry, with no operation started under it.
    IssuedKeyExpired,
}

/// Whether this attempt held a claim for longer than its lease, and what became of it: the
/// lab shows it, since outliving the lease is how fencing becomes visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Finished within its lease, or never held one.
    Kept,
    /// Outlived its lease, and nobody had taken the key over: the commit went through.
    OutlivedCommitted,
    /// Outlived its lease, and another request had taken the key over: the commit was
    /// fenced off, and this answer is what the key holds now.
    OutlivedFenced,
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
    pub key: IdempotencyKey,
    pub source: KeySource,
    pub request: CreateOrderRequest,
    /// The operation's own duration: in the lab, real waiting that stands in for a slow
    /// payment call or the like.
    pub delay: Duration,
    /// The lab's name for the intention behind this attempt, kept with the order it creates.
    /// Not part of the fingerprint: it is the page's bookkeeping, not the request.
    pub lab_operation: Option<LabOperation>,
}

#[derive(Clone)]
pub struct Idempotency {
    storage: Storage,
    policy: Policy,
    /// Operations still running, so that a shutdown can let them finish.
    running: tokio_util::task::TaskTracker,
}

/// Retry-After for a 409: a request in flight usually ends within a second.
pub const IN_FLIGHT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How often one attempt decides again after losing a race before it answers 409.
const DECISION_ROUNDS: usize = 3;

/// What an attempt to start the operation came to.
enum Started {
    /// The operation ran and its answer is stored.
    Done(Outcome),
    /// Someone else's record was there after all; decide from it (at the storage's clock
    /// `at_ms` when the claim judged it live).
    Held { record: Record, at_ms: Option<i64> },
    /// The key changed under us (a race, or our commit was fenced off); read it again.
    Changed { fenced: bool },
}

impl Idempotency {
    pub fn new(storage: Storage, policy: Policy) -> Self {
        Self {
            storage,
            policy,
            running: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Runs one attempt to its outcome.
    ///
    /// The work runs in its own task: if the client hangs up (a reload, an abort), hyper drops
    /// the handler, but the operation still finishes and stores its answer for the retry.
    pub async fn submit(&self, attempt: Attempt) -> Result<Outcome, IdempotencyError> {
        let this = self.clone();
        self.running
            .spawn(async move { this.run_attempt(attempt).await })
            .await
            .map_err(|e| IdempotencyError::TaskFailed(e.to_string()))?
    }

    /// Waits until every operation that has started has stored its answer (or `limit` ends).
    /// New attempts are still accepted while it waits; the caller stops sending them first.
    pub async fn finish_running(&self, limit: Duration) -> bool {
        self.running.close();
        let finished = tokio::time::timeout(limit, self.running.wait())
            .await
            .is_ok();
        self.running.reopen();
        finished
    }

    async fn run_attempt(&self, attempt: Attempt) -> Result<Outcome, IdempotencyError> {
        let fingerprint = Fingerprint::of(&attempt.request); // step 1
        let may_start = attempt.source.at(self.storage.now_ms()) != KeyOrigin::IssuedExpired;
        let mut seen = None;
        if self.storage.writes_first() && attempt.delay.is_zero() && may_start {
            match self.create_at_once(&attempt, &fingerprint).await? {
                Started::Done(created) => return Ok(created),
                Started::Held { record, .. } => seen = Some(record),
                Started::Changed { .. } => {}
            }
        }
        // Step 2, unless the write above already brought the record back.
        let mut found = match seen {
            Some(record) => Some(record),
            None => self.storage.find_record(&attempt.key).await?,
        };
        let mut fenced = false;
        let mut judged_at = None;
        for _ in 0..DECISION_ROUNDS {
            // A record a claim has just found live is decided at the clock that found it so.
            let now = judged_at.take().unwrap_or_else(|| self.storage.now_ms());
            let decision = decide(found.as_ref(), &fingerprint, attempt.source.at(now), now);
            let lease = if fenced {
                Lease::OutlivedFenced
            } else {
                Lease::Kept
            };
            if let Some(answer) = self.answer(decision, found.as_ref(), lease) {
                return Ok(answer);
            }
            let taking_over = matches!(decision, Decision::TakeOver);
            match self.start(&attempt, &fingerprint, found.is_none()).await? {
                Started::Done(outcome) => {
                    if taking_over {
                        metrics::counter!(crate::metrics::TAKE_OVERS).increment(1);
                    }
                    return Ok(outcome);
                }
                Started::Held { record, at_ms } => {
                    found = Some(record);
                    judged_at = at_ms;
                }
                Started::Changed { fenced: lost } => {
                    if lost {
                        metrics::counter!(crate::metrics::FENCED).increment(1);
                    }
                    fenced |= lost;
                    found = self.storage.find_record(&attempt.key).await?; // step 6
                }
            }
        }
        // Still contended after several rounds: the client's retry will find it settled.
        Ok(in_flight())
    }

    /// The decisions that are answers in themselves (no write needed); `None` means "start".
    fn answer(&self, decision: Decision, found: Option<&Record>, lease: Lease) -> Option<Outcome> {
        match decision {
            Decision::Start | Decision::TakeOver => None,
            Decision::Mismatch => Some(Outcome::Mismatch),
            Decision::InFlight => Some(in_flight()),
            Decision::IssuedKeyExpired => Some(Outcome::IssuedKeyExpired),
            Decision::Replay => match found.map(|record| (&record.key, &record.state)) {
                Some((key, RecordState::Completed { response, order_id })) => {
                    self.storage.count_replay(key, order_id.as_deref());
                    metrics::counter!(crate::metrics::REPLAYS).increment(1);
                    Some(Outcome::Replayed(response.clone(), lease))
                }
                // `decide` replays only a completed record.
                _ => Some(in_flight()),
            },
        }
    }

    /// Steps 3 to 5, in one transaction when nothing has to wait, else claim → run → store.
    async fn start(
        &self,
        attempt: &Attempt,
        fingerprint: &Fingerprint,
        key_is_new: bool,
    ) -> Result<Started, IdempotencyError> {
        if attempt.delay.is_zero() && key_is_new {
            return self.create_at_once(attempt, fingerprint).await;
        }
        let claim = NewClaim {
            key: attempt.key.clone(),
            user_id: attempt.request.user_id.clone(),
            fingerprint: fingerprint.clone(),
            claim_token: ClaimToken::new(),
            source: attempt.source,
            lease: self.policy.lease,
            record_ttl: self.policy.record_ttl,
        };
        let token = claim.claim_token.clone();
        let claimed_at = tokio::time::Instant::now();
        match self.storage.claim(claim).await? {
            ClaimResult::Won(_) => {}
            ClaimResult::Held { record, at_ms } => {
                return Ok(Started::Held {
                    record,
                    at_ms: Some(at_ms),
                })
            }
            ClaimResult::MayNotStart => return Ok(Started::Done(Outcome::IssuedKeyExpired)),
        }
        match self.run_and_store(attempt, &token).await {
            Ok(Some(response)) => {
                let lease = if claimed_at.elapsed() > self.policy.lease {
                    Lease::OutlivedCommitted
                } else {
                    Lease::Kept
                };
                Ok(Started::Done(Outcome::Created(response, lease)))
            }
            // Our lease ran out and another request took the key over while we worked.
            Ok(None) => Ok(Started::Changed { fenced: true }),
            Err(error) => {
                // Not an answer: free the key so that a retry can run the operation.
                if let Err(release_error) = self.storage.release(&attempt.key, &token).await {
                    tracing::error!(%release_error, "could not release a claim; it ends with its lease");
                }
                Err(error)
            }
        }
    }

    /// Steps 3 to 5 as one write, for a key with no record. If the key has one after all,
    /// the storage may bring it back in the same round trip (`Held`), or not (`Changed`).
    async fn create_at_once(
        &self,
        attempt: &Attempt,
        fingerprint: &Fingerprint,
    ) -> Result<Started, IdempotencyError> {
        let (order, response) = self.new_order(attempt);
        let created = self
            .storage
            .create_completed(fingerprint, order, attempt.source)
            .await?;
        Ok(match created {
            CreateResult::Created => Started::Done(Outcome::Created(response, Lease::Kept)),
            CreateResult::Taken(Some(record)) => Started::Held {
                record,
                at_ms: None,
            },
            CreateResult::Taken(None) => Started::Changed { fenced: false },
        })
    }

    /// Steps 4 and 5: do the work, then commit the order and its answer together.
    /// `None` means the claim was lost (fenced off) and nothing was written.
    async fn run_and_store(
        &self,
        attempt: &Attempt,
        token: &ClaimToken,
    ) -> Result<Option<StoredResponse>, IdempotencyError> {
        if !attempt.delay.is_zero() {
            tokio::time::sleep(attempt.delay).await;
        }
        let (order, response) = self.new_order(attempt);
        let stored = self.storage.complete(token, order).await?;
        Ok(stored.then_some(response))
    }

    /// The operation itself: the order, and the 201 that will be stored and replayed for it.
    fn new_order(&self, attempt: &Attempt) -> (NewOrder, StoredResponse) {
        let now = self.storage.now_ms();
        let order = Order {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: attempt.request.user_id.clone(),
            items: attempt.request.items.clone(),
            created_at: rfc3339(now),
            idempotency_key: attempt.key.to_string(),
            lab_operation: attempt
                .lab_operation
                .as_ref()
                .map(|operation| operation.as_str().to_owned()),
        };
        let response = StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            location: Some(format!("/orders/{}", order.id)),
            body: serde_json::to_vec(&order).expect("an order always serialises"),
        };
        let new = NewOrder {
            order,
            key: attempt.key.clone(),
            created_at_ms: now,
            response: response.clone(),
            expires_at_ms: now + millis(self.policy.record_ttl),
        };
        (new, response)
    }
}

fn in_flight() -> Outcome {
    Outcome::InFlight {
        retry_after: IN_FLIGHT_RETRY_AFTER,
    }
}
