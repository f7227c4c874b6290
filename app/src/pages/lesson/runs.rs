//! What each step's Run button does against the real server, and what it measures.
//!
//! Every run starts from a clean slate for this learner only (`POST /lab/reset` with their
//! id), switches on exactly what the step needs, places real orders through the page's own
//! retry loop (so the attempts table and the sequence diagram fill in as usual), then counts
//! what the server kept. The learner's own switches and form are put back afterwards.

use gloo_storage::{SessionStorage, Storage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{
    Order, PreparedKey, ResetRequest, CONTENT_TYPE, IDEMPOTENCY_KEY, JSON_CONTENT_TYPE, LAB_ISSUE,
    LAB_ISSUE_EXPIRED,
};
use crate::browser::http::{self, Method, Request, SHORT_TIMEOUT_MS};
use crate::browser::{storage, tabs, time};
use crate::lab::attempt::{AttemptKind, Phase};
use crate::lab::keys::short_key;
use crate::lab::operation::Operation;
use crate::lab::order::{default_draft, OrderInProgress};
use crate::lab::preferences::Preferences;
use crate::lab::settings::{KeyMode, Settings};
use crate::step::Step;

/// What a run works with: the page's order in progress, and the switches it sets for the run
/// and gives back after.
#[derive(Clone, Copy)]
pub struct Workbench {
    pub order: OrderInProgress,
    pub prefs: Preferences,
}

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
    /// The step's number (saved across the reload).
    pub step: usize,
    pub prediction: usize,
    key_before: String,
    saved: Saved,
}

const PENDING_RELOAD: &str = "idem-lab.lesson-reload";
/// Longest a run waits for one operation: the delays here are at most a few seconds.
const OPERATION_TIMEOUT_MS: u32 = 30_000;
const POLL_MS: u32 = 100;

/// Runs `step` (any but the decision guide's and the quiz's, which ask no server).
/// `key_inside_loop` is step 5's switch.
pub async fn run(
    bench: Workbench,
    step: Step,
    prediction: usize,
    key_inside_loop: bool,
) -> Result<Outcome, String> {
    match step {
        Step::OneOperationOneKey => lost_response(bench).await,
        Step::ClientKeys => reload_mid_request(bench, prediction).await,
        Step::ServerKeys => prepare_fails(bench).await,
        Step::ClientDuties => retry_loop(bench, key_inside_loop).await,
        Step::Refusals => refusals(bench).await,
        Step::Accidents => accidents(bench).await,
        Step::Choosing | Step::Quiz => Err(format!("step {} has no server run", step.number())),
    }
}

/// Step 1: the first answer is lost; the page resends with the same key.
async fn lost_response(bench: Workbench) -> Result<Outcome, String> {
    on_clean_slate(
        bench,
        |s| {
            s.delay_ms = 1500;
            s.lose_first_response = true;
        },
        async || {
            let operation = place_and_wait(bench).await?;
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
async fn reload_mid_request(bench: Workbench, prediction: usize) -> Result<Outcome, String> {
    let saved = clean_slate(bench, |s| s.delay_ms = 3000).await?;
    bench.order.start();
    let sent = wait_for(bench, |op| {
        op.key.is_some() && op.attempts.iter().any(|a| a.kind == AttemptKind::Order)
    })
    .await;
    let Some(key_before) = sent.and_then(|op| op.key) else {
        restore(bench, saved);
        return Err("the order did not start".into());
    };
    let pending = PendingReload {
        step: Step::ClientKeys.number(),
        prediction,
        key_before,
        saved,
    };
    SessionStorage::set(PENDING_RELOAD, &pending).map_err(|e| e.to_string())?;
    // Give the request a moment on the wire, as a learner's reload would.
    time::sleep_ms(300).await;
    tabs::reload_tab();
    // The page is going away; the reloaded one reports the outcome.
    std::future::pending::<()>().await;
    unreachable!()
}

/// The step 2 run that the page left behind when it reloaded itself, if any.
pub fn take_pending_reload(step: Step) -> Option<PendingReload> {
    let pending: PendingReload = SessionStorage::get(PENDING_RELOAD).ok()?;
    SessionStorage::delete(PENDING_RELOAD);
    (pending.step == step.number()).then_some(pending)
}

/// After the reload: the page has resumed the pending order (or not); see which key it sent.
pub async fn finish_reload(bench: Workbench, pending: PendingReload) -> Result<Outcome, String> {
    let operation = wait_for(bench, |op| !op.is_pending()).await;
    let kept = my_orders().await;
    restore(bench, pending.saved);
    let kept = kept?.len();
    let Some(key_after) = operation.and_then(|op| op.key) else {
        return Ok(Outcome {
            actual: 2,
            figures: vec![short_key(&pending.key_before), "—".into(), kept.to_string()],
        });
    };
    Ok(Outcome {
        actual: if key_after == pending.key_before {
            0
        } else {
            1
        },
        figures: vec![
            short_key(&pending.key_before),
            short_key(&key_after),
            kept.to_string(),
        ],
    })
}

/// Step 3: server-issued keys, and the first request for one fails.
async fn prepare_fails(bench: Workbench) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.mode = KeyMode::Server;
        s.fail_next_prepare = true;
        s.delay_ms = 500;
    };
    on_clean_slate(bench, setup, async || {
        let operation = place_and_wait(bench).await?;
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
        BadIssuedKey::Expired => vec![(LAB_ISSUE, LAB_ISSUE_EXPIRED.into())],
        BadIssuedKey::Altered => Vec::new(),
    };
    let answer = http::send(Request {
        method: Method::Post,
        path: "/orders/prepare",
        headers: &headers,
        body: None,
        timeout_ms: SHORT_TIMEOUT_MS,
    })
    .await
    .map_err(|e| e.to_string())?;
    let issued: PreparedKey = serde_json::from_str(&answer.body)
        .map_err(|_| format!("POST /orders/prepare: HTTP {}", answer.status))?;
    let key = match bad {
        BadIssuedKey::Expired => issued.idempotency_key,
        BadIssuedKey::Altered => alter_one_character(&issued.idempotency_key),
    };
    let body =
        serde_json::to_string(&default_draft(&storage::learner_id())).map_err(|e| e.to_string())?;
    let headers = [
        (CONTENT_TYPE, JSON_CONTENT_TYPE.to_string()),
        (IDEMPOTENCY_KEY, key),
    ];
    let answer = http::send(Request {
        method: Method::Post,
        path: "/orders",
        headers: &headers,
        body: Some(body),
        timeout_ms: SHORT_TIMEOUT_MS,
    })
    .await
    .map_err(|e| e.to_string())?;
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
async fn retry_loop(bench: Workbench, key_inside_loop: bool) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.delay_ms = 1500;
        s.lose_first_response = true;
        s.new_key_every_retry = key_inside_loop;
    };
    on_clean_slate(bench, setup, async || {
        let operation = place_and_wait(bench).await?;
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
async fn refusals(bench: Workbench) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.reuse_user_key = true;
        s.delay_ms = 0;
    };
    on_clean_slate(bench, setup, async || {
        place_and_wait(bench).await?;
        bench.order.edit_draft(|d| d.items[0].qty = 2);
        let second = place_and_wait(bench).await?;
        let status = second
            .attempts
            .iter()
            .rev()
            .find_map(|a| a.status)
            .unwrap_or_default();
        let keyless = send_without_key(bench).await?;
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
async fn accidents(bench: Workbench) -> Result<Outcome, String> {
    let setup = |s: &mut Settings| {
        s.delay_ms = 1500;
        s.lose_first_response = true;
        s.new_key_every_retry = true;
    };
    on_clean_slate(bench, setup, async || {
        place_and_wait(bench).await?;
        let after_first = my_orders().await?.len();
        bench.prefs.update(|s| {
            *s = Settings {
                reuse_user_key: true,
                delay_ms: 0,
                ..s.fresh_keeping_view()
            }
        });
        place_and_wait(bench).await?;
        place_and_wait(bench).await?;
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
    bench: Workbench,
    setup: impl FnOnce(&mut Settings),
    body: impl AsyncFnOnce() -> Result<Outcome, String>,
) -> Result<Outcome, String> {
    let saved = clean_slate(bench, setup).await?;
    let result = body().await;
    restore(bench, saved);
    result
}

/// Forgets this learner's orders and records on the server and the page's pending operation,
/// then sets the step's switches on top of the defaults.
async fn clean_slate(bench: Workbench, setup: impl FnOnce(&mut Settings)) -> Result<Saved, String> {
    let saved = Saved {
        settings: bench.prefs.get_untracked(),
        draft: bench.order.draft().get_untracked(),
    };
    let learner = storage::learner_id();
    let reset = ResetRequest {
        user_id: learner.clone(),
    };
    let answer = http::post_json("/lab/reset", &reset)
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != 204 {
        return Err(format!("POST /lab/reset: HTTP {}", answer.status));
    }
    bench.order.abandon();
    let mut settings = saved.settings.fresh_keeping_view();
    setup(&mut settings);
    bench.prefs.set(settings);
    bench.order.set_draft(default_draft(&learner));
    Ok(saved)
}

/// Gives the learner their switches back. The form shows what the run last sent, so the
/// order panel agrees with the attempts beside it (and a click sends that order again).
fn restore(bench: Workbench, saved: Saved) {
    bench.prefs.set(saved.settings);
    let sent = bench.order.operation_untracked().map(|op| op.body);
    bench.order.set_draft(sent.unwrap_or(saved.draft));
}

/// Starts an operation from the form and waits for its final answer.
async fn place_and_wait(bench: Workbench) -> Result<Operation, String> {
    bench.order.start();
    let operation = wait_for(bench, |op| !op.is_pending())
        .await
        .ok_or("no final answer in time")?;
    Ok(operation)
}

/// Waits until the current operation satisfies `done`, or gives up after a while.
async fn wait_for(bench: Workbench, done: impl Fn(&Operation) -> bool) -> Option<Operation> {
    let mut waited = 0;
    while waited < OPERATION_TIMEOUT_MS {
        if let Some(operation) = bench.order.operation_untracked().filter(|op| done(op)) {
            return Some(operation);
        }
        time::sleep_ms(POLL_MS).await;
        waited += POLL_MS;
    }
    None
}

/// The learner's orders as the server has them now (every attempt already refreshed the
/// tables on the page).
async fn my_orders() -> Result<Vec<Order>, String> {
    let learner = storage::learner_id();
    http::get_json(&format!("/orders?userId={learner}&limit=100"))
        .await
        .map_err(|e| e.to_string())
}

/// `POST /orders` with a valid body and no `Idempotency-Key`: the server must refuse it.
async fn send_without_key(bench: Workbench) -> Result<u16, String> {
    let answer = http::post_json("/orders", &bench.order.draft().get_untracked())
        .await
        .map_err(|e| e.to_string())?;
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
