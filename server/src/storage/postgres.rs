//! The PostgreSQL back end: several server processes, one key space.
//!
//! Nothing here relies on being the only process: the UNIQUE key decides which claim is
//! first, a claim that finds a record locks that row (`FOR UPDATE`) while the plan decides,
//! and completion is one statement fenced on the claim token. PostgreSQL commits concurrent
//! transactions with shared WAL flushes, so there is no writer task here: every request uses
//! a pooled connection, and `synchronous_commit` (on by default) means a 201 is on disk.

// Every dynamic statement below only splices in this file's column-list constants.
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use app::api::Order;
use sqlx::postgres::{PgConnectOptions, PgExecutor, PgPool, PgPoolOptions};

use super::{
    bind_claim, bind_order, expire_in, orders, records, OrderRow, RecordRow, ReplayCounts,
    StorageError, ORDER_COLUMNS, RECORD_COLUMNS,
};
use crate::idempotency::decision::{plan_claim, ClaimPlan};
use crate::idempotency::record::{
    millis, ClaimResult, CreateResult, KeyExpiry, KeySource, NewClaim, NewOrder, Record,
};
use sqlx::{FromRow, Row};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections per server process; two processes need twice that from the server.
const POOL_SIZE: u32 = 16;
/// How many expired records one purge deletes, to keep each transaction short.
const PURGE_BATCH: i64 = 500;
/// A claim that finds no record may race a concurrent insert; after a few rounds the record
/// is certainly there.
const CLAIM_ROUNDS: usize = 4;
/// The database's clock in ms since the Unix epoch. Every process that shares the database
/// decides leases and expiry by this one clock, whatever its own says.
const DB_NOW_MS: &str = "floor(extract(epoch from clock_timestamp()) * 1000)::bigint";

// Statements that splice in the constants above, built once rather than on every request.
/// The database clock, alone.
static SELECT_DB_NOW: LazyLock<String> = LazyLock::new(|| format!("SELECT {DB_NOW_MS}"));

/// Record, order and answer at once (see `create_completed`).
static CREATE_COMPLETED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH stored AS ( \
               INSERT INTO idempotency_records (key, fingerprint, state, response_status, \
                 response_content_type, response_location, response_body, order_id, \
                 created_at_ms, expires_at_ms, user_id) \
               SELECT $5, $6, 'completed', $7, $8, $9, $10, $1, $4, $11, $2 \
                 WHERE $13::bigint IS NULL OR $13 > {DB_NOW_MS} \
               ON CONFLICT (key) DO NOTHING RETURNING key), \
             ordered AS ( \
               INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, \
                 lab_operation) \
               SELECT $1, $2, $3, $4, key, $12 FROM stored RETURNING 1) \
             SELECT (SELECT count(*) FROM ordered) AS created, {RECORD_COLUMNS} \
               FROM (SELECT 1) AS one LEFT JOIN idempotency_records ON key = $5"
    )
});

/// One batch of expired records, by the database clock.
static PURGE_EXPIRED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH now AS (SELECT {DB_NOW_MS} AS ms) \
             DELETE FROM idempotency_records WHERE key IN ( \
               SELECT key FROM idempotency_records, now \
               WHERE expires_at_ms <= now.ms AND (state = 'completed' OR locked_until_ms <= now.ms) \
               LIMIT $1 FOR UPDATE OF idempotency_records SKIP LOCKED)"
    )
});

/// A fresh claim stamped by the database clock (see `insert_claim_if_new`).
static INSERT_CLAIM_IF_NEW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO idempotency_records (key, fingerprint, state, claim_token, \
           locked_until_ms, created_at_ms, expires_at_ms, user_id) \
         SELECT $1, $2, 'in_flight', $3, now.ms + $4, now.ms, now.ms + greatest($4, $5), $7 \
           FROM (SELECT {DB_NOW_MS} AS ms) now WHERE $6::bigint IS NULL OR $6 > now.ms \
         ON CONFLICT (key) DO NOTHING"
    )
});

#[derive(Clone)]
pub(super) struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects and migrates. Processes starting together are safe: the migrator holds an
    /// advisory lock while it runs.
    pub(super) async fn open(url: &str) -> Result<Self, StorageError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        select_record(&self.pool, key, "").await
    }

    pub(super) async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        let rows = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records \
             ORDER BY created_at_ms DESC, seq DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        records(rows)
    }

    pub(super) async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        let row: Option<OrderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Order::try_from).transpose()
    }

    pub(super) async fn list_orders(
        &self,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Order>, StorageError> {
        let rows = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE $1::text IS NULL OR user_id = $1 \
             ORDER BY created_at_ms DESC, seq DESC LIMIT $2"
        )))
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        orders(rows)
    }

    pub(super) async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        let value = sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }

    pub(super) async fn claim(&self, claim: NewClaim) -> Result<ClaimResult, StorageError> {
        // The common case in one statement: no record yet (the plan would say `Insert`).
        if insert_claim_if_new(&self.pool, &claim).await? {
            return Ok(ClaimResult::Won(claim.claim_token));
        }
        for _ in 0..CLAIM_ROUNDS {
            if let Some(claimed) = self.claim_existing(&claim).await? {
                return Ok(claimed);
            }
        }
        Err(StorageError::Corrupt(format!(
            "key {:?} neither had a record nor took a new one",
            claim.key.short()
        )))
    }

    /// A record is there (or this attempt may not start one): lock it, let the plan decide at
    /// the database's clock, and write in the same transaction. `None`: the record vanished
    /// and another request inserted one before us; look again.
    async fn claim_existing(&self, claim: &NewClaim) -> Result<Option<ClaimResult>, StorageError> {
        let mut tx = self.pool.begin().await?;
        let existing = select_record(&mut *tx, claim.key.as_str(), "FOR UPDATE").await?;
        let now: i64 = sqlx::query_scalar(SELECT_DB_NOW.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let sql = match plan_claim(existing.as_ref(), claim, now) {
            ClaimPlan::Keep => {
                let held = |record| ClaimResult::Held { record, at_ms: now };
                return Ok(existing.map(held));
            }
            ClaimPlan::Refuse => return Ok(Some(ClaimResult::MayNotStart)),
            ClaimPlan::Insert => {
                "INSERT INTO idempotency_records (key, fingerprint, state, claim_token, \
                   locked_until_ms, created_at_ms, expires_at_ms, user_id) \
                 VALUES ($1, $2, 'in_flight', $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING"
            }
            ClaimPlan::Replace => {
                "UPDATE idempotency_records SET fingerprint = $2, state = 'in_flight', \
                   claim_token = $3, locked_until_ms = $4, created_at_ms = $5, expires_at_ms = $6, \
                   response_status = NULL, response_content_type = NULL, response_location = NULL, \
                   response_body = NULL, order_id = NULL, replay_count = 0, user_id = $7 \
                 WHERE key = $1"
            }
        };
        let written = bind_claim(sqlx::query(sql), claim, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((written.rows_affected() == 1).then(|| ClaimResult::Won(claim.claim_token.clone())))
    }

    /// The database's clock minus this process's, measured around one round trip on a
    /// connection already open (connecting, with its TLS handshake, would widen the error).
    pub(super) async fn clock_offset(&self) -> Result<i64, StorageError> {
        let mut connection = self.pool.acquire().await?;
        let before = crate::time::now_ms();
        let database: i64 = sqlx::query_scalar(SELECT_DB_NOW.as_str())
            .fetch_one(&mut *connection)
            .await?;
        let after = crate::time::now_ms();
        Ok(database - (before + after) / 2)
    }

    /// The fence, in one statement: the record turns completed only while it still carries
    /// our claim token, and the order is inserted only from the row that update returned.
    /// Both happen or neither does; 0 rows means the claim was lost and nothing was written.
    pub(super) async fn complete(
        &self,
        claim_token: &str,
        new: NewOrder,
    ) -> Result<bool, StorageError> {
        self.store_order(
            "WITH stored AS ( \
               UPDATE idempotency_records SET state = 'completed', claim_token = NULL, \
                 locked_until_ms = NULL, response_status = $7, response_content_type = $8, \
                 response_location = $9, response_body = $10, order_id = $1, expires_at_ms = $11 \
               WHERE key = $5 AND claim_token = $6 AND state = 'in_flight' RETURNING key) \
             INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, \
               lab_operation) \
               SELECT $1, $2, $3, $4, key, $12 FROM stored",
            claim_token,
            &new,
        )
        .await
    }

    /// Claim, order and answer at once, for a key with no record: the completed record is
    /// inserted unless the key has one (or is an issued key past its expiry by the database's
    /// clock), and the order only from the row just inserted.
    pub(super) async fn create_completed(
        &self,
        fingerprint: &str,
        new: NewOrder,
        source: KeySource,
    ) -> Result<CreateResult, StorageError> {
        // One round trip either way: when the key is taken, the same statement returns the
        // record that was there (the statement's snapshot sees it, not its own insert), so a
        // replay costs no second query. A record committed while this statement waited on
        // it is not in that snapshot: then `Taken(None)`, and the lifecycle reads it.
        let row = bind_order(sqlx::query(CREATE_COMPLETED.as_str()), fingerprint, &new)
            .bind(key_expiry(source))
            .fetch_one(&self.pool)
            .await?;
        let created: i64 = row.try_get("created")?;
        if created == 1 {
            return Ok(CreateResult::Created);
        }
        let found = match row.try_get::<Option<String>, _>("key")? {
            Some(_) => Some(Record::try_from(RecordRow::from_row(&row)?)?),
            None => None,
        };
        Ok(CreateResult::Taken(found))
    }

    /// Runs the completion above; `guard` is the claim token.
    async fn store_order(
        &self,
        sql: &'static str,
        guard: &str,
        new: &NewOrder,
    ) -> Result<bool, StorageError> {
        let inserted = bind_order(sqlx::query(sql), guard, new)
            .execute(&self.pool)
            .await?;
        one_or_none(inserted.rows_affected())
    }

    pub(super) async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM idempotency_records WHERE key = $1 AND claim_token = $2")
            .bind(key)
            .bind(claim_token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn purge_expired(&self) -> Result<u64, StorageError> {
        let result = sqlx::query(PURGE_EXPIRED.as_str())
            .bind(PURGE_BATCH)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    pub(super) async fn reset_lab(&self, user_id: Option<&str>) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM idempotency_records WHERE $1::text IS NULL OR user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM orders WHERE $1::text IS NULL OR user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Expires `user_id`'s record under `key` at the database's now if the plan allows it,
    /// with the row locked from the look to the write, so no claim can slip in between. An
    /// already expired record keeps its earlier expiry.
    pub(super) async fn expire_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<KeyExpiry, StorageError> {
        let mut tx = self.pool.begin().await?;
        let now: i64 = sqlx::query_scalar(SELECT_DB_NOW.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let select = format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records \
             WHERE key = $1 AND user_id = $2 FOR UPDATE"
        );
        let update =
            "UPDATE idempotency_records SET expires_at_ms = LEAST(expires_at_ms, $2) WHERE key = $1";
        let plan =
            expire_in::<sqlx::Postgres>(&mut *tx, (select, update), user_id, key, now).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// One statement for all counts, each added to its own operation's record (key and
    /// order), so an operation forgotten meanwhile never passes its replays to a newer one.
    /// Rows are locked in key order, so two processes flushing at once cannot deadlock.
    pub(super) async fn add_replays(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        let sorted: BTreeMap<(String, String), i64> = counts.into_iter().collect();
        let mut keys = Vec::with_capacity(sorted.len());
        let mut order_ids = Vec::with_capacity(sorted.len());
        let mut added = Vec::with_capacity(sorted.len());
        for ((key, order_id), count) in sorted {
            keys.push(key);
            order_ids.push(order_id);
            added.push(count);
        }
        sqlx::query(
            "WITH counts AS (SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) \
               AS c(key, order_id, added)), \
             locked AS (SELECT r.key, counts.added FROM idempotency_records r \
               JOIN counts ON counts.key = r.key AND counts.order_id = r.order_id \
               ORDER BY r.key FOR UPDATE OF r) \
             UPDATE idempotency_records r SET replay_count = r.replay_count + locked.added \
               FROM locked WHERE r.key = locked.key",
        )
        .bind(keys)
        .bind(order_ids)
        .bind(added)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// One order inserted (`true`) or none (`false`: the key was taken, or the claim lost).
fn one_or_none(rows: u64) -> Result<bool, StorageError> {
    match rows {
        0 => Ok(false),
        1 => Ok(true),
        rows => Err(StorageError::Corrupt(format!(
            "storing an order inserted {rows} rows"
        ))),
    }
}

/// An issued key's expiry, for SQL that compares it with the database's clock.
fn key_expiry(source: KeySource) -> Option<i64> {
    match source {
        KeySource::Client => None,
        KeySource::Issued { expires_at_ms } => Some(expires_at_ms),
    }
}

/// Inserts a fresh claim, stamped by the database's clock, unless the key has a record or is
/// an issued key past its expiry by that clock; `true` if it did.
async fn insert_claim_if_new(
    db: impl PgExecutor<'_>,
    claim: &NewClaim,
) -> Result<bool, StorageError> {
    let inserted = sqlx::query(INSERT_CLAIM_IF_NEW.as_str())
        .bind(claim.key.as_str())
        .bind(claim.fingerprint.as_str())
        .bind(claim.claim_token.as_str())
        .bind(millis(claim.lease))
        .bind(millis(claim.record_ttl))
        .bind(key_expiry(claim.source))
        .bind(claim.user_id.as_str())
        .execute(db)
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The record under `key`; `lock` is "" or a locking clause such as "FOR UPDATE".
async fn select_record(
    db: impl PgExecutor<'_>,
    key: &str,
    lock: &str,
) -> Result<Option<Record>, StorageError> {
    let row: Option<RecordRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = $1 {lock}"
    )))
    .bind(key)
    .fetch_optional(db)
    .await?;
    row.map(Record::try_from).transpose()
}
