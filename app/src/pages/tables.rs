//! What the server holds: its orders and its idempotency records.

use leptos::prelude::*;

use crate::api::{Backend, ExpireKeyRequest, IdempotencyRecordView, Order, RecordStateView};
use crate::i18n::{fill, PanelText, PanelTexts};
use crate::lab::{client, short_key, use_lab, LabState};

/// The tables fetch themselves: at once, whenever the lab says they may have changed, and
/// every 2 s, since other tabs and the purge change them too. The first answer also says
/// whether the server is reachable, and `/health` names its backend and expiry policy.
pub fn keep_fresh(state: LabState) {
    Effect::new(move |polling: Option<()>| {
        state.tables_stale.track();
        leptos::task::spawn_local(fetch(state));
        if polling.is_none() {
            leptos::task::spawn_local(async move {
                loop {
                    client::sleep_ms(2000).await;
                    fetch(state).await;
                }
            });
        }
    });
}

async fn fetch(state: LabState) {
    if state.health.with_untracked(Option::is_none) {
        crate::lab::driver::ask_health(state).await;
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
}

const ORDER_COLUMNS: [PanelText; 5] = [
    |t| t.tables.col_order,
    |t| t.tables.col_user,
    |t| t.tables.col_items,
    |t| t.timeline.col_key,
    |t| t.tables.col_created,
];
const RECORD_COLUMNS: [PanelText; 6] = [
    |t| t.timeline.col_key,
    |t| t.tables.col_state,
    |t| t.tables.col_fingerprint,
    |t| t.tables.col_stored,
    |t| t.tables.col_replays,
    |t| t.tables.col_expires,
];

#[component]
pub fn OrdersTable() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.panel_texts();
    let only_mine = move || state.settings.with(|s| s.only_mine);
    // The orders shown, each with whether it repeats an earlier one.
    let shown = Memo::new(move |_| {
        let user = state.draft.with(|d| d.user_id.clone());
        let mine = only_mine();
        let orders: Vec<Order> = state.orders.with(|orders| {
            orders
                .iter()
                .filter(|o| !mine || o.user_id == user)
                .cloned()
                .collect()
        });
        let duplicates = duplicate_ids(&orders);
        orders
            .into_iter()
            .map(|order| {
                let duplicate = duplicates.contains(&order.id);
                (order, duplicate)
            })
            .collect::<Vec<_>>()
    });
    view! {
        <h2 id="orders-heading">{move || texts().tables.orders}" "<span class="count" data-testid="orders-count">{move || shown.with(Vec::len)}</span></h2>
        <label class="check">
            <input
                type="checkbox"
                data-testid="only-mine"
                prop:checked=only_mine
                disabled=move || !state.hydrated.get()
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    state.settings.update(|s| s.only_mine = on);
                }
            />
            <span>{move || texts().tables.only_mine}</span>
        </label>
        <Show
            when=move || !shown.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{texts().tables.orders_empty}</p> }
        >
            {super::scroll_region(|t| t.tables.orders, view! {
                <table data-testid="orders">
                    <caption class="sr-only">{move || texts().tables.orders}</caption>
                    <thead>{super::header_row(&ORDER_COLUMNS)}</thead>
                    <tbody>{super::keyed_rows(shown, |(order, _)| &order.id, order_row)}</tbody>
                </table>
            })}
        </Show>
    }
}

fn order_row((order, duplicate): (Order, bool), texts: &'static PanelTexts) -> impl IntoView {
    let texts = &texts.tables;
    let items = order
        .items
        .iter()
        .map(|i| format!("{} ×{}", i.sku, i.qty))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <tr data-testid="order-row" class:duplicate=duplicate>
            <td class="mono" title=order.id.clone()>
                {short_key(&order.id)}
                {duplicate.then(|| view! {
                    " "<span class="tag dup" data-testid="duplicate" title=texts.duplicate_title>{texts.duplicate}</span>
                })}
            </td>
            <td>{order.user_id}</td>
            <td>{items}</td>
            <td class="mono" title=order.idempotency_key.clone()>{short_key(&order.idempotency_key)}</td>
            <td class="mono">{order.created_at}</td>
        </tr>
    }
}

#[component]
pub fn RecordsTable() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.panel_texts();
    let records = Memo::new(move |_| {
        let all = state.records.get();
        if !state.settings.with(|s| s.only_mine) {
            return all;
        }
        all.into_iter()
            .filter(|record| is_mine(state, record))
            .collect()
    });
    view! {
        <h2 id="records-heading">{move || texts().tables.records}</h2>
        <p class="backend" data-testid="backend">
            {move || state.health.with(|health| match health.as_ref().map(|h| h.backend) {
                Some(Backend::Postgres) => texts().tables.kept_in_postgres,
                Some(Backend::Sqlite) => texts().tables.kept_in_sqlite,
                None => "",
            })}
        </p>
        <p class="hint" data-testid="expiry-policy">{move || expiry_policy(state)}</p>
        <Show
            when=move || !records.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{texts().tables.records_empty}</p> }
        >
            {super::scroll_region(|t| t.tables.records, view! {
                <table data-testid="records">
                    <caption class="sr-only">{move || texts().tables.records}</caption>
                    <thead>{super::header_row(&RECORD_COLUMNS)}</thead>
                    <tbody>{super::keyed_rows(records, |record| &record.key, record_row)}</tbody>
                </table>
            })}
        </Show>
    }
}

fn record_row(record: IdempotencyRecordView, texts: &'static PanelTexts) -> impl IntoView {
    let texts = &texts.tables;
    let (state_text, class) = match record.state {
        RecordStateView::InFlight => (texts.state_in_flight, "wait"),
        RecordStateView::Completed => (texts.state_completed, "ok"),
        RecordStateView::Expired => (texts.state_expired, "muted"),
    };
    view! {
        <tr class=class data-testid="record-row">
            <td class="mono" title=record.key.clone()>{short_key(&record.key)}</td>
            <td>{state_text}</td>
            <td class="mono">{record.fingerprint_prefix}</td>
            <td class="mono">{record.stored_status.map(|s| s.to_string())}</td>
            <td class="mono">{record.replay_count}</td>
            <td class="mono">
                {record.expires_at}
                // In flight, what counts first is when another request may take the key over.
                {(record.state == RecordStateView::InFlight)
                    .then(|| record.locked_until.map(|at| view! { <br/><small>{fill(texts.lease_until, at)}</small> }))}
                {(record.state == RecordStateView::Completed)
                    .then(|| record.order_id.map(|order| expire_button(record.key, order)))}
            </td>
        </tr>
    }
}

/// A record is this learner's when it made one of their orders, or when it is the key of the
/// order on screen (in flight, it has no order yet). Keys carry no user: only the orders do.
fn is_mine(state: LabState, record: &IdempotencyRecordView) -> bool {
    let made_mine = (record.order_id.as_ref()).is_some_and(|id| is_learners_order(state, id));
    made_mine
        || state.operation.with(|op| {
            op.as_ref()
                .is_some_and(|op| op.key.as_deref() == Some(record.key.as_str()))
        })
}

/// Whether the order `order_id` is one the learner in the form placed.
fn is_learners_order(state: LabState, order_id: &str) -> bool {
    state.draft.with(|draft| {
        state.orders.with(|orders| {
            orders
                .iter()
                .any(|o| o.id == order_id && o.user_id == draft.user_id)
        })
    })
}

/// The server's expiry policy in one sentence, from `/health`.
fn expiry_policy(state: LabState) -> Option<String> {
    let texts = &state.panel_texts().tables;
    state.health.with(|health| {
        let health = health.as_ref()?;
        let policy = [
            health.record_ttl_secs,
            health.lease_secs,
            health.issued_key_ttl_secs,
        ]
        .into_iter()
        .fold(texts.policy.to_string(), |text, secs| {
            fill(&text, duration(secs, texts.units))
        });
        Some(policy)
    })
}

/// 86400 → "24 h", 600 → "10 min", 45 → "45 s" (in English; `units` are the language's).
fn duration(secs: u64, [hours, minutes, seconds]: [&str; 3]) -> String {
    let (count, unit) = match secs {
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, hours),
        s if s >= 60 && s % 60 == 0 => (s / 60, minutes),
        s => (s, seconds),
    };
    fill(unit, count)
}

/// Makes this learner's record expire now, as if its time were up: the next request with
/// the key is a new operation. Shown only on records of this learner's own orders (the server
/// would refuse another learner's).
fn expire_button(key: String, order_id: String) -> impl IntoView {
    let state = use_lab();
    let mine = move || is_learners_order(state, &order_id);
    let expire = move |_| {
        let request = ExpireKeyRequest {
            user_id: client::learner_id(),
            idempotency_key: key.clone(),
        };
        leptos::task::spawn_local(async move {
            let _ = client::post_json("/lab/expire-key", &request).await;
            state.tables_changed();
        });
    };
    view! {
        <Show when=mine>
            " "
            <button
                type="button"
                class="link"
                data-testid="expire-now"
                title=move || state.panel_texts().tables.expire_now_title
                on:click=expire.clone()
            >{move || state.panel_texts().tables.expire_now}</button>
        </Show>
    }
}

/// Orders that one operation produced after its first: they share the page's `X-Lab-Operation`
/// (kept by the server, so the mark survives reloads and shows in other tabs). A new order
/// that merely has the same items is not one.
fn duplicate_ids(orders: &[Order]) -> Vec<String> {
    let mut oldest_first: Vec<&Order> = orders.iter().collect();
    oldest_first.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    let mut duplicates = Vec::new();
    for (index, order) in oldest_first.iter().enumerate() {
        let Some(lineage) = &order.lab_operation else {
            continue;
        };
        let repeats = oldest_first[..index]
            .iter()
            .any(|earlier| earlier.lab_operation.as_ref() == Some(lineage));
        if repeats {
            duplicates.push(order.id.clone());
        }
    }
    duplicates
}

#[cfg(test)]
mod tests {
    use super::duration;
    use crate::i18n::Lang;

    #[test]
    fn durations_read_in_the_page_language() {
        let [en, ja] = [Lang::En, Lang::Ja].map(|lang| lang.panel_texts().tables.units);
        let cases = [
            (86_400, en, "24 h"),
            (600, en, "10 min"),
            (30, en, "30 s"),
            (90, en, "90 s"),
            (86_400, ja, "24 時間"),
            (600, ja, "10 分"),
            (30, ja, "30 秒"),
        ];
        for (secs, units, shown) in cases {
            assert_eq!(duration(secs, units), shown);
        }
    }
}
