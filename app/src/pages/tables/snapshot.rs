//! One look at what the server holds.

use leptos::prelude::*;

use crate::api::{Health, IdempotencyRecordView, Order};
use crate::browser::http::{self, HttpError};

/// What the server holds, as one fetch saw it: its two tables, and its database and expiry
/// policy (asked once, then kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub orders: Vec<Order>,
    pub records: Vec<IdempotencyRecordView>,
    pub health: Option<Health>,
}

pub async fn fetch_snapshot(
    known_health: StoredValue<Option<Health>>,
) -> Result<Snapshot, HttpError> {
    let orders = http::get_json("/orders?limit=200").await?;
    let records = http::get_json("/idempotency-records?limit=200").await?;
    if known_health.with_value(Option::is_none) {
        known_health.set_value(http::get_json("/health").await.ok());
    }
    Ok(Snapshot {
        orders,
        records,
        health: known_health.get_value(),
    })
}
