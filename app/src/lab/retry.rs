//! The careful client's retry policy, and nothing else: no signals, no browser, so every rule
//! can be read (and tested) on its own. The loop that follows it lives in `driver.rs`.
//!
//! | answer | what the careful client does | why |
//! | --- | --- | --- |
//! | 201 | stops: done | the server created the order |
//! | 201 with `Idempotent-Replayed: true` | stops: done, no second order | the key was completed; the stored answer came back |
//! | 409 | waits `Retry-After` (clamped to 1–30 s; 1 s if absent), then sends the same key | the first request with this key is still running |
//! | 422 | stops: failed | the key belongs to another body; sending it again cannot change that |
//! | 400 `/problems/issued-key-expired` | asks for a new key, then sends | the issued key expired before any order used it, so nothing was done |
//! | 5xx, or no answer | backs off 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s… (each with jitter), then sends the same key | the server may or may not have done the work; the same key makes the retry safe |
//! | any other 4xx | stops: failed | the request itself is wrong; sending it again changes nothing |
//!
//! After `MAX_FAILED_ATTEMPTS` answers of the last-but-one kind the client stops on its own.

use crate::api::ProblemType;

/// After this many failed attempts (no answer, or a 5xx) the page stops on its own; the
/// learner may send again.
pub const MAX_FAILED_ATTEMPTS: u32 = 8;
/// Longer than the largest server delay, so only a real failure times out.
pub const REQUEST_TIMEOUT_MS: u32 = 15_000;
/// "Lose the response": the page stops waiting this early, while the server carries on.
pub const LOST_RESPONSE_TIMEOUT_MS: u32 = 400;
/// …and asks the server to take at least this long, so the answer really is lost.
pub const LOST_RESPONSE_MIN_DELAY_MS: u32 = 1_500;

/// What the loop does after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Stop,
    /// Wait as long as the server asked (`Retry-After`), then send again.
    RetryAfterMs(u32),
    /// Back off for up to this long (see `jitter`), then send again.
    BackOff(u32),
    NeedNewKey,
}

/// What an answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Replayed,
    InFlight,
    Mismatch,
    KeyExpired,
    /// Anything else: the server's problem details say what.
    Problem,
}

/// Reads an answer the way a careful client does. `failure` is the number this attempt would
/// have among the operation's failed ones (1 for the first), which sets the back-off.
pub fn judge(
    status: u16,
    replayed: bool,
    retry_after: Option<u32>,
    problem_type: Option<ProblemType>,
    failure: u32,
) -> (Outcome, Next) {
    match status {
        201 if replayed => (Outcome::Replayed, Next::Stop),
        201 => (Outcome::Created, Next::Stop),
        409 => (
            Outcome::InFlight,
            Next::RetryAfterMs(retry_after.unwrap_or(1).clamp(1, 30) * 1000),
        ),
        422 => (Outcome::Mismatch, Next::Stop),
        400 if problem_type == Some(ProblemType::IssuedKeyExpired) => {
            (Outcome::KeyExpired, Next::NeedNewKey)
        }
        500..=599 => (Outcome::Problem, no_answer(failure)),
        _ => (Outcome::Problem, Next::Stop),
    }
}

/// No answer reached the page: the work may or may not be done, so back off and send the same key.
pub fn no_answer(failure: u32) -> Next {
    Next::BackOff(backoff_ms(failure))
}

/// "Equal jitter": somewhere between half of `ceiling_ms` and all of it, chosen by `random`
/// (0 to 1). Clients that failed together (a server restart, a network blip) then come back
/// spread out instead of all at once, which would fail them together again.
pub fn jitter(ceiling_ms: u32, random: f64) -> u32 {
    let half = ceiling_ms / 2;
    half + (f64::from(ceiling_ms - half) * random.clamp(0.0, 1.0)) as u32
}

/// 0.5 s, 1 s, 2 s, 4 s, then 8 s: quick at first, gentle on a struggling server later.
pub fn backoff_ms(failure: u32) -> u32 {
    500 * 2u32.pow(failure.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> (Outcome, Next) {
        judge(code, false, None, None, 1)
    }

    #[test]
    fn created_stops() {
        assert_eq!(status(201), (Outcome::Created, Next::Stop));
    }

    #[test]
    fn replayed_stops_without_a_second_order() {
        assert_eq!(
            judge(201, true, None, None, 1),
            (Outcome::Replayed, Next::Stop)
        );
    }

    #[test]
    fn in_flight_waits_as_retry_after_says() {
        assert_eq!(
            judge(409, false, Some(3), None, 1),
            (Outcome::InFlight, Next::RetryAfterMs(3_000))
        );
    }

    #[test]
    fn retry_after_is_clamped_to_one_to_thirty_seconds() {
        let wait = |retry_after| judge(409, false, retry_after, None, 1).1;
        assert_eq!(wait(None), Next::RetryAfterMs(1_000));
        assert_eq!(wait(Some(0)), Next::RetryAfterMs(1_000));
        assert_eq!(wait(Some(1)), Next::RetryAfterMs(1_000));
        assert_eq!(wait(Some(30)), Next::RetryAfterMs(30_000));
        assert_eq!(wait(Some(31)), Next::RetryAfterMs(30_000));
        assert_eq!(wait(Some(u32::MAX)), Next::RetryAfterMs(30_000));
    }

    #[test]
    fn in_flight_does_not_back_off() {
        // A 409 is an answer ("wait"), not a failure: the failure count does not stretch it.
        assert_eq!(
            judge(409, false, Some(2), None, 6).1,
            Next::RetryAfterMs(2_000)
        );
    }

    #[test]
    fn mismatch_stops() {
        assert_eq!(status(422), (Outcome::Mismatch, Next::Stop));
    }

    #[test]
    fn expired_issued_key_asks_for_a_new_one() {
        assert_eq!(
            judge(400, false, None, Some(ProblemType::IssuedKeyExpired), 1),
            (Outcome::KeyExpired, Next::NeedNewKey)
        );
        // Another 400 is the request's own fault.
        assert_eq!(
            judge(400, false, None, Some(ProblemType::InvalidBody), 1),
            (Outcome::Problem, Next::Stop)
        );
    }

    #[test]
    fn server_errors_back_off_with_the_same_key() {
        for code in [500, 502, 503, 599] {
            assert_eq!(
                judge(code, false, None, None, 3),
                (Outcome::Problem, Next::BackOff(2_000))
            );
        }
    }

    #[test]
    fn no_answer_backs_off() {
        assert_eq!(no_answer(1), Next::BackOff(500));
        assert_eq!(no_answer(5), Next::BackOff(8_000));
    }

    #[test]
    fn a_4xx_other_than_409_is_never_retried() {
        for code in (400..=499).filter(|&code| code != 409) {
            for retry_after in [None, Some(1)] {
                let (_, next) = judge(code, false, retry_after, None, 1);
                assert_eq!(next, Next::Stop, "{code} must not be retried");
            }
        }
    }

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_eight() {
        let waits: Vec<u32> = (1..=8).map(backoff_ms).collect();
        assert_eq!(
            waits,
            [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]
        );
        assert_eq!(backoff_ms(0), 500);
        assert_eq!(backoff_ms(u32::MAX), 8_000);
    }

    #[test]
    fn jitter_spreads_a_back_off_over_its_upper_half() {
        assert_eq!(jitter(1_000, 0.0), 500);
        assert_eq!(jitter(1_000, 0.5), 750);
        assert_eq!(jitter(1_000, 1.0), 1_000);
        assert_eq!(
            jitter(8_000, 7.0),
            8_000,
            "a random number out of range is clamped"
        );
        assert_eq!(jitter(8_000, -1.0), 4_000);
        assert_eq!(jitter(0, 0.3), 0);
    }
}
