//! The orders the server keeps, with a mark on each that one operation made again.

use leptos::prelude::*;

use super::snapshot::Snapshot;
use crate::api::Order;
use crate::i18n::{use_lang, PanelText, PanelTexts};
use crate::lab::keys::short_key;
use crate::lab::preferences::Preferences;
use crate::pages::widgets::{header_row, keyed_rows, scroll_region};

const ORDER_COLUMNS: [PanelText; 5] = [
    |t| t.tables.col_order,
    |t| t.tables.col_user,
    |t| t.tables.col_items,
    |t| t.timeline.col_key,
    |t| t.tables.col_created,
];

/// `shown` is what the server last said; `learner` whose orders are "mine"; `prefs` holds the
/// "only mine" switch this table offers.
#[component]
pub fn OrdersTable(
    shown: Memo<Snapshot>,
    learner: Memo<String>,
    prefs: Preferences,
    live: ReadSignal<bool>,
    /// Whether the server answered the last fetch; `None` until the first answer.
    loaded: Memo<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let only_mine = move || prefs.with(|s| s.only_mine);
    // The orders shown, each with whether it repeats an earlier one.
    let rows = Memo::new(move |_| {
        let mine = only_mine();
        let orders: Vec<Order> = learner.with(|user| {
            shown.with(|s| {
                s.orders
                    .iter()
                    .filter(|o| !mine || o.user_id == *user)
                    .cloned()
                    .collect()
            })
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
    let empty = move || match loaded.get().is_some() {
        true => texts().tables.orders_empty,
        false => texts().tables.loading,
    };
    view! {
        <h2 id="orders-heading">{move || texts().tables.orders}" "<span class="count" data-testid="orders-count">{move || rows.with(Vec::len)}</span></h2>
        <label class="check">
            <input
                type="checkbox"
                data-testid="only-mine"
                prop:checked=only_mine
                disabled=move || !live.get()
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    prefs.update(|s| s.only_mine = on);
                }
            />
            <span>{move || texts().tables.only_mine}</span>
        </label>
        <Show
            when=move || !rows.with(Vec::is_empty)
            fallback=move || view! { <p class="empty" data-testid="orders-empty">{empty}</p> }
        >
            {scroll_region(|t| t.tables.orders, view! {
                <table data-testid="orders">
                    <caption class="sr-only">{move || texts().tables.orders}</caption>
                    <thead>{header_row(&ORDER_COLUMNS)}</thead>
                    <tbody>{keyed_rows(rows, |(order, _)| &order.id, order_row)}</tbody>
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
