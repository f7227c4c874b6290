//! Where orders and idempotency records live: one interface, two databases.
//!
//! - **SQLite** (the default, `sqlite://…`): one file, one server process. See `sqlite.rs`.
//! - **PostgreSQL** (`postgres://…`): several server processes share one key space. See
//!   `postgres.rs`.
//!
//! All SQL is in those two files and in `migrations/`. The idempotency module talks only to
//! [`Storage`] and never learns which database is behind it; both keep every fact that decides
//! idempotency (claims, leases, fencing tokens, expiry) in the database.

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::api::{Order, OrderItem};

use crate::idempotency::{Claim, ClaimPlan, Record, RecordState, StoredResponse};
use postgres::PostgresStorage;
use sqlite::SqliteStorage;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("database migration failed: {0}")]
    Migration(Arc<sqlx::migrate::MigrateError>),
    #[error("cannot prepare the database directory: {0}")]
    Directory(Arc<std::io::Error>),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(Arc::new(error))
    }
}

/// A claim to insert (or to take an old record over with).
#[derive(Debug, Clone)]
pub struct NewClaim {
    pub key: String,
    pub fingerprint: String,
    pub claim_token: String,
    pub now_ms: i64,
    pub locked_until_ms: i64,
    pub expires_at_ms: i64,
    pub may_start: bool,
}

/// An order and the answer to store with it (and keep until `expires_at_ms`).
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order: Order,
    pub created_at_ms: i64,
    pub response: StoredResponse,
    pub expires_at_ms: i64,
}

/// Decides, from the record found under a key, what a claim does. It runs inside the
/// database's transaction, so nothing can change between the look and the write.
pub type PlanFn = fn(Option<&Record>, &NewClaim) -> ClaimPlan;

/// Which database the server runs on.
#[derive(Clone)]
enum Backend {
    Sqlite(SqliteStorage),
    Postgres(PostgresStorage),
}

/// Calls the same method on whichever database is behind `Storage`.
macro_rules! on_backend {
    ($self:expr, $db:ident => $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($db) => $call,
            Backend::Postgres($db) => $call,
        }
    };
}

#[derive(Clone)]
pub struct Storage {
    backend: Backend,
    /// Replays not yet written. A display counter is not worth a write per replay: they are
    /// added up here and flushed every `REPLAY_FLUSH`, and a crash loses at most that much.
    /// (It only counts; nothing here decides whether a request runs.)
    replays: Arc<std::sync::Mutex<HashMap<String, i64>>>,
}

const REPLAY_FLUSH: Duration = Duration::from_millis(500);

impl Storage {
    /// Opens the database `url` names (`sqlite://…` or `postgres://…`), creating and migrating
    /// it as needed.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let backend = if is_postgres(url) {
            Backend::Postgres(PostgresStorage::open(url).await?)
        } else {
            Backend::Sqlite(SqliteStorage::open(url).await?)
        };
        let storage = Self {
            backend,
            replays: Arc::default(),
        };
        storage.spawn_replay_flush();
        Ok(storage)
    }

    /// "sqlite" or "postgres", for `/health` and the logs.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        on_backend!(self, db => db.ping().await)
    }

    pub async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        on_backend!(self, db => db.find_record(key).await)
    }

    /// Newest first.
    pub async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        on_backend!(self, db => db.list_records(limit).await)
    }

    pub async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        on_backend!(self, db => db.find_order(id).await)
    }

    /// Newest first; `user_id` narrows the list to one learner's orders.
    pub async fn list_orders(
        &self,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Order>, StorageError> {
        on_backend!(self, db => db.list_orders(user_id, limit).await)
    }

    /// Reads the named secret, creating it from `fresh` on first use. Every process on this
    /// database gets the same value, whichever created it.
    pub async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        on_backend!(self, db => db.secret(name, fresh).await)
    }

    /// Claims `claim.key` if `plan` allows it, atomically with reading what is there.
    pub async fn claim(&self, claim: NewClaim, plan: PlanFn) -> Result<Claim, StorageError> {
        on_backend!(self, db => db.claim(claim, plan).await)
    }

    /// Commits the order and its stored answer; `false` if the claim was no longer ours.
    pub async fn complete(&self, claim_token: &str, order: NewOrder) -> Result<bool, StorageError> {
        on_backend!(self, db => db.complete(claim_token, order).await)
    }

    /// Commits the order with its record already completed, in one transaction, if the key
    /// has no record; `false` (and nothing written) if it has one.
    pub async fn create_completed(
        &self,
        fingerprint: &str,
        order: NewOrder,
    ) -> Result<bool, StorageError> {
        on_backend!(self, db => db.create_completed(fingerprint, order).await)
    }

    /// Drops a claim we hold, so the key is free for a retry.
    pub async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        on_backend!(self, db => db.release(key, claim_token).await)
    }

    /// Deletes up to one batch of expired records (never a claim whose lease still runs).
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64, StorageError> {
        on_backend!(self, db => db.purge_expired(now_ms).await)
    }

    /// Empties the lab: every order and every record.
    pub async fn reset_lab(&self) -> Result<(), StorageError> {
        on_backend!(self, db => db.reset_lab().await)
    }

    pub fn count_replay(&self, key: &str) {
        let mut replays = self.replays.lock().unwrap_or_else(|e| e.into_inner());
        *replays.entry(key.to_owned()).or_default() += 1;
    }

    fn spawn_replay_flush(&self) {
        let replays = Arc::downgrade(&self.replays);
        let backend = self.backend.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(REPLAY_FLUSH);
            loop {
                ticks.tick().await;
                let Some(replays) = replays.upgrade() else {
                    return;
                };
                let counts =
                    std::mem::take(&mut *replays.lock().unwrap_or_else(|e| e.into_inner()));
                if counts.is_empty() {
                    continue;
                }
                let added = match &backend {
                    Backend::Sqlite(db) => db.add_replays(counts),
                    Backend::Postgres(db) => db.add_replays(counts).await,
                };
                if let Err(error) = added {
                    tracing::warn!(%error, "replay counts dropped");
                }
            }
        });
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// An idempotency record as both databases return it (the same columns, the same types).
#[derive(sqlx::FromRow)]
struct RecordRow {
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

const RECORD_COLUMNS: &str = "key, fingerprint, state, claim_token, locked_until_ms, response_status, \
    response_content_type, response_location, response_body, order_id, replay_count, created_at_ms, expires_at_ms";

impl TryFrom<RecordRow> for Record {
    type Error = StorageError;

    fn try_from(row: RecordRow) -> Result<Self, StorageError> {
        let missing = |column: &str| StorageError::Corrupt(format!("{column} is missing"));
        let state = match row.state.as_str() {
            "in_flight" => RecordState::InFlight {
                claim_token: row.claim_token.ok_or_else(|| missing("claim_token"))?,
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
            key: row.key,
            fingerprint: row.fingerprint,
            state,
            replay_count: u64::try_from(row.replay_count).unwrap_or(0),
            created_at_ms: row.created_at_ms,
            expires_at_ms: row.expires_at_ms,
        })
    }
}

/// An order as both databases return it.
#[derive(sqlx::FromRow)]
struct OrderRow {
    id: String,
    user_id: String,
    items_json: String,
    created_at_ms: i64,
    idempotency_key: String,
}

const ORDER_COLUMNS: &str = "id, user_id, items_json, created_at_ms, idempotency_key";

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
        })
    }
}

/// Rows to records (or the first corrupt one's error).
fn records(rows: Vec<RecordRow>) -> Result<Vec<Record>, StorageError> {
    rows.into_iter().map(Record::try_from).collect()
}

fn orders(rows: Vec<OrderRow>) -> Result<Vec<Order>, StorageError> {
    rows.into_iter().map(Order::try_from).collect()
}

/// Binds an order's eleven parameters, numbered as both back ends' statements use them:
/// ?1/$1 id, 2 user, 3 items, 4 created at, 5 key, 6 `guard` (the claim token or the
/// fingerprint), 7 to 10 the response (status, content type, location, body), 11 expiry.
fn bind_order<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    guard: &'q str,
    new: &'q NewOrder,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
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
        .bind(new.order.idempotency_key.as_str())
        .bind(guard)
        .bind(i64::from(new.response.status))
        .bind(new.response.content_type.as_str())
        .bind(new.response.location.as_deref())
        .bind(new.response.body.as_slice())
        .bind(new.expires_at_ms)
}

/// The answer every claim gives when the claim is ours.
fn won(claim: &NewClaim) -> Claim {
    Claim::Won {
        token: claim.claim_token.clone(),
    }
}
