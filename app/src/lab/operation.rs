//! One operation — what the learner meant ("order these items once") — with its key and its
//! attempts. Plain data with its rules: `run.rs` drives the current one.

use serde::{Deserialize, Serialize};

use super::attempt::{AttemptKind, AttemptLog, Exchange, Explain, Phase};
use super::keys::new_key;
use super::settings::KeyMode;
use crate::api::CreateOrderRequest;
use crate::browser::http::Answer;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub mode: KeyMode,
    pub key: Option<String>,
    pub key_expires_at: Option<String>,
    pub body: CreateOrderRequest,
    pub attempts: Vec<AttemptLog>,
    pub phase: Phase,
    /// Set when a reload found this operation pending.
    #[serde(default)]
    pub resumed: bool,
    /// On a 422: the body this key was first used for.
    #[serde(default)]
    pub conflict: Option<CreateOrderRequest>,
    /// Names this operation across all its keys (sent as `X-Lab-Operation`). The accidents
    /// can give one operation several keys; the server keeps this beside each order, so two
    /// orders of one intention can be told from two orders that merely look alike.
    #[serde(default = "new_key")]
    pub lineage: String,
}

impl Operation {
    pub fn new(mode: KeyMode, body: CreateOrderRequest) -> Self {
        Self {
            mode,
            key: None,
            key_expires_at: None,
            body,
            attempts: Vec::new(),
            phase: Phase::Pending,
            resumed: false,
            conflict: None,
            lineage: new_key(),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.phase == Phase::Pending
    }

    /// Whether an earlier attempt with `key` got an order back, made or replayed: then a new
    /// order under that key means the server had forgotten it (the record expired).
    pub fn made_an_order_with(&self, key: &str) -> bool {
        self.attempts.iter().any(|a| {
            a.key.as_deref() == Some(key)
                && matches!(
                    a.explain,
                    Explain::Created | Explain::CreatedAgain | Explain::Replayed
                )
        })
    }

    /// Attempts that got no answer, or a server error: what the retry limit counts. A 409 is
    /// an answer ("wait"), so waiting out a dead request's lease never exhausts the retries.
    pub fn failed_attempts(&self) -> u32 {
        self.attempts
            .iter()
            .filter(|a| {
                matches!(a.explain, Explain::Network(_) | Explain::Interrupted)
                    || a.status.is_some_and(|s| s >= 500)
            })
            .count() as u32
    }

    pub fn order_attempts(&self) -> u32 {
        self.attempts
            .iter()
            .filter(|a| a.kind == AttemptKind::Order)
            .count() as u32
    }

    /// A reload found this operation: what was on its way when the page went never got an
    /// answer here, though the server may have finished it. Only a pending one is resumed; a
    /// finished one is just shown again.
    pub fn mark_interrupted(&mut self) {
        self.resumed = self.is_pending();
        for attempt in &mut self.attempts {
            if attempt.explain == Explain::Sending {
                attempt.explain = Explain::Interrupted;
            }
        }
    }

    /// Adds an attempt that is about to leave; its id comes back, to settle it later.
    pub fn push_attempt(
        &mut self,
        kind: AttemptKind,
        at: String,
        key: Option<String>,
        sent: String,
        delay_ms: u32,
    ) -> u32 {
        let id = self.attempts.len() as u32 + 1;
        self.attempts.push(AttemptLog {
            id,
            kind,
            at,
            key,
            sent,
            status: None,
            replayed: false,
            latency_ms: None,
            delay_ms,
            explain: Explain::Sending,
            server_says: None,
            lease: None,
            exchange: None,
        });
        id
    }

    /// Records how an attempt ended: its answer (none, if the network failed) and its meaning.
    pub fn settle_attempt(
        &mut self,
        id: u32,
        answer: Option<&Answer>,
        latency_ms: u32,
        explain: Explain,
    ) {
        if let Some(entry) = self.attempt_mut(id) {
            entry.status = answer.map(|a| a.status);
            entry.replayed = answer.is_some_and(|a| a.replayed);
            entry.lease = answer.and_then(|a| a.lease);
            entry.latency_ms = Some(latency_ms);
            entry.explain = explain;
            entry.server_says = answer
                .and_then(Answer::problem)
                .map(|p| format!("{}: {}", p.title, p.detail));
        }
    }

    /// Keeps an attempt's request and response as raw HTTP, with a curl command.
    pub fn attach_exchange(&mut self, id: u32, exchange: Exchange) {
        if let Some(entry) = self.attempt_mut(id) {
            entry.exchange = Some(exchange);
        }
    }

    /// A key the server issued on attempt `id`: the operation's key from now on.
    pub fn take_issued_key(&mut self, id: u32, key: Option<String>, expires_at: Option<String>) {
        if let (Some(entry), Some(key)) = (self.attempt_mut(id), &key) {
            entry.key = Some(key.clone());
        }
        self.key = key;
        self.key_expires_at = expires_at;
    }

    /// Ends the operation, unless it has already ended.
    pub fn finish(&mut self, phase: Phase) {
        if self.is_pending() {
            self.phase = phase;
        }
    }

    fn attempt_mut(&mut self, id: u32) -> Option<&mut AttemptLog> {
        self.attempts.iter_mut().find(|a| a.id == id)
    }
}

/// One line that says what a body asks for, e.g. `learner: BOOK-11 ×1, PEN ×2`.
pub fn summarize(body: &CreateOrderRequest) -> String {
    let items: Vec<String> = body
        .items
        .iter()
        .map(|i| format!("{} ×{}", i.sku, i.qty))
        .collect();
    format!("{}: {}", body.user_id, items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation() -> Operation {
        let body = CreateOrderRequest {
            user_id: "learner".into(),
            items: vec![crate::api::OrderItem {
                sku: "BOOK-11".into(),
                qty: 1,
            }],
        };
        Operation::new(KeyMode::Client, body)
    }

    fn answer(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            replayed: false,
            lease: None,
            retry_after: None,
            body: String::new(),
        }
    }

    #[test]
    fn only_silence_and_server_errors_count_as_failures() {
        let mut op = operation();
        for (status, explain) in [
            (None, Explain::Network("timeout".into())),
            (Some(409), Explain::InFlight),
            (
                Some(503),
                Explain::Problem {
                    title: String::new(),
                    detail: String::new(),
                },
            ),
        ] {
            let id = op.push_attempt(AttemptKind::Order, "00:00".into(), None, "body".into(), 0);
            op.settle_attempt(id, status.map(answer).as_ref(), 10, explain);
        }
        assert_eq!(op.order_attempts(), 3);
        assert_eq!(op.failed_attempts(), 2, "a 409 is an answer, not a failure");
    }

    #[test]
    fn an_order_under_a_key_counts_for_that_key_only() {
        let mut op = operation();
        let key = |k: &str| Some(k.to_owned());
        let sent = op.push_attempt(
            AttemptKind::Order,
            "00:00".into(),
            key("a"),
            "body".into(),
            0,
        );
        assert!(
            !op.made_an_order_with("a"),
            "an attempt on its way made nothing yet"
        );
        op.settle_attempt(sent, Some(&answer(201)), 10, Explain::Created);
        assert!(op.made_an_order_with("a"));
        assert!(
            !op.made_an_order_with("b"),
            "a new key per retry (accident 1) is not a reuse"
        );
    }

    #[test]
    fn a_reload_interrupts_what_was_on_its_way() {
        let mut op = operation();
        let sent = op.push_attempt(AttemptKind::Order, "00:00".into(), None, "body".into(), 0);
        op.mark_interrupted();
        assert!(op.resumed);
        assert_eq!(op.attempts[sent as usize - 1].explain, Explain::Interrupted);
        assert_eq!(op.failed_attempts(), 1);
    }

    #[test]
    fn an_operation_ends_once() {
        let mut op = operation();
        op.finish(Phase::Done { replayed: false });
        op.finish(Phase::Failed {
            title: "late".into(),
            detail: String::new(),
        });
        assert_eq!(op.phase, Phase::Done { replayed: false });
    }
}
