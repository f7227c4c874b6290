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
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::{Order, OrderItem};

use crate::idempotency::decision::plan_expiry;
use crate::idempotency::record::{
    ClaimResult, ClaimToken, CreateResult, Fingerprint, IdempotencyKey, KeyExpiry, KeySource,
    NewClaim, NewOrder, Record, RecordState, StoredResponse,
};
use postgres::PostgresStorage;
pub use sqlite::Fault;
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

/// Replays not yet written, per operation: the key and the order its answer created. A key
/// can name a new operation once its record is forgotten (a reset, an expiry); the order id
/// keeps an old operation's replays off the new one.
type ReplayCounts = HashMap<(String, String), i64>;

#[derive(Clone)]
pub struct Storage {
    backend: Backend,
    /// The database's clock minus this process's, in ms: 0 on SQLite (one process, one
    /// clock); measured on PostgreSQL, so that every process reads time as the database does.
    clock_offset: Arc<AtomicI64>,
    /// A display counter is not worth a write per replay: replays are added up here and
    /// flushed every `REPLAY_FLUSH` (and at shutdown); a crash loses at most that much.
    /// (It only counts; nothing here decides whether a request runs.)
    replays: Arc<std::sync::Mutex<ReplayCounts>>,
    /// Held while counts are taken and written, so the flush at shutdown waits for one that
    /// is under way and no count is taken without being written.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

/// How often a PostgreSQL process measures its clock against the database's.
const CLOCK_CHECK: Duration = Duration::from_secs(5);

impl Storage {
    /// Opens the database `url` names (`sqlite://…` or `postgres://…`), creating and migrating
    /// it as needed.
    /// Replay counts are written every `replay_flush`.
    pub async fn open(url: &str, replay_flush: Duration) -> Result<Self, StorageError> {
        let backend = if is_postgres(url) {
            Backend::Postgres(PostgresStorage::open(url).await?)
        } else {
            Backend::Sqlite(SqliteStorage::open(url).await?)
        };
        let storage = Self {
            backend,
            clock_offset: Arc::default(),
            replays: Arc::default(),
            flushing: Arc::default(),
        };
        if let Backend::Postgres(db) = &storage.backend {
            storage
                .clock_offset
                .store(db.clock_offset().await?, Ordering::Relaxed);
            storage.spawn_clock_check();
        }
        storage.spawn_replay_flush(replay_flush);
        Ok(storage)
    }

    /// "sqlite" or "postgres", for `/health` and the logs.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Now, in ms since the Unix epoch, by the database's clock. Writes that decide (a claim,
    /// a take-over, the purge) read the database's clock itself, in their own transaction.
    pub fn now_ms(&self) -> i64 {
        crate::time::now_ms() + self.clock_offset.load(Ordering::Relaxed)
    }

    /// Whether a new key should be written before anything is read. On PostgreSQL a write
    /// that finds the key taken costs no more than a read; on SQLite every write queues for
    /// the one writer, so reads come first there.
    pub fn writes_first(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// How many transactions SQLite's single writer has begun (None on PostgreSQL, which has
    /// no such writer). Tests read it to check that an answer was given without a write.
    pub fn writer_transactions(&self) -> Option<u64> {
        match &self.backend {
            Backend::Sqlite(db) => Some(db.transactions()),
            Backend::Postgres(_) => None,
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        on_backend!(self, db => db.ping().await)
    }

    pub async fn find_record(&self, key: &IdempotencyKey) -> Result<Option<Record>, StorageError> {
        on_backend!(self, db => db.find_record(key.as_str()).await)
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

    /// Claims `claim.key` if [`plan_claim`](crate::idempotency::decision::plan_claim) allows
    /// it, atomically with reading what is there, at the database's clock.
    pub async fn claim(&self, claim: NewClaim) -> Result<ClaimResult, StorageError> {
        on_backend!(self, db => db.claim(claim).await)
    }

    /// Commits the order and its stored answer; `false` if the claim was no longer ours.
    pub async fn complete(
        &self,
        token: &ClaimToken,
        order: NewOrder,
    ) -> Result<bool, StorageError> {
        on_backend!(self, db => db.complete(token.as_str(), order).await)
    }

    /// Commits the order with its record already completed, in one transaction, if the key
    /// has no record; `false` (and nothing written) if it has one.
    /// An issued key past its expiry (by the database's clock) creates nothing either.
    pub async fn create_completed(
        &self,
        fingerprint: &Fingerprint,
        order: NewOrder,
        source: KeySource,
    ) -> Result<CreateResult, StorageError> {
        on_backend!(self, db => db.create_completed(fingerprint.as_str(), order, source).await)
    }

    /// Drops a claim we hold, so the key is free for a retry.
    pub async fn release(
        &self,
        key: &IdempotencyKey,
        token: &ClaimToken,
    ) -> Result<(), StorageError> {
        on_backend!(self, db => db.release(key.as_str(), token.as_str()).await)
    }

    /// Deletes up to one batch of records past their expiry, by the database's clock (never
    /// a claim whose lease still runs).
    pub async fn purge_expired(&self) -> Result<u64, StorageError> {
        on_backend!(self, db => db.purge_expired().await)
    }

    /// Forgets one learner's orders and records (`Some(user)`), or everyone's (`None`: the
    /// operator's wipe, never a button).
    pub async fn reset_lab(&self, user_id: Option<&str>) -> Result<(), StorageError> {
        on_backend!(self, db => db.reset_lab(user_id).await)
    }

    /// The lab's "expire this key now": `user_id`'s record under `key` expires at the
    /// database's now, unless a claim whose lease still runs holds it (see
    /// [`plan_expiry`](crate::idempotency::decision::plan_expiry)).
    pub async fn expire_key(
        &self,
        user_id: &str,
        key: &IdempotencyKey,
    ) -> Result<KeyExpiry, StorageError> {
        on_backend!(self, db => db.expire_key(user_id, key.as_str()).await)
    }

    /// Test support: puts a failure on SQLite's single writer (see [`Fault`]). `false` on
    /// PostgreSQL, which has no such writer.
    pub async fn inject_fault(&self, fault: Fault) -> Result<bool, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.inject(fault).await.map(|()| true),
            Backend::Postgres(_) => Ok(false),
        }
    }

    /// Counts one replay of the operation that created `order_id` under `key`.
    pub fn count_replay(&self, key: &IdempotencyKey, order_id: Option<&str>) {
        let Some(order_id) = order_id else { return };
        let mut replays = self.replays.lock().unwrap_or_else(|e| e.into_inner());
        *replays
            .entry((key.as_str().to_owned(), order_id.to_owned()))
            .or_default() += 1;
    }

    /// Writes the replays counted so far and waits until they are stored (at shutdown),
    /// with any flush already under way. On SQLite the write goes through the writer's queue
    /// even when there is nothing new, so counts queued earlier are committed first.
    pub async fn flush_replays(&self) -> Result<(), StorageError> {
        let _flushing = self.flushing.lock().await;
        let counts = take_counts(&self.replays);
        match &self.backend {
            Backend::Sqlite(db) => db.add_replays(counts).await,
            Backend::Postgres(_) if counts.is_empty() => Ok(()),
            Backend::Postgres(db) => db.add_replays(counts).await,
        }
    }

    fn spawn_replay_flush(&self, every: Duration) {
        let replays = Arc::downgrade(&self.replays);
        let flushing = self.flushing.clone();
        let backend = self.backend.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                let Some(replays) = replays.upgrade() else {
                    return;
                };
                let _flushing = flushing.lock().await;
                let counts = take_counts(&replays);
                if counts.is_empty() {
                    continue;
                }
                let added = match &backend {
                    // Queued without waiting: a full queue drops them rather than slow anything.
                    Backend::Sqlite(db) => db.queue_replays(counts),
                    Backend::Postgres(db) => db.add_replays(counts).await,
                };
                if let Err(error) = added {
                    tracing::warn!(%error, "replay counts dropped");
                }
            }
        });
    }

    fn spawn_clock_check(&self) {
        let offset = Arc::downgrade(&self.clock_offset);
        let Backend::Postgres(db) = self.backend.clone() else {
            return;
        };
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(CLOCK_CHECK);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(offset) = offset.upgrade() else {
                    return;
                };
                match db.clock_offset().await {
                    Ok(measured) => offset.store(measured, Ordering::Relaxed),
                    Err(error) => tracing::warn!(%error, "could not read the database's clock"),
                }
            }
        });
    }
}

fn take_counts(replays: &std::sync::Mutex<ReplayCounts>) -> ReplayCounts {
    std::mem::take(&mut *replays.lock().unwrap_or_else(|e| e.into_inner()))
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
struct OrderRow {
    id: String,
    user_id: String,
    items_json: String,
    created_at_ms: i64,
    idempotency_key: String,
    lab_operation: Option<String>,
}

const ORDER_COLUMNS: &str =
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

/// The lab's "expire this key now", inside a transaction the caller holds, at its `now_ms`:
/// reads `user_id`'s record under `key` with `select` (binding the key, then the user), lets
/// [`plan_expiry`] decide, and carries it out with `update` (binding the key, then `now_ms`).
/// Each back end brings its own SQL and its way of keeping a claim from slipping in between.
async fn expire_in<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    (select, update): (String, &'static str),
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
    // `select` splices in only the column list, a constant.
    let row: Option<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(select))
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

/// Rows to records (or the first corrupt one's error).
fn records(rows: Vec<RecordRow>) -> Result<Vec<Record>, StorageError> {
    rows.into_iter().map(Record::try_from).collect()
}

fn orders(rows: Vec<OrderRow>) -> Result<Vec<Order>, StorageError> {
    rows.into_iter().map(Order::try_from).collect()
}

/// Binds a claim's seven parameters, stamped at `now_ms`, as both back ends' statements number
/// them: 1 key, 2 fingerprint, 3 claim token, 4 lease end, 5 created at, 6 expiry, 7 user.
fn bind_claim<'q, DB: sqlx::Database>(
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
fn bind_order<'q, DB: sqlx::Database>(
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
