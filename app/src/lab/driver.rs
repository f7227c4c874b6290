//! The retry loop of one operation, as a careful client runs it:
//! make (or fetch) the key once, save it, send, and on anything but a final answer wait and
//! send again with the same key — honouring `Retry-After` on 409, backing off on network
//! errors and 5xx. The lab's accident switches bend exactly one of these rules each.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::client::{self, Answer};
use super::{Activity, AttemptKind, AttemptLog, Explain, KeyMode, LabState, Operation, Phase};
use crate::api::{
    CreateOrderRequest, PreparedKey, Problem, IDEMPOTENCY_KEY, LAB_DELAY_MS, LAB_FAIL,
};

/// After this many failed attempts (no answer, or a 5xx) the page stops on its own; the
/// learner may send again.
const MAX_FAILED_ATTEMPTS: u32 = 8;
/// Longer than the largest server delay, so only a real failure times out.
const REQUEST_TIMEOUT_MS: u32 = 15_000;
/// "Lose the response": the page stops waiting this early, while the server carries on.
const LOST_RESPONSE_TIMEOUT_MS: u32 = 400;
const LOST_RESPONSE_MIN_DELAY_MS: u32 = 1_500;

/// What the loop does after an attempt.
enum Next {
    Stop,
    RetryAfterMs(u32),
    NeedNewKey,
}

/// Starts a new operation from the form: a new key, saved before anything is sent.
pub fn start(state: LabState) {
    let settings = state.settings.get_untracked();
    let operation = Operation::new(settings.mode, state.draft.get_untracked());
    let generation = begin(state, Some(operation));
    spawn_local(drive(state, generation));
}

/// A reload found a pending operation: carry on with the key it kept.
pub fn resume(state: LabState, mut operation: Operation) {
    operation.resumed = true;
    for attempt in &mut operation.attempts {
        if attempt.explain == Explain::Sending {
            attempt.explain = Explain::Interrupted;
        }
    }
    let pending = operation.is_pending();
    let generation = begin(state, Some(operation));
    if pending {
        spawn_local(drive(state, generation));
    }
}

/// Sends the operation's request again, by hand: a click while pending, or after it is done.
pub fn send_again(state: LabState) {
    let Some(operation) = state.operation.get_untracked() else {
        return;
    };
    if state.activity.get_untracked() != Activity::Idle {
        // The loop is running: this click is one more attempt beside it.
        if let Some(key) = operation.key.clone() {
            spawn_local(async move {
                let generation = state.generation.get_untracked();
                let _ = attempt(
                    state,
                    generation,
                    AttemptKind::ExtraClick,
                    &key,
                    &operation.body,
                    false,
                )
                .await;
            });
        }
        return;
    }
    let mut operation = operation;
    operation.phase = Phase::Pending;
    let generation = begin(state, Some(operation));
    spawn_local(drive(state, generation));
}

/// Forgets the current operation (its key too); the next click starts a new one.
pub fn abandon(state: LabState) {
    begin(state, None);
}

fn begin(state: LabState, operation: Option<Operation>) -> u64 {
    state.generation.update(|g| *g += 1);
    client::save_operation(operation.as_ref());
    state.operation.set(operation);
    state.activity.set(Activity::Idle);
    state.generation.get_untracked()
}

async fn drive(state: LabState, generation: u64) {
    loop {
        let Some(operation) = current(state, generation) else {
            return;
        };
        if !operation.is_pending() {
            break;
        }
        let number = operation.order_attempts() + 1;
        if operation.failed_attempts() >= MAX_FAILED_ATTEMPTS {
            let texts = state.lang.get_untracked().texts();
            finish(
                state,
                generation,
                Phase::Failed {
                    title: texts.timeline.network_error.into(),
                    detail: format!(
                        "{} × {}",
                        MAX_FAILED_ATTEMPTS, texts.timeline.explain_network
                    ),
                },
            );
            break;
        }
        let Some(key) = key_for_attempt(state, generation, &operation, number).await else {
            // prepare failed: back off and try again
            wait(
                state,
                generation,
                backoff_ms(operation.failed_attempts() + 1),
            )
            .await;
            continue;
        };
        state.activity.set(Activity::Sending { attempt: number });
        let lose = number == 1 && state.settings.get_untracked().lose_first_response;
        match attempt(
            state,
            generation,
            AttemptKind::Order,
            &key,
            &operation.body,
            lose,
        )
        .await
        {
            Next::Stop => break,
            Next::RetryAfterMs(ms) => wait(state, generation, ms).await,
            Next::NeedNewKey => update(state, generation, |op| op.key = None),
        }
    }
    if state.generation.get_untracked() == generation {
        state.activity.set(Activity::Idle);
    }
}

/// The key for this attempt. Normally the operation's one key, made (or fetched) once;
/// the accidents show what goes wrong when that rule is bent.
async fn key_for_attempt(
    state: LabState,
    generation: u64,
    operation: &Operation,
    number: u32,
) -> Option<String> {
    let settings = state.settings.get_untracked();
    if operation.mode == KeyMode::Client && settings.reuse_user_key {
        // Accident: the key mistaken for "who is ordering" rather than "which operation".
        let key = format!("key-for-{}", operation.body.user_id);
        update(state, generation, |op| op.key = Some(key.clone()));
        return Some(key);
    }
    if settings.new_key_every_retry && number > 1 {
        // Accident: the key is made (or fetched) inside the retry loop, so each retry is a
        // new operation to the server.
        return match operation.mode {
            KeyMode::Client => {
                let key = client::new_key();
                update(state, generation, |op| op.key = Some(key.clone()));
                Some(key)
            }
            KeyMode::Server => prepare(state, generation).await,
        };
    }
    if let Some(key) = &operation.key {
        return Some(key.clone());
    }
    match operation.mode {
        KeyMode::Client => {
            let key = client::new_key();
            // Saved before the request leaves: a reload from here on resumes with this key.
            update(state, generation, |op| op.key = Some(key.clone()));
            Some(key)
        }
        KeyMode::Server => prepare(state, generation).await,
    }
}

async fn prepare(state: LabState, generation: u64) -> Option<String> {
    state.activity.set(Activity::Preparing);
    let fail_on_purpose = state.settings.get_untracked().fail_next_prepare;
    let id = log(
        state,
        generation,
        AttemptKind::Prepare,
        None,
        "POST /orders/prepare".into(),
        0,
    );
    let headers: Vec<(&str, String)> = if fail_on_purpose {
        // The switch is for one call only: the retry must be able to succeed.
        state.settings.update(|s| s.fail_next_prepare = false);
        client::save_settings(&state.settings.get_untracked());
        vec![(LAB_FAIL, "prepare".to_string())]
    } else {
        Vec::new()
    };
    let request = client::raw_request("POST", "/orders/prepare", &headers, None);
    let curl = client::curl("POST", "/orders/prepare", &headers, None);
    let started = client::now_ms();
    let answer = client::send(
        "POST",
        "/orders/prepare",
        &headers,
        None,
        REQUEST_TIMEOUT_MS,
    )
    .await;
    let latency = latency_since(started);
    record_exchange(state, generation, id, request, curl, answer.as_ref().ok());
    match answer {
        Ok(answer) if answer.status == 201 => {
            let prepared: Option<PreparedKey> = serde_json::from_str(&answer.body).ok();
            let key = prepared.as_ref().map(|p| p.idempotency_key.clone());
            settle(
                state,
                generation,
                id,
                Some(&answer),
                latency,
                Explain::Prepared,
                key.clone(),
            );
            update(state, generation, |op| {
                op.key = key.clone();
                op.key_expires_at = prepared.map(|p| p.expires_at);
            });
            key
        }
        Ok(answer) => {
            let explain = problem_explain(&answer);
            settle(state, generation, id, Some(&answer), latency, explain, None);
            None
        }
        Err(error) => {
            settle(
                state,
                generation,
                id,
                None,
                latency,
                Explain::Network(error),
                None,
            );
            None
        }
    }
}

/// One `POST /orders`, logged before it leaves and settled when its answer (or failure) comes.
async fn attempt(
    state: LabState,
    generation: u64,
    kind: AttemptKind,
    key: &str,
    body: &CreateOrderRequest,
    lose_response: bool,
) -> Next {
    let json = serde_json::to_string(body).expect("a request always serialises");
    let mut delay_ms = state.settings.get_untracked().delay_ms;
    let mut timeout = REQUEST_TIMEOUT_MS;
    if lose_response {
        delay_ms = delay_ms.max(LOST_RESPONSE_MIN_DELAY_MS);
        timeout = LOST_RESPONSE_TIMEOUT_MS;
    }
    let id = log(
        state,
        generation,
        kind,
        Some(key.to_owned()),
        super::summarize(body),
        delay_ms,
    );
    let headers = [
        ("Content-Type", "application/json".to_string()),
        (IDEMPOTENCY_KEY, key.to_owned()),
        (LAB_DELAY_MS, delay_ms.to_string()),
    ];
    let request = client::raw_request("POST", "/orders", &headers, Some(&json));
    let curl = client::curl("POST", "/orders", &headers, Some(&json));
    let started = client::now_ms();
    let result = client::send("POST", "/orders", &headers, Some(json), timeout).await;
    let latency = latency_since(started);
    let number = current(state, generation).map_or(1, |op| op.failed_attempts() + 1);
    let (explain, next) = match &result {
        Err(error) => (
            Explain::Network(error.clone()),
            Next::RetryAfterMs(backoff_ms(number)),
        ),
        Ok(answer) => judge(answer, number),
    };
    settle(
        state,
        generation,
        id,
        result.as_ref().ok(),
        latency,
        explain.clone(),
        None,
    );
    record_exchange(state, generation, id, request, curl, result.as_ref().ok());
    match (&explain, kind) {
        (Explain::Created | Explain::Replayed, _) => {
            client::remember_body(key, body);
            let replayed = explain == Explain::Replayed;
            finish(state, generation, Phase::Done { replayed });
        }
        (Explain::Mismatch, _) => {
            let first = client::first_body(key);
            update(state, generation, |op| op.conflict = first);
            let (title, detail) = problem_text(result.as_ref().ok());
            finish(state, generation, Phase::Failed { title, detail });
        }
        (Explain::Problem { .. }, AttemptKind::Order) if matches!(next, Next::Stop) => {
            let (title, detail) = problem_text(result.as_ref().ok());
            finish(state, generation, Phase::Failed { title, detail });
        }
        _ => {}
    }
    refresh_tables(state);
    next
}

/// Reads an answer the way a careful client does.
fn judge(answer: &Answer, number: u32) -> (Explain, Next) {
    match answer.status {
        201 if answer.replayed => (Explain::Replayed, Next::Stop),
        201 => (Explain::Created, Next::Stop),
        409 => (
            Explain::InFlight,
            Next::RetryAfterMs(answer.retry_after.unwrap_or(1).clamp(1, 30) * 1000),
        ),
        422 => (Explain::Mismatch, Next::Stop),
        400 if problem_type(answer).as_deref() == Some("/problems/issued-key-expired") => {
            (Explain::KeyExpired, Next::NeedNewKey)
        }
        500..=599 => (
            problem_explain(answer),
            Next::RetryAfterMs(backoff_ms(number)),
        ),
        _ => (problem_explain(answer), Next::Stop),
    }
}

fn problem_type(answer: &Answer) -> Option<String> {
    serde_json::from_str::<Problem>(&answer.body)
        .ok()
        .map(|p| p.kind)
}

fn problem_explain(answer: &Answer) -> Explain {
    let (title, detail) = problem_text(Some(answer));
    Explain::Problem { title, detail }
}

fn problem_text(answer: Option<&Answer>) -> (String, String) {
    match answer.and_then(|a| serde_json::from_str::<Problem>(&a.body).ok()) {
        Some(problem) => (problem.title, problem.detail),
        None => (
            answer.map_or("no answer".into(), |a| format!("HTTP {}", a.status)),
            String::new(),
        ),
    }
}

/// 0.5 s, 1 s, 2 s, 4 s, then 8 s: quick at first, gentle on a struggling server later.
fn backoff_ms(attempt: u32) -> u32 {
    500 * 2u32.pow(attempt.saturating_sub(1).min(4))
}

fn latency_since(started: f64) -> u32 {
    (client::now_ms() - started).max(0.0) as u32
}

/// Waits `ms`, counting down in whole seconds for the status line.
async fn wait(state: LabState, generation: u64, ms: u32) {
    let mut left = ms;
    while left > 0 && state.generation.get_untracked() == generation {
        state.activity.set(Activity::Waiting {
            seconds: left.div_ceil(1000),
        });
        let step = match left % 1000 {
            0 => 1000,
            part => part,
        };
        client::sleep_ms(step).await;
        left -= step;
    }
}

fn current(state: LabState, generation: u64) -> Option<Operation> {
    (state.generation.get_untracked() == generation)
        .then(|| state.operation.get_untracked())
        .flatten()
}

/// Changes the operation (if it is still the current one) and saves it at once.
fn update(state: LabState, generation: u64, change: impl FnOnce(&mut Operation)) {
    if state.generation.get_untracked() != generation {
        return;
    }
    state.operation.update(|op| {
        if let Some(op) = op {
            change(op);
        }
    });
    client::save_operation(state.operation.get_untracked().as_ref());
}

fn finish(state: LabState, generation: u64, phase: Phase) {
    update(state, generation, |op| {
        if op.is_pending() {
            op.phase = phase;
        }
    });
}

/// Adds an attempt to the timeline (and to sessionStorage) before its request leaves.
fn log(
    state: LabState,
    generation: u64,
    kind: AttemptKind,
    key: Option<String>,
    sent: String,
    delay_ms: u32,
) -> u32 {
    let mut id = 0;
    update(state, generation, |op| {
        id = op.attempts.len() as u32 + 1;
        op.attempts.push(AttemptLog {
            id,
            kind,
            at: client::clock(),
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
    });
    id
}

fn settle(
    state: LabState,
    generation: u64,
    id: u32,
    answer: Option<&Answer>,
    latency_ms: u32,
    explain: Explain,
    issued_key: Option<String>,
) {
    state
        .server_up
        .set(answer.is_some() || state.server_up.get_untracked());
    update(state, generation, |op| {
        if let Some(entry) = op.attempts.iter_mut().find(|a| a.id == id) {
            entry.status = answer.map(|a| a.status);
            entry.replayed = answer.is_some_and(|a| a.replayed);
            entry.lease = answer.and_then(|a| a.lease);
            entry.latency_ms = Some(latency_ms);
            entry.explain = explain;
            entry.server_says = answer
                .and_then(|a| serde_json::from_str::<Problem>(&a.body).ok())
                .map(|p| format!("{}: {}", p.title, p.detail));
            if issued_key.is_some() {
                entry.key = issued_key;
            }
        }
    });
}

/// Fetches the orders and records tables; also tells whether the server is reachable.
pub fn refresh_tables(state: LabState) {
    spawn_local(async move {
        if state.backend.get_untracked().is_none() {
            if let Ok(health) = client::get_json::<crate::api::Health>("/health").await {
                state.backend.set(Some(health.backend));
            }
        }
        let orders = client::get_json("/orders?limit=200").await;
        let records = client::get_json("/idempotency-records?limit=200").await;
        state.server_up.set(orders.is_ok());
        if let Ok(orders) = orders {
            state.orders.set(orders);
        }
        if let Ok(records) = records {
            state.records.set(records);
        }
    });
}

fn record_exchange(
    state: LabState,
    generation: u64,
    id: u32,
    request: String,
    curl: String,
    answer: Option<&Answer>,
) {
    let response = answer.map(client::raw_response);
    update(state, generation, |op| {
        if let Some(entry) = op.attempts.iter_mut().find(|a| a.id == id) {
            entry.exchange = Some(super::Exchange {
                request,
                response,
                curl,
            });
        }
    });
}
