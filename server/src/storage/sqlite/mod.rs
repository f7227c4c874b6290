//! The SQLite back end: one file, one server process.
//!
//! Reads use a small pool and see only committed data (WAL). Every write goes through one
//! writer task that owns one connection and commits whatever is waiting in one transaction
//! (`writer.rs`); the writes themselves are in `jobs.rs`, their SQL in `statements.rs`. Each
//! write is one or two calls to SQLite: the writer's time is the server's throughput.

mod jobs;
mod statements;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use app::api::Order;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;

use crate::idempotency::record::{
    ClaimResult, CreateResult, KeyExpiry, KeySource, NewClaim, NewOrder, Record,
};
use crate::storage::change::Changes;
use crate::storage::error::StorageError;
use crate::storage::replays::ReplayCounts;
use crate::storage::rows::{orders, records, OrderRow, RecordRow};
pub use jobs::Fault;
use jobs::{Claim, Complete, CountReplays, CreateCompleted, ExpireKey, Purge, Release, ResetLab};
pub use statements::STATEMENTS;
use statements::{
    FIND_ORDER, INSERT_SECRET, LIST_ORDERS, LIST_RECORDS, PING, SELECT_RECORD, SELECT_SECRET,
};
use writer::Writer;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The SQLite back end: a read pool, and the one writer every write goes through.
#[derive(Clone)]
pub(super) struct SqliteStorage {
    reads: SqlitePool,
    writer: Writer,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `url`, migrates it and starts the writer,
    /// which announces on `changes` what each commit changed.
    pub(super) async fn open(url: &str, changes: Changes) -> Result<Self, StorageError> {
        let options = connect_options(url)?;
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StorageError::Directory(std::sync::Arc::new(e)))?;
            }
        }
        let mut writer = SqliteConnection::connect_with(&options).await?;
        MIGRATOR.run(&mut writer).await?;
        let reads = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self {
            reads,
            writer: Writer::start(writer, changes),
        })
    }

    pub(super) fn transactions(&self) -> u64 {
        self.writer.transactions()
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query(PING).execute(&self.reads).await?;
        Ok(())
    }

    pub(super) async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        let row: Option<RecordRow> = sqlx::query_as(SELECT_RECORD)
            .bind(key)
            .fetch_optional(&self.reads)
            .await?;
        row.map(Record::try_from).transpose()
    }

    pub(super) async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        let rows = sqlx::query_as(LIST_RECORDS)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        records(rows)
    }

    pub(super) async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        let row: Option<OrderRow> = sqlx::query_as(FIND_ORDER)
            .bind(id)
            .fetch_optional(&self.reads)
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
            .fetch_all(&self.reads)
            .await?;
        orders(rows)
    }

    pub(super) async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        let mut conn = self.reads.acquire().await?;
        sqlx::query(INSERT_SECRET)
            .bind(name)
            .bind(fresh)
            .execute(&mut *conn)
            .await?;
        let value: Vec<u8> = sqlx::query_scalar(SELECT_SECRET)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        Ok(value)
    }

    pub(super) async fn claim(&self, claim: NewClaim) -> Result<ClaimResult, StorageError> {
        self.writer.write(Claim(claim)).await
    }

    pub(super) async fn complete(
        &self,
        claim_token: &str,
        order: NewOrder,
    ) -> Result<bool, StorageError> {
        let claim_token = claim_token.to_owned();
        self.writer.write(Complete { claim_token, order }).await
    }

    /// (The key's origin was decided just before, by this same clock: one process.)
    pub(super) async fn create_completed(
        &self,
        fingerprint: &str,
        order: NewOrder,
        _source: KeySource,
    ) -> Result<CreateResult, StorageError> {
        let fingerprint = fingerprint.to_owned();
        let created = self
            .writer
            .write(CreateCompleted { fingerprint, order })
            .await?;
        // The writer answers only "stored or not"; the lifecycle reads a taken key's record.
        Ok(if created {
            CreateResult::Created
        } else {
            CreateResult::Taken(None)
        })
    }

    pub(super) async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        let (key, claim_token) = (key.to_owned(), claim_token.to_owned());
        self.writer.write(Release { key, claim_token }).await?;
        Ok(())
    }

    pub(super) async fn purge_expired(&self) -> Result<u64, StorageError> {
        self.writer.write(Purge).await
    }

    pub(super) async fn reset_lab(&self, user_id: Option<&str>) -> Result<(), StorageError> {
        let user_id = user_id.map(str::to_owned);
        self.writer.write(ResetLab(user_id)).await?;
        Ok(())
    }

    pub(super) async fn expire_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<KeyExpiry, StorageError> {
        let (user_id, key) = (user_id.to_owned(), key.to_owned());
        self.writer.write(ExpireKey { user_id, key }).await
    }

    /// Queues the counts without waiting: a full queue drops them rather than slow anything.
    pub(super) fn queue_replays(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        self.writer.write_in_background(CountReplays(counts))
    }

    /// Writes the counts and waits for their commit. It goes through the writer's queue even
    /// when there is nothing new, so counts queued earlier are committed first.
    pub(super) async fn add_replays(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        self.writer.write(CountReplays(counts)).await
    }

    pub(super) async fn inject(&self, fault: Fault) -> Result<(), StorageError> {
        self.writer.write(fault).await
    }
}

fn connect_options(url: &str) -> Result<SqliteConnectOptions, StorageError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before the order is acknowledged, even across power loss.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10)))
}
