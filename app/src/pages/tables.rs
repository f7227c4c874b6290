//! What the server holds: its orders and its idempotency records.

use leptos::prelude::*;

use crate::api::{IdempotencyRecordView, Order, RecordStateView};
use crate::i18n::{Text, Texts};
use crate::lab::{short_key, use_lab};

const ORDER_COLUMNS: [Text; 5] = [
    |t| t.tables.col_order,
    |t| t.tables.col_user,
    |t| t.tables.col_items,
    |t| t.timeline.col_key,
    |t| t.tables.col_created,
];
const RECORD_COLUMNS: [Text; 6] = [
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
    let texts = move || state.texts();
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
        <h2>{move || texts().tables.orders}" "<span class="count" data-testid="orders-count">{move || shown.with(Vec::len)}</span></h2>
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
            <div class="scroll">
                <table data-testid="orders">
                    <thead>{super::header_row(&ORDER_COLUMNS)}</thead>
                    <tbody>{super::keyed_rows(shown, |(order, _)| &order.id, order_row)}</tbody>
                </table>
            </div>
        </Show>
    }
}

fn order_row((order, duplicate): (Order, bool), texts: &'static Texts) -> impl IntoView {
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
    let texts = move || state.texts();
    let records = Memo::new(move |_| state.records.get());
    view! {
        <h2>{move || texts().tables.records}</h2>
        <p class="backend" data-testid="backend">
            {move || match state.backend.get().as_deref() {
                Some("postgres") => texts().tables.kept_in_postgres,
                Some(_) => texts().tables.kept_in_sqlite,
                None => "",
            }}
        </p>
        <Show
            when=move || !records.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{texts().tables.records_empty}</p> }
        >
            <div class="scroll">
                <table data-testid="records">
                    <thead>{super::header_row(&RECORD_COLUMNS)}</thead>
                    <tbody>{super::keyed_rows(records, |record| &record.key, record_row)}</tbody>
                </table>
            </div>
        </Show>
    }
}

fn record_row(record: IdempotencyRecordView, texts: &'static Texts) -> impl IntoView {
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
            <td class="mono">{record.expires_at}</td>
        </tr>
    }
}

/// Orders that repeat an earlier one (same user, same items) under another key: the
/// signature of a retry that became a second operation.
fn duplicate_ids(orders: &[Order]) -> Vec<String> {
    let mut oldest_first: Vec<&Order> = orders.iter().collect();
    oldest_first.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    let mut duplicates = Vec::new();
    for (index, order) in oldest_first.iter().enumerate() {
        let repeats = oldest_first[..index].iter().any(|earlier| {
            earlier.user_id == order.user_id
                && earlier.items == order.items
                && earlier.idempotency_key != order.idempotency_key
        });
        if repeats {
            duplicates.push(order.id.clone());
        }
    }
    duplicates
}
