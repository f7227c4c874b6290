//! The retry loop of one operation, as a careful client runs it:
//! make (or fetch) the key once, save it, send, and on anything but a final answer wait and
//! send again with the same key. What each answer means, and how long to wait, is the policy
//! in `retry.rs`. The lab's accident switches bend exactly one of its rules each.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::attempt::{Activity, AttemptKind, Exchange, Explain, Phase};
use super::keys::new_key;
use super::operation::{summarize, Operation};
use super::order::OrderInProgress;
use super::retry::{self, Next, Outcome};
use super::run::Run;
use super::settings::KeyMode;
use crate::api::{
    CreateOrderRequest, PreparedKey, CONTENT_TYPE, IDEMPOTENCY_KEY, JSON_CONTENT_TYPE,
    LAB_DELAY_MS, LAB_FAIL, LAB_FAIL_PREPARE, LAB_OPERATION,
};
use crate::browser::http::{self, Answer, HttpError, Method};
use crate::browser::{storage, time, transcript};

/// The order panel's buttons.
impl OrderInProgress {
    /// Starts a new operation from the form: a new key, saved before anything is sent.
    pub fn start(self) {
        let mode = self.prefs.get_untracked().mode;
        let operation = Operation::new(mode, self.draft.get_untracked());
        spawn_local(drive(Run::begin(self, Some(operation))));
    }

    /// A reload found this operation kept: show it again, and carry on with its key if it is
    /// still pending.
    pub fn resume(self, mut operation: Operation) {
        self.draft.set(operation.body.clone());
        operation.mark_interrupted();
        let pending = operation.is_pending();
        let run = Run::begin(self, Some(operation));
        if pending {
            spawn_local(drive(run));
        }
    }

    /// Sends the operation's request again, by hand: a click while pending, or after it is done.
    pub fn send_again(self) {
        let Some(mut operation) = self.operation.get_untracked() else {
            return;
        };
        if self.activity.get_untracked() != Activity::Idle {
            // The loop is running: this click is one more attempt beside it.
            if let Some(key) = operation.key.clone() {
                let run = Run::ongoing(self);
                spawn_local(async move {
                    attempt(run, AttemptKind::ExtraClick, &key, &operation.body, false).await;
                });
            }
            return;
        }
        operation.phase = Phase::Pending;
        spawn_local(drive(Run::begin(self, Some(operation))));
    }

    /// Forgets the current operation (its key too); the next click starts a new one.
    pub fn abandon(self) {
        Run::begin(self, None);
    }
}

async fn drive(run: Run) {
    while let Some(operation) = run.current().filter(Operation::is_pending) {
        if operation.failed_attempts() >= retry::MAX_FAILED_ATTEMPTS {
            run.finish(Phase::GaveUp {
                attempts: retry::MAX_FAILED_ATTEMPTS,
            });
            break;
        }
        let number = operation.order_attempts() + 1;
        let Some(key) = key_for_attempt(run, &operation, number).await else {
            // prepare failed: back off and try again
            run.wait(retry::jitter(
                retry::backoff_ms(operation.failed_attempts() + 1),
                time::random(),
            ))
            .await;
            continue;
        };
        run.set_activity(Activity::Sending { attempt: number });
        let lose = number == 1 && run.order.prefs.get_untracked().lose_first_response;
        match attempt(run, AttemptKind::Order, &key, &operation.body, lose).await {
            Next::Stop => break,
            Next::RetryAfterMs(ms) => run.wait(ms).await,
            Next::BackOff(ceiling) => run.wait(retry::jitter(ceiling, time::random())).await,
            Next::NeedNewKey => {
                run.update(|op| op.key = None);
            }
        }
    }
    if run.is_current() {
        run.set_activity(Activity::Idle);
    }
}

/// The key for this attempt. Normally the operation's one key, made (or fetched) once;
/// the accidents show what goes wrong when that rule is bent.
async fn key_for_attempt(run: Run, operation: &Operation, number: u32) -> Option<String> {
    let settings = run.order.prefs.get_untracked();
    let keep = |key: String| {
        // Saved before the request leaves: a reload from here on resumes with this key.
        run.update(|op| op.key = Some(key.clone()));
        Some(key)
    };
    if operation.mode == KeyMode::Client && settings.reuse_user_key {
        // Accident: the key mistaken for "who is ordering" rather than "which operation".
        return keep(format!("key-for-{}", operation.body.user_id));
    }
    // Accident: the key is made (or fetched) inside the retry loop, so each retry is a new
    // operation to the server.
    let remake = settings.new_key_every_retry && number > 1;
    match (&operation.key, operation.mode) {
        (Some(key), _) if !remake => Some(key.clone()),
        (_, KeyMode::Client) => keep(new_key()),
        (_, KeyMode::Server) => prepare(run).await,
    }
}

/// `POST /orders/prepare`: asks the server for a key.
async fn prepare(run: Run) -> Option<String> {
    run.set_activity(Activity::Preparing);
    let path = "/orders/prepare";
    let id = run.push_attempt(AttemptKind::Prepare, None, format!("POST {path}"), 0);
    let prefs = run.order.prefs;
    let headers: Vec<(&str, String)> = if prefs.get_untracked().fail_next_prepare {
        // The switch is for one call only: the retry must be able to succeed.
        prefs.update(|s| s.fail_next_prepare = false);
        vec![(LAB_FAIL, LAB_FAIL_PREPARE.to_string())]
    } else {
        Vec::new()
    };
    let sent = post(run, id, path, &headers, None, retry::REQUEST_TIMEOUT_MS).await;
    match sent.answer {
        Ok(answer) if answer.status == 201 => {
            let prepared: Option<PreparedKey> = serde_json::from_str(&answer.body).ok();
            let key = prepared.as_ref().map(|p| p.idempotency_key.clone());
            let expires_at = prepared.map(|p| p.expires_at);
            run.settle_attempt(id, Some(&answer), sent.latency_ms, Explain::Prepared);
            run.update(|op| op.take_issued_key(id, key.clone(), expires_at));
            key
        }
        Ok(answer) => {
            let explain = problem_explain(&answer);
            run.settle_attempt(id, Some(&answer), sent.latency_ms, explain);
            None
        }
        Err(error) => {
            check_server(run);
            run.settle_attempt(
                id,
                None,
                sent.latency_ms,
                Explain::Network(error.to_string()),
            );
            None
        }
    }
}

/// One `POST /orders`, logged before it leaves and settled when its answer (or failure) comes.
async fn attempt(
    run: Run,
    kind: AttemptKind,
    key: &str,
    body: &CreateOrderRequest,
    lose_response: bool,
) -> Next {
    let json = serde_json::to_string(body).expect("a request always serialises");
    let mut delay_ms = run.order.prefs.get_untracked().delay_ms;
    let mut timeout = retry::REQUEST_TIMEOUT_MS;
    if lose_response {
        delay_ms = delay_ms.max(retry::LOST_RESPONSE_MIN_DELAY_MS);
        timeout = retry::LOST_RESPONSE_TIMEOUT_MS;
    }
    let id = run.push_attempt(kind, Some(key.to_owned()), summarize(body), delay_ms);
    let lineage = run.read(|op| op.lineage.clone()).unwrap_or_default();
    let headers = [
        (CONTENT_TYPE, JSON_CONTENT_TYPE.to_string()),
        (IDEMPOTENCY_KEY, key.to_owned()),
        (LAB_DELAY_MS, delay_ms.to_string()),
        (LAB_OPERATION, lineage),
    ];
    let sent = post(run, id, "/orders", &headers, Some(json), timeout).await;
    let failure = run.read(|op| op.failed_attempts() + 1).unwrap_or(1);
    let answer = sent.answer.as_ref().ok();
    let (explain, next) = match &sent.answer {
        Err(error) => {
            check_server(run);
            (
                Explain::Network(error.to_string()),
                retry::no_answer(failure),
            )
        }
        Ok(answer) => read(answer, failure),
    };
    let explain = match explain {
        Explain::Created if run.read(|op| op.made_an_order_with(key)) == Some(true) => {
            Explain::CreatedAgain
        }
        explain => explain,
    };
    run.settle_attempt(id, answer, sent.latency_ms, explain.clone());
    match (&explain, kind) {
        (Explain::Created | Explain::CreatedAgain | Explain::Replayed, _) => {
            storage::remember_body(key, body);
            let replayed = explain == Explain::Replayed;
            run.finish(Phase::Done { replayed });
        }
        (Explain::Mismatch, _) => {
            let first = storage::first_body(key);
            run.update(|op| op.conflict = first);
            let (title, detail) = problem_text(answer);
            run.finish(Phase::Failed { title, detail });
        }
        (Explain::Problem { .. }, AttemptKind::Order) if next == Next::Stop => {
            let (title, detail) = problem_text(answer);
            run.finish(Phase::Failed { title, detail });
        }
        _ => {}
    }
    next
}

/// What a request brought back, and how long it took.
struct Sent {
    answer: Result<Answer, HttpError>,
    latency_ms: u32,
}

/// Sends a `POST` for attempt `id`, and keeps it on the attempt as raw HTTP and curl.
async fn post(
    run: Run,
    id: u32,
    path: &str,
    headers: &[(&str, String)],
    body: Option<String>,
    timeout_ms: u32,
) -> Sent {
    let request = transcript::raw_request(Method::Post, path, headers, body.as_deref());
    let curl = transcript::curl(Method::Post, path, headers, body.as_deref());
    let started = time::now_ms();
    let answer = http::send(http::Request {
        method: Method::Post,
        path,
        headers,
        body,
        timeout_ms,
    })
    .await;
    let latency_ms = (time::now_ms() - started).max(0.0) as u32;
    let response = answer.as_ref().ok().map(transcript::raw_response);
    run.update(|op| {
        let exchange = Exchange {
            request,
            response,
            curl,
        };
        op.attach_exchange(id, exchange)
    });
    Sent { answer, latency_ms }
}

/// An answer read by the policy, in the learner's terms.
fn read(answer: &Answer, failure: u32) -> (Explain, Next) {
    let problem_type = answer.problem().and_then(|p| p.problem_type());
    let (outcome, next) = retry::judge(
        answer.status,
        answer.replayed,
        answer.retry_after,
        problem_type,
        failure,
    );
    let explain = match outcome {
        Outcome::Created => Explain::Created,
        Outcome::Replayed => Explain::Replayed,
        Outcome::InFlight => Explain::InFlight,
        Outcome::Mismatch => Explain::Mismatch,
        Outcome::KeyExpired => Explain::KeyExpired,
        Outcome::Problem => problem_explain(answer),
    };
    (explain, next)
}

fn problem_explain(answer: &Answer) -> Explain {
    let (title, detail) = problem_text(Some(answer));
    Explain::Problem { title, detail }
}

fn problem_text(answer: Option<&Answer>) -> (String, String) {
    match answer.and_then(Answer::problem) {
        Some(problem) => (problem.title, problem.detail),
        None => (
            answer.map_or("no answer".into(), |a| format!("HTTP {}", a.status)),
            String::new(),
        ),
    }
}

/// After an attempt got no answer: is the server down, or was only that answer lost (accident
/// 1 loses one on purpose)? `/health` tells, for the banner that says the server is not
/// answering.
fn check_server(run: Run) {
    spawn_local(async move {
        let answered = http::get_json::<crate::api::Health>("/health")
            .await
            .is_ok();
        run.server_answered(answered);
    });
}
