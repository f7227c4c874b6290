//! What each step's Run button does against the real server, and what it measures.
//!
//! Every run starts from a clean slate for this learner only (`POST /lab/reset` with their
//! id), switches on exactly what the step needs, places real orders through the page's own
//! retry loop (so the attempts table and the sequence diagram fill in as usual), then counts
//! what the server kept. The learner's own switches and form are put back afterwards.

use gloo_storage::{SessionStorage, Storage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{Order, PreparedKey, IDEMPOTENCY_KEY, LAB_ISSUE};
use crate::lab::{
    client, default_draft, driver, AttemptKind, KeyMode, LabState, Operation, Phase, Settings,
};

/// What a run found: which of the step's three choices the server's behaviour matches, and
/// the figures behind it (filled into the step's evidence line, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub actual: usize,
    pub figures: Vec<String>,
}

/// The learner's switches and form before a run, put back after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    settings: Settings,
    draft: crate::api::CreateOrderRequest,
}

/// Step 2 reloads the page in the middle of its run; this is what the reloaded page needs to
/// finish it (kept in this tab's sessionStorage, like the pending operation itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingReload {
    pub step: usize,
    pub prediction: usize,
    key_before: String,
    saved: Saved,
}

const PENDING_RELOAD: &str = "idem-lab.lesson-reload";
/// Longest a run waits for one operation: the delays here are at most a few seconds.
const OPERATION_TIMEOUT_MS: u32 = 30_000;
const POLL_MS: u32 = 100;

/// Runs step `number` (1–7 but 4, which asks the decision guide, not the server).
/// `key_inside_loop` is step 5's switch.
pub async fn run(
    state: LabState,
    number: usize,
    prediction: usize,
    key_inside_loop: bool,
) -> Result<Outcome, String> {
    match number {
        1 => lost_response(state).await,
        2 => reload_mid_request(state, prediction).await,
        3 => prepare_fails(state).await,
        5 => retry_loop(state, key_inside_loop).await,
        6 => refusals(state).await,
        7 => accidents(state).await,
        _ => Err(format!("step {number} has no server run")),
    }
}

/// Step 1: the first answer is lost; the page resends with the same key.
async fn lost_response(state: LabState) -> Result<Outcome, String> {
    on_clean_slate(
        state,
        |s| {
            s.delay_ms = 1500;
            s.lose_first_response = true;
        },
        async || {
            let operation = place_and_wait(state).await?;
            let kept = my_orders().await?.len();
            Ok(Outcome {
                actual: orders_choice(kept),
                figures: vec![operation.order_attempts().to_string(), kept.to_string()],
            })
        },
    )
    .await
}

/// Step 2: start an order, then reload the page while it runs. The reloaded page finishes the
/// run in `finish_reload`.
async fn reload_mid_request(state: LabState, prediction: usize) -> Result<Outcome, String> {
    let saved = clean_slate(state, |s| s.delay_ms = 3000).await?;
    driver::start(state);
    let sent = wait_for(state, |op| {
        op.key.is_some() && op.attempts.iter().any(|a| a.kind == AttemptKind::Order)
    })
    .await;
    let Some(key_before) = sent.and_then(|op| op.key) else {
        restore(state, saved);
        return Err("the order did not start".into());
    };
    let pending = PendingReload {
        step: 2,
        prediction,
        key_before,
        saved,
    };
    SessionStorage::set(PENDING_RELOAD, &pending).map_err(|e| e.to_string())?;
    // Give the request a moment on the wire, as a learner's reload would.
    client::sleep_ms(300).await;
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
    // The page is going away; the reloaded one reports the outcome.
    std::future::pending::<()>().await;
    unreachable!()
}

/// The step 2 run that the page left behind when it reloaded itself, if any.
pub fn take_pending_reload(step: usize) -> Option<PendingReload> {
    let pending: PendingReload = SessionStorage::get(PENDING_RELOAD).ok()?;
    SessionStorage::delete(PENDING_RELOAD);
    (pending.step == step).then_some(pending)
}

/// After the reload: the page has resumed the pending order (or not); see which key it sent.
pub async fn finish_reload(state: LabState, pending: PendingReload) -> Result<Outcome, String> {
    let operation = wait_for(state, |op| !op.is_pending()).await;
    let kept = my_orders().await;
    restore(state, pending.saved);
    let kept = kept?.len();
    let Some(key_after) = operation.and_then(|op| op.key) else {
        return Ok(Outcome {
            actual: 2,
            figures: vec![
                crate::lab::short_key(&pending.key_before),
                "—".into(),
                kept.to_string(),
            ],
        });
    };
    Ok(Outcome {
        actual: if key_after == pending.key_before {
            0
        } else {
            1
        },
        figures: vec![
            crate::lab::short_key(&pending.key_before),
            crate::lab::short_key(&key_after),
            kept.to_string(),
        ],
    })
}

/// Step 3: server-issued keys, and the first request for one fails.
async fn prepare_fails(state: LabState) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.mode = KeyMode::Server;
        s.fail_next_prepare = true;
        s.delay_ms = 500;
    };
    on_clean_slate(state, setup, async || {
        let operation = place_and_wait(state).await?;
        let kept = my_orders().await?.len();
        let prepares = operation
            .attempts
            .iter()
            .filter(|a| a.kind == AttemptKind::Prepare)
            .count();
        let expires = operation.key_expires_at.unwrap_or_else(|| "—".into());
        Ok(Outcome {
            actual: orders_choice(kept),
            figures: vec![prepares.to_string(), kept.to_string(), expires],
        })
    })
    .await
}

/// The two issued keys of step 3's "try next" that the server must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadIssuedKey {
    /// Correctly signed, but its expiry passed before any order used it.
    Expired,
    /// Issued a moment ago, then one character of it changed.
    Altered,
}

/// Asks for such a key and orders with it: the server's status and problem title.
pub async fn order_with(bad: BadIssuedKey) -> Result<(u16, String), String> {
    let headers: Vec<(&str, String)> = match bad {
        BadIssuedKey::Expired => vec![(LAB_ISSUE, "expired".into())],
        BadIssuedKey::Altered => Vec::new(),
    };
    let answer = client::send("POST", "/orders/prepare", &headers, None, 10_000).await?;
    let issued: PreparedKey = serde_json::from_str(&answer.body)
        .map_err(|_| format!("POST /orders/prepare: HTTP {}", answer.status))?;
    let key = match bad {
        BadIssuedKey::Expired => issued.idempotency_key,
        BadIssuedKey::Altered => alter_one_character(&issued.idempotency_key),
    };
    let body =
        serde_json::to_string(&default_draft(&client::learner_id())).map_err(|e| e.to_string())?;
    let headers = [
        ("Content-Type", "application/json".to_string()),
        (IDEMPOTENCY_KEY, key),
    ];
    let answer = client::send("POST", "/orders", &headers, Some(body), 10_000).await?;
    let title = answer.problem().map(|p| p.title).unwrap_or_default();
    Ok((answer.status, title))
}

/// Changes the first character of an issued key's random part (`srv_<expiry>_<random>_<mac>`)
/// to another hex digit, as a tampering client or a bad copy would.
fn alter_one_character(key: &str) -> String {
    let random_starts = key.match_indices('_').nth(1).map_or(0, |(i, _)| i + 1);
    key.char_indices()
        .map(|(i, c)| match (i == random_starts, c) {
            (true, '0') => '1',
            (true, _) => '0',
            (false, c) => c,
        })
        .collect()
}

/// Step 5: the first answer is lost, with the key made outside or inside the retry loop.
async fn retry_loop(state: LabState, key_inside_loop: bool) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.delay_ms = 1500;
        s.lose_first_response = true;
        s.new_key_every_retry = key_inside_loop;
    };
    on_clean_slate(state, setup, async || {
        let operation = place_and_wait(state).await?;
        let kept = my_orders().await?.len();
        let mut keys: Vec<&str> = operation
            .attempts
            .iter()
            .filter_map(|a| a.key.as_deref())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(Outcome {
            actual: orders_choice(kept),
            figures: vec![keys.len().to_string(), kept.to_string()],
        })
    })
    .await
}

/// Step 6: the same key with another quantity, then a send with no key at all.
async fn refusals(state: LabState) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.reuse_user_key = true;
        s.delay_ms = 0;
    };
    on_clean_slate(state, setup, async || {
        place_and_wait(state).await?;
        state.draft.update(|d| d.items[0].qty = 2);
        let second = place_and_wait(state).await?;
        let status = second
            .attempts
            .iter()
            .rev()
            .find_map(|a| a.status)
            .unwrap_or_default();
        let keyless = send_without_key(state).await?;
        let actual = match (status, &second.phase) {
            (422, _) => 2,
            (201, Phase::Done { replayed: true }) => 1,
            _ => 0,
        };
        Ok(Outcome {
            actual,
            figures: vec![status.to_string(), keyless.to_string()],
        })
    })
    .await
}

/// Step 7: accident 1 (a new key per retry), then accident 2 (one key per user, two orders).
async fn accidents(state: LabState) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.delay_ms = 1500;
        s.lose_first_response = true;
        s.new_key_every_retry = true;
    };
    on_clean_slate(state, setup, async || {
        place_and_wait(state).await?;
        let after_first = my_orders().await?.len();
        state.settings.update(|s| {
            *s = Settings {
                only_mine: s.only_mine,
                reuse_user_key: true,
                delay_ms: 0,
                ..Settings::default()
            }
        });
        place_and_wait(state).await?;
        place_and_wait(state).await?;
        let from_second = my_orders().await?.len() - after_first;
        let actual = match (after_first, from_second) {
            (2.., 1) => 0,
            (1, 2..) => 1,
            _ => 2,
        };
        Ok(Outcome {
            actual,
            figures: vec![after_first.to_string(), from_second.to_string()],
        })
    })
    .await
}

/// The step's three choices about orders are "one", "two", "none".
fn orders_choice(kept: usize) -> usize {
    match kept {
        1 => 0,
        0 => 2,
        _ => 1,
    }
}

/// Runs `body` from a clean slate, then gives the learner back their switches and form.
async fn on_clean_slate(
    state: LabState,
    setup: impl FnOnce(&mut Settings),
    body: impl AsyncFnOnce() -> Result<Outcome, String>,
) -> Result<Outcome, String> {
    let saved = clean_slate(state, setup).await?;
    let result = body().await;
    restore(state, saved);
    result
}

/// Forgets this learner's orders and records on the server and the page's pending operation,
/// then sets the step's switches on top of the defaults.
async fn clean_slate(state: LabState, setup: impl FnOnce(&mut Settings)) -> Result<Saved, String> {
    let saved = Saved {
        settings: state.settings.get_untracked(),
        draft: state.draft.get_untracked(),
    };
    let learner = client::learner_id();
    let answer = client::reset_learner().await?;
    if answer.status != 204 {
        return Err(format!("POST /lab/reset: HTTP {}", answer.status));
    }
    driver::abandon(state);
    let mut settings = Settings {
        only_mine: saved.settings.only_mine,
        ..Settings::default()
    };
    setup(&mut settings);
    state.settings.set(settings);
    state.draft.set(default_draft(&learner));
    state.tables_changed();
    Ok(saved)
}

/// Gives the learner their switches back. The form shows what the run last sent, so the
/// order panel agrees with the attempts beside it (and a click sends that order again).
fn restore(state: LabState, saved: Saved) {
    state.settings.set(saved.settings);
    let sent = state
        .operation
        .with_untracked(|op| op.as_ref().map(|op| op.body.clone()));
    state.draft.set(sent.unwrap_or(saved.draft));
    state.tables_changed();
}

/// Starts an operation from the form and waits for its final answer.
async fn place_and_wait(state: LabState) -> Result<Operation, String> {
    driver::start(state);
    let operation = wait_for(state, |op| !op.is_pending())
        .await
        .ok_or("no final answer in time")?;
    Ok(operation)
}

/// Waits until the current operation satisfies `done`, or gives up after a while.
async fn wait_for(state: LabState, done: impl Fn(&Operation) -> bool) -> Option<Operation> {
    let mut waited = 0;
    while waited < OPERATION_TIMEOUT_MS {
        if let Some(operation) = state.operation.get_untracked().filter(|op| done(op)) {
            return Some(operation);
        }
        client::sleep_ms(POLL_MS).await;
        waited += POLL_MS;
    }
    None
}

/// The learner's orders as the server has them now (every attempt already refreshed the
/// tables on the page).
async fn my_orders() -> Result<Vec<Order>, String> {
    let learner = client::learner_id();
    client::get_json(&format!("/orders?userId={learner}&limit=100")).await
}

/// `POST /orders` with a valid body and no `Idempotency-Key`: the server must refuse it.
async fn send_without_key(state: LabState) -> Result<u16, String> {
    let answer = client::post_json("/orders", &state.draft.get_untracked()).await?;
    Ok(answer.status)
}

#[cfg(test)]
mod tests {
    use super::alter_one_character;

    #[test]
    fn an_altered_issued_key_differs_in_exactly_its_random_part_first_character() {
        let key = "srv_1764300000000_0abc_ffff";
        let altered = alter_one_character(key);
        assert_eq!(altered, "srv_1764300000000_1abc_ffff");
        assert_eq!(alter_one_character("srv_1_9_0"), "srv_1_0_0");
    }
}
