//! The PostgreSQL back end: several server processes, one key space.
//!
//! Nothing here relies on being the only process: the UNIQUE key decides which claim is
//! first, a claim that finds a record locks that row (`FOR UPDATE`) while the plan decides,
//! and completion is one statement fenced on the claim token. PostgreSQL commits concurrent
//! transactions with shared WAL flushes, so there is no writer task here: every request uses
//! a pooled connection, and `synchronous_commit` (on by default) means a 201 is on disk.
//! The SQL is in `statements.rs`; how processes hear each other's changes, in `changes.rs`:
//! each write below announces what it changed once it has committed.

mod changes;
mod statements;

use std::collections::BTreeMap;
use std::time::Duration;

use app::api::Order;
use sqlx::postgres::{PgConnectOptions, PgExecutor, PgPool, PgPoolOptions};
use sqlx::{FromRow, Row};

use crate::idempotency::decision::{plan_claim, ClaimPlan};
use crate::idempotency::record::{
    millis, ClaimResult, CreateResult, KeyExpiry, KeySource, NewClaim, NewOrder, Record,
};
use crate::storage::change::{Change, Changes};
use crate::storage::clock::offset_around;
use crate::storage::error::StorageError;
use crate::storage::replays::ReplayCounts;
use crate::storage::rows::{
    bind_claim, bind_order, expire_in, orders, records, OrderRow, RecordRow,
};
use changes::Announcements;
pub use statements::STATEMENTS;
use statements::{
    ADD_ALL_REPLAYS, COMPLETE_CLAIMED, CREATE_COMPLETED, DELETE_ORDERS_OF, DELETE_RECORDS_OF,
    EXPIRE_RECORD, FIND_ORDER, INSERT_CLAIM, INSERT_CLAIM_IF_NEW_BY_DB_CLOCK, INSERT_SECRET,
    LIST_ORDERS, LIST_RECORDS, PING, PURGE_EXPIRED_BY_DB_CLOCK, RELEASE_CLAIM, REPLACE_CLAIM,
    SELECT_DB_NOW, SELECT_RECORD, SELECT_RECORD_FOR_UPDATE, SELECT_RECORD_OF_LEARNER_FOR_UPDATE,
    SELECT_SECRET,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections per server process for its requests; its change announcements take two more
/// (`changes.rs`), so each process needs 18 from the server.
const POOL_SIZE: u32 = 16;
/// How many expired records one purge deletes, to keep each transaction short.
const PURGE_BATCH: i64 = 500;
/// A claim that finds no record may race a concurrent insert; after a few rounds the record
/// is certainly there.
const CLAIM_ROUNDS: usize = 4;

#[derive(Clone)]
pub(super) struct PostgresStorage {
    pool: PgPool,
    /// Announces this process's committed changes to every process, and hears theirs.
    announcements: Announcements,
}

impl PostgresStorage {
    /// Connects, migrates, and listens for every process's changes, which it forwards to
    /// `changes`. Processes starting together are safe: the migrator holds an advisory lock
    /// while it runs.
    pub(super) async fn open(url: &str, changes: Changes) -> Result<Self, StorageError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let announcements = Announcements::start(&options, changes).await?;
        Ok(Self {
            pool,
            announcements,
        })
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query(PING).execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        select_record(&self.pool, SELECT_RECORD, key).await
    }

    pub(super) async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        let rows = sqlx::query_as(LIST_RECORDS)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        records(rows)
    }

    pub(super) async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        let row: Option<OrderRow> = sqlx::query_as(FIND_ORDER)
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
        let rows = sqlx::query_as(LIST_ORDERS)
            .bind(user_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        orders(rows)
    }

    pub(super) async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        sqlx::query(INSERT_SECRET)
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        let value = sqlx::query_scalar(SELECT_SECRET)
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }

    pub(super) async fn claim(&self, claim: NewClaim) -> Result<ClaimResult, StorageError> {
        // The common case in one statement: no record yet (the plan would say `Insert`).
        if insert_claim_if_new(&self.pool, &claim).await? {
            self.announcements.announce(Change::learner(&claim.user_id));
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
        let existing =
            select_record(&mut *tx, SELECT_RECORD_FOR_UPDATE, claim.key.as_str()).await?;
        let now: i64 = sqlx::query_scalar(SELECT_DB_NOW)
            .fetch_one(&mut *tx)
            .await?;
        let sql = match plan_claim(existing.as_ref(), claim, now) {
            ClaimPlan::Keep => {
                let held = |record| ClaimResult::Held { record, at_ms: now };
                return Ok(existing.map(held));
            }
            ClaimPlan::Refuse => return Ok(Some(ClaimResult::MayNotStart)),
            ClaimPlan::Insert => INSERT_CLAIM,
            ClaimPlan::Replace => REPLACE_CLAIM,
        };
        let written = bind_claim(sqlx::query(sql), claim, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let won = written.rows_affected() == 1;
        if won {
            self.announcements.announce(Change::learner(&claim.user_id));
        }
        Ok(won.then(|| ClaimResult::Won(claim.claim_token.clone())))
    }

    /// The database's clock minus this process's, measured around one round trip on a
    /// connection already open.
    pub(super) async fn clock_offset(&self) -> Result<i64, StorageError> {
        let mut connection = self.pool.acquire().await?;
        offset_around(async {
            let database_ms = sqlx::query_scalar(SELECT_DB_NOW)
                .fetch_one(&mut *connection)
                .await?;
            Ok(database_ms)
        })
        .await
    }

    /// Commits the order and its answer, fenced on the claim token (see `COMPLETE_CLAIMED`).
    pub(super) async fn complete(
        &self,
        claim_token: &str,
        new: NewOrder,
    ) -> Result<bool, StorageError> {
        let inserted = bind_order(sqlx::query(COMPLETE_CLAIMED), claim_token, &new)
            .execute(&self.pool)
            .await?;
        let stored = match inserted.rows_affected() {
            0 => false,
            1 => true,
            rows => {
                return Err(StorageError::Corrupt(format!(
                    "storing an order inserted {rows} rows"
                )))
            }
        };
        if stored {
            self.announcements
                .announce(Change::learner(&new.order.user_id));
        }
        Ok(stored)
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
        let row = bind_order(sqlx::query(CREATE_COMPLETED), fingerprint, &new)
            .bind(key_expiry(source))
            .fetch_one(&self.pool)
            .await?;
        let created: i64 = row.try_get("created")?;
        if created == 1 {
            self.announcements
                .announce(Change::learner(&new.order.user_id));
            return Ok(CreateResult::Created);
        }
        let found = match row.try_get::<Option<String>, _>("key")? {
            Some(_) => Some(Record::try_from(RecordRow::from_row(&row)?)?),
            None => None,
        };
        Ok(CreateResult::Taken(found))
    }

    pub(super) async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        let released: Option<String> = sqlx::query_scalar(RELEASE_CLAIM)
            .bind(key)
            .bind(claim_token)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(learner) = released {
            self.announcements.announce(Change::learner(&learner));
        }
        Ok(())
    }

    pub(super) async fn purge_expired(&self) -> Result<u64, StorageError> {
        let purged = sqlx::query(PURGE_EXPIRED_BY_DB_CLOCK)
            .bind(PURGE_BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if purged > 0 {
            self.announcements.announce(Change::anyone());
        }
        Ok(purged)
    }

    pub(super) async fn reset_lab(&self, user_id: Option<&str>) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        let mut deleted = 0;
        for sql in [DELETE_RECORDS_OF, DELETE_ORDERS_OF] {
            let done = sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            deleted += done.rows_affected();
        }
        tx.commit().await?;
        if deleted > 0 {
            let user_id = user_id.map(str::to_owned);
            self.announcements.announce(Change { user_id });
        }
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
        let now: i64 = sqlx::query_scalar(SELECT_DB_NOW)
            .fetch_one(&mut *tx)
            .await?;
        let statements = (SELECT_RECORD_OF_LEARNER_FOR_UPDATE, EXPIRE_RECORD);
        let plan = expire_in::<sqlx::Postgres>(&mut tx, statements, user_id, key, now).await?;
        tx.commit().await?;
        if plan == KeyExpiry::Expired {
            self.announcements.announce(Change::learner(user_id));
        }
        Ok(plan)
    }

    /// One statement for all counts, each added to its own operation's record (key and
    /// order), so an operation forgotten meanwhile never passes its replays to a newer one.
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
        sqlx::query(ADD_ALL_REPLAYS)
            .bind(keys)
            .bind(order_ids)
            .bind(added)
            .execute(&self.pool)
            .await?;
        Ok(())
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
    let inserted = sqlx::query(INSERT_CLAIM_IF_NEW_BY_DB_CLOCK)
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

/// The record under `key`, read with `sql` (`SELECT_RECORD` or its `FOR UPDATE`).
async fn select_record(
    db: impl PgExecutor<'_>,
    sql: &'static str,
    key: &str,
) -> Result<Option<Record>, StorageError> {
    let row: Option<RecordRow> = sqlx::query_as(sql).bind(key).fetch_optional(db).await?;
    row.map(Record::try_from).transpose()
}
