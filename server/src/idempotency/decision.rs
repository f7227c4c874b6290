//! The pure decisions of the lifecycle: given what is stored under a key, what does this
//! request get? No I/O here, so every case is a line in the table and a line in the tests.
//!
//! | record under the key            | same request? | lease   | key origin              | decision           |
//! |---------------------------------|---------------|---------|-------------------------|--------------------|
//! | none, or past its expiry        | –             | –       | client, issued & valid  | `Start`            |
//! | none, or past its expiry        | –             | –       | issued & expired        | `IssuedKeyExpired` |
//! | completed                       | yes           | –       | any                     | `Replay`           |
//! | completed                       | no            | –       | any                     | `Mismatch` (422)   |
//! | in flight                       | no            | any     | any                     | `Mismatch` (422)   |
//! | in flight                       | yes           | running | any                     | `InFlight` (409)   |
//! | in flight                       | yes           | ended   | any                     | `TakeOver`         |
//!
//! Two rows deserve a word:
//! - An in-flight record with *another* body is a 422 even while it runs: the fingerprint is
//!   stored with the claim, so the mismatch is certain before the first request ends.
//! - A dead claim (its lease ended) is taken over by the same request whatever the key's
//!   origin: the operation was started while the key was valid, and its retry only finishes
//!   it. An expired issued key is refused only when nothing was ever started under it.
//!
//! An expired record is the first row whatever expired it: its TTL, or the lab's "expire
//! this key now" ([`plan_expiry`]), which sets its expiry to the storage's now. Either way the
//! next request with the key starts a new operation, and its claim replaces the old record.
//!
//! The same table decides twice: once on a plain read, which answers replays, 409s and 422s
//! without writing anything; and again inside the claim's write transaction, where nothing
//! can change between the look and the write ([`plan_claim`]).

use super::record::{Fingerprint, KeyExpiry, KeyOrigin, NewClaim, Record, RecordState};

/// What a request gets, given the record under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No live record: this request starts the operation.
    Start,
    /// The same request's claim outlived its lease (its request died): carry on in its place.
    TakeOver,
    /// The operation finished: send its stored answer again.
    Replay,
    /// The key belongs to a different request.
    Mismatch,
    /// The same request is running right now.
    InFlight,
    /// An issued key past its expiry, with nothing started under it.
    IssuedKeyExpired,
}

/// The table above.
pub fn decide(
    found: Option<&Record>,
    fingerprint: &Fingerprint,
    origin: KeyOrigin,
    now_ms: i64,
) -> Decision {
    let Some(record) = found.filter(|record| is_live(record, now_ms)) else {
        return match origin {
            KeyOrigin::Client | KeyOrigin::IssuedValid => Decision::Start,
            KeyOrigin::IssuedExpired => Decision::IssuedKeyExpired,
        };
    };
    if record.fingerprint != *fingerprint {
        return Decision::Mismatch;
    }
    match &record.state {
        RecordState::Completed { .. } => Decision::Replay,
        RecordState::InFlight {
            locked_until_ms, ..
        } if *locked_until_ms > now_ms => Decision::InFlight,
        RecordState::InFlight { .. } => Decision::TakeOver,
    }
}

/// What a claim's write transaction does with what it found.
#[derive(Debug, PartialEq, Eq)]
pub enum ClaimPlan {
    /// No record: insert the claim.
    Insert,
    /// An expired record, or a dead claim of the same request: overwrite it with ours.
    Replace,
    /// A live record that is not ours to take: leave it, and report it.
    Keep,
    /// Nothing there, and the key may not start an operation.
    Refuse,
}

/// [`decide`], as the claim's transaction needs it, at the storage's own clock.
pub fn plan_claim(existing: Option<&Record>, claim: &NewClaim, now_ms: i64) -> ClaimPlan {
    match decide(
        existing,
        &claim.fingerprint,
        claim.source.at(now_ms),
        now_ms,
    ) {
        Decision::Start | Decision::TakeOver if existing.is_none() => ClaimPlan::Insert,
        Decision::Start | Decision::TakeOver => ClaimPlan::Replace,
        Decision::IssuedKeyExpired => ClaimPlan::Refuse,
        Decision::Replay | Decision::Mismatch | Decision::InFlight => ClaimPlan::Keep,
    }
}

/// What the lab's "expire this key now" does with a learner's record, at the storage's clock.
/// A claim whose lease still runs is left alone: expiring it would let a retry start the
/// operation again while the first attempt is still doing it, which no TTL can do either.
pub fn plan_expiry(record: Option<&Record>, now_ms: i64) -> KeyExpiry {
    match record.map(|record| &record.state) {
        None => KeyExpiry::NoRecord,
        Some(RecordState::InFlight {
            locked_until_ms, ..
        }) if *locked_until_ms > now_ms => KeyExpiry::StillRunning,
        Some(_) => KeyExpiry::Expired,
    }
}

/// A record counts until its expiry; after that the key is new again.
pub fn is_live(record: &Record, now_ms: i64) -> bool {
    record.expires_at_ms > now_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idempotency::record::{ClaimToken, IdempotencyKey, KeySource, StoredResponse};
    use std::time::Duration;
    use Decision::*;
    use KeyOrigin::*;

    const NOW: i64 = 10_000;

    fn fp(name: &str) -> Fingerprint {
        Fingerprint::stored(name.into())
    }

    fn record(fingerprint: &str, state: RecordState, expires_at_ms: i64) -> Record {
        Record {
            key: IdempotencyKey::stored("k".into()),
            fingerprint: fp(fingerprint),
            state,
            replay_count: 0,
            created_at_ms: 0,
            expires_at_ms,
        }
    }

    fn completed(fingerprint: &str, expires_at_ms: i64) -> Record {
        let response = StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            location: None,
            body: b"{}".to_vec(),
        };
        let state = RecordState::Completed {
            response,
            order_id: Some("o1".into()),
        };
        record(fingerprint, state, expires_at_ms)
    }

    fn in_flight(fingerprint: &str, locked_until_ms: i64) -> Record {
        let state = RecordState::InFlight {
            claim_token: ClaimToken::stored("t1".into()),
            locked_until_ms,
        };
        record(fingerprint, state, NOW + 60_000)
    }

    #[test]
    fn the_decision_table() {
        let live = NOW + 1;
        let gone = NOW;
        #[rustfmt::skip]
        let table: Vec<(&str, Option<Record>, &str, KeyOrigin, Decision)> = vec![
            ("no record",                      None,                               "f", Client,        Start),
            ("no record, issued key",          None,                               "f", IssuedValid,   Start),
            ("no record, expired issued key",  None,                               "f", IssuedExpired, IssuedKeyExpired),
            ("expired record",                 Some(completed("f", gone)),         "f", Client,        Start),
            ("expired record, other request",  Some(completed("g", gone)),         "f", Client,        Start),
            ("expired record, expired key",    Some(completed("f", gone)),         "f", IssuedExpired, IssuedKeyExpired),
            ("completed, same request",        Some(completed("f", live)),         "f", Client,        Replay),
            ("completed, expired issued key",  Some(completed("f", live)),         "f", IssuedExpired, Replay),
            ("completed, other request",       Some(completed("g", live)),         "f", Client,        Mismatch),
            ("in flight, other request",       Some(in_flight("g", live)),         "f", Client,        Mismatch),
            ("dead claim, other request",      Some(in_flight("g", gone)),         "f", Client,        Mismatch),
            ("in flight, same request",        Some(in_flight("f", live)),         "f", Client,        InFlight),
            ("dead claim, same request",       Some(in_flight("f", gone)),         "f", Client,        TakeOver),
            ("dead claim, expired issued key", Some(in_flight("f", gone)),         "f", IssuedExpired, TakeOver),
        ];
        for (case, found, fingerprint, origin, expected) in table {
            assert_eq!(
                decide(found.as_ref(), &fp(fingerprint), origin, NOW),
                expected,
                "{case}"
            );
        }
    }

    fn claim(source: KeySource) -> NewClaim {
        NewClaim {
            key: IdempotencyKey::stored("k".into()),
            user_id: "u1".into(),
            fingerprint: fp("f"),
            claim_token: ClaimToken::stored("t2".into()),
            source,
            lease: Duration::from_secs(30),
            record_ttl: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_claim_writes_only_what_the_table_allows() {
        let client = claim(KeySource::Client);
        let expired_key = claim(KeySource::Issued { expires_at_ms: NOW });
        #[rustfmt::skip]
        let table: Vec<(&str, Option<Record>, &NewClaim, ClaimPlan)> = vec![
            ("no record",                     None,                       &client,      ClaimPlan::Insert),
            ("no record, expired issued key", None,                       &expired_key, ClaimPlan::Refuse),
            ("expired record",                Some(completed("f", NOW)),  &client,      ClaimPlan::Replace),
            ("dead claim, same request",      Some(in_flight("f", NOW)),  &client,      ClaimPlan::Replace),
            ("dead claim, expired key",       Some(in_flight("f", NOW)),  &expired_key, ClaimPlan::Replace),
            ("live claim",                    Some(in_flight("f", NOW + 1)), &client,   ClaimPlan::Keep),
            ("completed",                     Some(completed("f", NOW + 1)), &client,   ClaimPlan::Keep),
            ("another request's dead claim",  Some(in_flight("g", NOW)),  &client,      ClaimPlan::Keep),
        ];
        for (case, existing, claim, expected) in table {
            assert_eq!(
                plan_claim(existing.as_ref(), claim, NOW),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn only_a_claim_whose_lease_runs_is_kept_from_expiring() {
        #[rustfmt::skip]
        let table: Vec<(&str, Option<Record>, KeyExpiry)> = vec![
            ("no record",        None,                            KeyExpiry::NoRecord),
            ("completed",        Some(completed("f", NOW + 1)),   KeyExpiry::Expired),
            ("already expired",  Some(completed("f", NOW - 1)),   KeyExpiry::Expired),
            ("dead claim",       Some(in_flight("f", NOW)),       KeyExpiry::Expired),
            ("live claim",       Some(in_flight("f", NOW + 1)),   KeyExpiry::StillRunning),
        ];
        for (case, record, expected) in table {
            assert_eq!(plan_expiry(record.as_ref(), NOW), expected, "{case}");
        }
    }
}
