//! What the server holds: its orders and its idempotency records.

use leptos::prelude::*;

use crate::api::RecordStateView;
use crate::i18n::Text;
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
    let only_mine = move || state.settings.get().only_mine;
    let shown = move || {
        let user = state.draft.get().user_id;
        let mine = only_mine();
        state
            .orders
            .get()
            .into_iter()
            .filter(|o| !mine || o.user_id == user)
            .collect::<Vec<_>>()
    };
    view! {
        <h2>{move || texts().tables.orders}" "<span class="count" data-testid="orders-count">{move || shown().len()}</span></h2>
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
            when=move || !shown().is_empty()
            fallback=move || view! { <p class="empty">{texts().tables.orders_empty}</p> }
        >
            <div class="scroll">
                <table data-testid="orders">
                    <thead>{super::header_row(&ORDER_COLUMNS)}</thead>
                    <tbody>
                        {move || {
                            let texts = texts();
                            let orders = shown();
                            let duplicates = duplicate_ids(&orders);
                            orders
                                .into_iter()
                                .map(|order| {
                                    let duplicate = duplicates.contains(&order.id);
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
                                                    " "<span class="tag dup" data-testid="duplicate" title=texts.tables.duplicate_title>{texts.tables.duplicate}</span>
                                                })}
                                            </td>
                                            <td>{order.user_id}</td>
                                            <td>{items}</td>
                                            <td class="mono" title=order.idempotency_key.clone()>{short_key(&order.idempotency_key)}</td>
                                            <td class="mono">{order.created_at}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
pub fn RecordsTable() -> impl IntoView {
    let state = use_lab();
    let texts = move || state.texts();
    let records = move || state.records.get();
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
            when=move || !records().is_empty()
            fallback=move || view! { <p class="empty">{texts().tables.records_empty}</p> }
        >
            <div class="scroll">
                <table data-testid="records">
                    <thead>{super::header_row(&RECORD_COLUMNS)}</thead>
                    <tbody>
                        {move || {
                            let texts = texts();
                            records()
                                .into_iter()
                                .map(|record| {
                                    let (state_text, class) = match record.state {
                                        RecordStateView::InFlight => (texts.tables.state_in_flight, "wait"),
                                        RecordStateView::Completed => (texts.tables.state_completed, "ok"),
                                        RecordStateView::Expired => (texts.tables.state_expired, "muted"),
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
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

/// Orders that repeat an earlier one (same user, same items) under another key: the
/// signature of a retry that became a second operation.
fn duplicate_ids(orders: &[crate::api::Order]) -> Vec<String> {
    let mut oldest_first: Vec<&crate::api::Order> = orders.iter().collect();
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
