//! What the server holds: its orders and its idempotency records, side by side.
//!
//! The tables own their data: one resource fetches both (`GET /orders`, `GET
//! /idempotency-records`), again whenever the server announces a change (`GET /events`), and
//! every 2 s only while that announcement stream is down.

mod freshness;
mod orders;
mod records;
mod snapshot;

use leptos::prelude::*;

use crate::lab::order::OrderInProgress;
use crate::lab::preferences::Preferences;
use orders::OrdersTable;
use records::RecordsTable;
use snapshot::{fetch_snapshot, Snapshot};

/// The orders and the records. `order` is the one on screen (whose key counts as the
/// learner's before it has an order); `reachable` learns from each fetch whether the server
/// answers.
#[component]
pub fn ServerTables(
    order: OrderInProgress,
    prefs: Preferences,
    reachable: RwSignal<bool>,
    live: ReadSignal<bool>,
) -> impl IntoView {
    let known_health = StoredValue::new(None);
    let tables = LocalResource::new(move || fetch_snapshot(known_health));
    let learner = order.learner();
    let only_mine = Memo::new(move |_| prefs.with(|s| s.only_mine));
    freshness::keep_fresh(tables, only_mine, learner);
    // What the tables show: the last snapshot the server gave (kept while it does not answer).
    let shown = Memo::new(move |previous: Option<&Snapshot>| {
        tables.with(|fetched| match fetched {
            Some(Ok(snapshot)) => snapshot.clone(),
            _ => previous.cloned().unwrap_or_default(),
        })
    });
    // Whether the server answered the last fetch (none yet: `None`).
    let answered = Memo::new(move |_| tables.with(|f| f.as_ref().map(Result::is_ok)));
    Effect::new(move |_| {
        if let Some(answered) = answered.get() {
            reachable.set(answered);
        }
    });
    let screen_key = order.watch(|op| op.and_then(|op| op.key.clone()));
    view! {
        <div class="columns">
            <section class="panel" aria-labelledby="orders-heading">
                <OrdersTable shown learner prefs live loaded=answered/>
            </section>
            <section class="panel" aria-labelledby="records-heading">
                <RecordsTable shown learner screen_key only_mine loaded=answered/>
            </section>
        </div>
    }
}
