//! Rows as both databases return them, and the parameters both back ends' statements bind in
//! the same order: the one place that maps between the tables and the vocabulary.

use app::api::{Order, OrderItem};

use crate::idempotency::decision::plan_expiry;
use crate::idempotency::record::{
    ClaimToken, Fingerprint, IdempotencyKey, KeyExpiry, NewClaim, NewOrder, Record, RecordState,
    StoredResponse,
};
use crate::storage::error::StorageError;

/// An idempotency record as both databases return it (the same columns, the same types).
#[derive(sqlx::FromRow)]
pub(super) struct RecordRow {
    key: String,
    fingerprint: String,
    state: String,
    claim_token: Option<String>,
    locked_until_ms: Option<i64>,
    response_status: Option<i64>,
    response_content_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<Vec<u8>>,
    order_id: Option<String>,
    replay_count: i64,
    created_at_ms: i64,
    expires_at_ms: i64,
}

/// `RecordRow`'s columns, for the statements that read records.
pub(super) const RECORD_COLUMNS: &str = "key, fingerprint, state, claim_token, locked_until_ms, \
    response_status, response_content_type, response_location, response_body, order_id, \
    replay_count, created_at_ms, expires_at_ms";

impl TryFrom<RecordRow> for Record {
    type Error = StorageError;

    fn try_from(row: RecordRow) -> Result<Self, StorageError> {
        let missing = |column: &str| StorageError::Corrupt(format!("{column} is missing"));
        let state = match row.state.as_str() {
            "in_flight" => RecordState::InFlight {
                claim_token: ClaimToken::stored(
                    row.claim_token.ok_or_else(|| missing("claim_token"))?,
                ),
                locked_until_ms: row
                    .locked_until_ms
                    .ok_or_else(|| missing("locked_until_ms"))?,
            },
            "completed" => RecordState::Completed {
                response: StoredResponse {
                    status: row
                        .response_status
                        .and_then(|status| u16::try_from(status).ok())
                        .ok_or_else(|| missing("response_status"))?,
                    content_type: row
                        .response_content_type
                        .ok_or_else(|| missing("response_content_type"))?,
                    location: row.response_location,
                    body: row.response_body.ok_or_else(|| missing("response_body"))?,
                },
                order_id: row.order_id,
            },
            other => {
                return Err(StorageError::Corrupt(format!(
                    "unknown record state {other:?}"
                )))
            }
        };
        Ok(Record {
            key: IdempotencyKey::stored(row.key),
            fingerprint: Fingerprint::stored(row.fingerprint),
            state,
            replay_count: u64::try_from(row.replay_count).unwrap_or(0),
            created_at_ms: row.created_at_ms,
            expires_at_ms: row.expires_at_ms,
        })
    }
}

/// An order as both databases return it.
#[derive(sqlx::FromRow)]
pub(super) struct OrderRow {
    id: String,
    user_id: String,
    items_json: String,
    created_at_ms: i64,
    idempotency_key: String,
    lab_operation: Option<String>,
}

/// `OrderRow`'s columns, for the statements that read orders.
pub(super) const ORDER_COLUMNS: &str =
    "id, user_id, items_json, created_at_ms, idempotency_key, lab_operation";

impl TryFrom<OrderRow> for Order {
    type Error = StorageError;

    fn try_from(row: OrderRow) -> Result<Self, StorageError> {
        let items: Vec<OrderItem> = serde_json::from_str(&row.items_json)
            .map_err(|e| StorageError::Corrupt(format!("order items: {e}")))?;
        Ok(Order {
            id: row.id,
            user_id: row.user_id,
            items,
            created_at: crate::time::rfc3339(row.created_at_ms),
            idempotency_key: row.idempotency_key,
            lab_operation: row.lab_operation,
        })
    }
}

/// Rows to records (or the first corrupt one's error).
pub(super) fn records(rows: Vec<RecordRow>) -> Result<Vec<Record>, StorageError> {
    rows.into_iter().map(Record::try_from).collect()
}

pub(super) fn orders(rows: Vec<OrderRow>) -> Result<Vec<Order>, StorageError> {
    rows.into_iter().map(Order::try_from).collect()
}

/// The lab's "expire this key now", inside a transaction the caller holds, at its `now_ms`:
/// reads `user_id`'s record under `key` with `select` (binding the key, then the user), lets
/// [`plan_expiry`] decide, and carries it out with `update` (binding the key, then `now_ms`).
/// Each back end brings its own SQL and its way of keeping a claim from slipping in between.
pub(super) async fn expire_in<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    (select, update): (&'static str, &'static str),
    user_id: &str,
    key: &str,
    now_ms: i64,
) -> Result<KeyExpiry, StorageError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    RecordRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let row: Option<RecordRow> = sqlx::query_as(select)
        .bind(key)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    let record = row.map(Record::try_from).transpose()?;
    let plan = plan_expiry(record.as_ref(), now_ms);
    if plan == KeyExpiry::Expired {
        sqlx::query(update)
            .bind(key)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
    }
    Ok(plan)
}

/// Binds a claim's seven parameters, stamped at `now_ms`, as both back ends' statements number
/// them: 1 key, 2 fingerprint, 3 claim token, 4 lease end, 5 created at, 6 expiry, 7 user.
pub(super) fn bind_claim<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    claim: &'q NewClaim,
    now_ms: i64,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let (locked_until_ms, expires_at_ms) = claim.times_at(now_ms);
    query
        .bind(claim.key.as_str())
        .bind(claim.fingerprint.as_str())
        .bind(claim.claim_token.as_str())
        .bind(locked_until_ms)
        .bind(now_ms)
        .bind(expires_at_ms)
        .bind(claim.user_id.as_str())
}

/// Binds an order's twelve parameters, numbered as both back ends' statements use them:
/// ?1/$1 id, 2 user, 3 items, 4 created at, 5 key, 6 `guard` (the claim token or the
/// fingerprint), 7 to 10 the response (status, content type, location, body), 11 expiry,
/// 12 the lab's operation.
pub(super) fn bind_order<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    guard: &'q str,
    new: &'q NewOrder,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let items = serde_json::to_string(&new.order.items).expect("items always serialise");
    query
        .bind(new.order.id.as_str())
        .bind(new.order.user_id.as_str())
        .bind(items)
        .bind(new.created_at_ms)
        .bind(new.key.as_str())
        .bind(guard)
        .bind(i64::from(new.response.status))
        .bind(new.response.content_type.as_str())
        .bind(new.response.location.as_deref())
        .bind(new.response.body.as_slice())
        .bind(new.expires_at_ms)
        .bind(new.order.lab_operation.as_deref())
}
