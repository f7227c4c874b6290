//! The SQLite back end: the file, its settings, and every statement the server runs on it.
//!
//! Writes go through one writer task that owns one connection. It takes every write that is
//! waiting, runs them in a single `BEGIN IMMEDIATE` transaction (a write that fails undoes its
//! own statements, so one failure does not sink the others), commits once, and only then
//! answers each caller: one fsync carries many orders (group commit), and no write ever meets
//! `SQLITE_BUSY` from another connection of ours. Each write is one or two statements: the writer's time is the
//! server's throughput. Reads use a small pool and see only committed data (WAL).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use app::api::Order;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{
    bind_order, orders, records, won, NewClaim, NewOrder, OrderRow, PlanFn, RecordRow,
    StorageError, ORDER_COLUMNS, RECORD_COLUMNS,
};
use crate::idempotency::{Claim, ClaimPlan, Record};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// How many writes one transaction takes at most.
const MAX_BATCH: usize = 128;
/// How many writes may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;
/// How many expired records one purge deletes, to keep each write transaction short.
const PURGE_BATCH: i64 = 500;

/// A write, and where its result goes once its transaction has committed.
enum Write {
    Claim(
        NewClaim,
        PlanFn,
        oneshot::Sender<Result<Claim, StorageError>>,
    ),
    Complete(
        String,
        NewOrder,
        oneshot::Sender<Result<bool, StorageError>>,
    ),
    CreateCompleted(
        String,
        NewOrder,
        oneshot::Sender<Result<bool, StorageError>>,
    ),
    Release(String, String, oneshot::Sender<Result<(), StorageError>>),
    Purge(i64, oneshot::Sender<Result<u64, StorageError>>),
    ResetLab(oneshot::Sender<Result<(), StorageError>>),
    /// Fire and forget: replays counted per key since the last flush.
    CountReplays(HashMap<String, i64>),
}

/// A write's result, held until the commit decides whether it counts.
enum Done {
    Claim(oneshot::Sender<Result<Claim, StorageError>>, Claim),
    Stored(oneshot::Sender<Result<bool, StorageError>>, bool),
    Release(oneshot::Sender<Result<(), StorageError>>),
    Purge(oneshot::Sender<Result<u64, StorageError>>, u64),
    ResetLab(oneshot::Sender<Result<(), StorageError>>),
    Nothing,
}

/// The SQLite back end: a read pool, and the one writer task every write goes through.
#[derive(Clone)]
pub(super) struct SqliteStorage {
    reads: SqlitePool,
    writes: mpsc::Sender<Write>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `url`, migrates it and starts the writer.
    pub(super) async fn open(url: &str) -> Result<Self, StorageError> {
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
        let (writes, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run_writer(writer, queue));
        Ok(Self { reads, writes })
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    pub(super) async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        let row: Option<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = ?1"
        ))
        .bind(key)
        .fetch_optional(&self.reads)
        .await?;
        row.map(Record::try_from).transpose()
    }

    pub(super) async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        let rows = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1"
        ))
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        records(rows)
    }

    pub(super) async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        let row: Option<OrderRow> =
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"))
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
        let rows = sqlx::query_as(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE ?1 IS NULL OR user_id = ?1 \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT ?2"
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        orders(rows)
    }

    pub(super) async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        let mut conn = self.reads.acquire().await?;
        sqlx::query("INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?1, ?2)")
            .bind(name)
            .bind(fresh)
            .execute(&mut *conn)
            .await?;
        let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        Ok(value)
    }

    pub(super) async fn claim(&self, claim: NewClaim, plan: PlanFn) -> Result<Claim, StorageError> {
        self.write(|reply| Write::Claim(claim, plan, reply)).await
    }

    pub(super) async fn complete(
        &self,
        claim_token: &str,
        order: NewOrder,
    ) -> Result<bool, StorageError> {
        let token = claim_token.to_owned();
        self.write(|reply| Write::Complete(token, order, reply))
            .await
    }

    pub(super) async fn create_completed(
        &self,
        fingerprint: &str,
        order: NewOrder,
    ) -> Result<bool, StorageError> {
        let fingerprint = fingerprint.to_owned();
        self.write(|reply| Write::CreateCompleted(fingerprint, order, reply))
            .await
    }

    pub(super) async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        let (key, token) = (key.to_owned(), claim_token.to_owned());
        self.write(|reply| Write::Release(key, token, reply)).await
    }

    pub(super) async fn purge_expired(&self, now_ms: i64) -> Result<u64, StorageError> {
        self.write(|reply| Write::Purge(now_ms, reply)).await
    }

    pub(super) async fn reset_lab(&self) -> Result<(), StorageError> {
        self.write(Write::ResetLab).await
    }

    /// Queues the counts without waiting: a full queue drops them rather than slow anything.
    pub(super) fn add_replays(&self, counts: HashMap<String, i64>) -> Result<(), StorageError> {
        self.writes
            .try_send(Write::CountReplays(counts))
            .map_err(|_| StorageError::WriterGone)
    }

    async fn write<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StorageError>>) -> Write,
    ) -> Result<T, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(make(reply))
            .await
            .map_err(|_| StorageError::WriterGone)?;
        answer.await.map_err(|_| StorageError::WriterGone)?
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

async fn run_writer(mut conn: SqliteConnection, mut queue: mpsc::Receiver<Write>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Take whatever is waiting, never wait for more: a lone write commits at once.
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_batch(&mut conn, batch.drain(..)).await;
    }
}

async fn commit_batch(conn: &mut SqliteConnection, writes: impl Iterator<Item = Write>) {
    let writes: Vec<Write> = writes.collect();
    if let Err(error) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        let error = StorageError::from(error);
        for write in writes {
            fail(write, error.clone());
        }
        return;
    }
    let mut done = Vec::with_capacity(writes.len());
    for write in writes {
        // A failed write is answered at once; each leaves nothing half-applied (see `apply`).
        match apply(conn, write).await {
            (done_write, None) => done.push(done_write),
            (done_write, Some(error)) => fail_done(done_write, error),
        }
    }
    // Nobody hears "done" before the COMMIT (and its fsync) has returned.
    if let Err(error) = sqlx::query("COMMIT").execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        let error = StorageError::from(error);
        for done in done {
            fail_done(done, error.clone());
        }
        return;
    }
    for done in done {
        answer(done);
    }
}

/// Applies one write. Each is one statement, or undoes its own first statement when its
/// second fails, so one failed write never leaves a half-done operation in the batch.
async fn apply(conn: &mut SqliteConnection, write: Write) -> (Done, Option<StorageError>) {
    match write {
        Write::Claim(claim, plan, reply) => match claim_key(conn, &claim, plan).await {
            Ok(claim) => (Done::Claim(reply, claim), None),
            Err(e) => (Done::Claim(reply, Claim::Lost(None)), Some(e)),
        },
        Write::Complete(token, order, reply) => {
            match store_order(conn, COMPLETE_CLAIMED, &token, &order).await {
                Ok(stored) => (Done::Stored(reply, stored), None),
                Err(e) => (Done::Stored(reply, false), Some(e)),
            }
        }
        Write::CreateCompleted(fingerprint, order, reply) => {
            match store_order(conn, CREATE_COMPLETED, &fingerprint, &order).await {
                Ok(stored) => (Done::Stored(reply, stored), None),
                Err(e) => (Done::Stored(reply, false), Some(e)),
            }
        }
        Write::Release(key, token, reply) => {
            let result =
                sqlx::query("DELETE FROM idempotency_records WHERE key = ?1 AND claim_token = ?2")
                    .bind(key)
                    .bind(token)
                    .execute(&mut *conn)
                    .await;
            (Done::Release(reply), result.err().map(Into::into))
        }
        Write::Purge(now_ms, reply) => match purge(conn, now_ms).await {
            Ok(n) => (Done::Purge(reply, n), None),
            Err(e) => (Done::Purge(reply, 0), Some(e)),
        },
        Write::ResetLab(reply) => {
            let result = sqlx::query("DELETE FROM idempotency_records; DELETE FROM orders;")
                .execute(&mut *conn)
                .await;
            (Done::ResetLab(reply), result.err().map(Into::into))
        }
        Write::CountReplays(counts) => {
            for (key, count) in counts {
                let counted = sqlx::query("UPDATE idempotency_records SET replay_count = replay_count + ?2 WHERE key = ?1")
                    .bind(key)
                    .bind(count)
                    .execute(&mut *conn)
                    .await;
                if let Err(error) = counted {
                    return (Done::Nothing, Some(error.into()));
                }
            }
            (Done::Nothing, None)
        }
    }
}

const INSERT_CLAIM: &str = "INSERT INTO idempotency_records \
     (key, fingerprint, state, claim_token, locked_until_ms, created_at_ms, expires_at_ms) \
     VALUES (?1, ?2, 'in_flight', ?3, ?4, ?5, ?6)";

async fn claim_key(
    conn: &mut SqliteConnection,
    claim: &NewClaim,
    plan: PlanFn,
) -> Result<Claim, StorageError> {
    // The common case in one statement: no record yet, so the plan is `Insert`.
    if claim.may_start {
        let inserted = bind_claim(
            &format!("{INSERT_CLAIM} ON CONFLICT (key) DO NOTHING"),
            claim,
        )
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(won(claim));
        }
    }
    // A record is there (or this attempt may not start one): read it and let the plan decide.
    let existing: Option<Record> = sqlx::query_as::<_, RecordRow>(&format!(
        "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = ?1"
    ))
    .bind(&claim.key)
    .fetch_optional(&mut *conn)
    .await?
    .map(Record::try_from)
    .transpose()?;
    let sql = match plan(existing.as_ref(), claim) {
        ClaimPlan::Keep => return Ok(Claim::Lost(existing)),
        ClaimPlan::Insert => INSERT_CLAIM,
        ClaimPlan::TakeOver => {
            "UPDATE idempotency_records SET fingerprint = ?2, state = 'in_flight', claim_token = ?3, \
             locked_until_ms = ?4, created_at_ms = ?5, expires_at_ms = ?6, response_status = NULL, \
             response_content_type = NULL, response_location = NULL, response_body = NULL, \
             order_id = NULL, replay_count = 0 WHERE key = ?1"
        }
    };
    bind_claim(sql, claim).execute(&mut *conn).await?;
    Ok(won(claim))
}

fn bind_claim<'q>(
    sql: &'q str,
    claim: &'q NewClaim,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    sqlx::query(sql)
        .bind(&claim.key)
        .bind(&claim.fingerprint)
        .bind(&claim.claim_token)
        .bind(claim.locked_until_ms)
        .bind(claim.now_ms)
        .bind(claim.expires_at_ms)
}

/// The fence, in one round trip: the order is inserted, and the record turns completed, only
/// while the record still carries our claim token. Both statements test the same condition in
/// the same transaction, so they succeed together (2 rows) or not at all (0: the claim was lost).
const COMPLETE_CLAIMED: &str = "\
    INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key) \
      SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM idempotency_records \
        WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight'); \
    UPDATE idempotency_records SET state = 'completed', claim_token = NULL, \
      locked_until_ms = NULL, response_status = ?7, response_content_type = ?8, \
      response_location = ?9, response_body = ?10, order_id = ?1, expires_at_ms = ?11 \
      WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight';";

/// Claim, order and answer at once, for a key with no record: the completed record is
/// inserted unless the key has one, and the order only beside the record just inserted
/// (2 rows), or neither (0: the key was taken).
const CREATE_COMPLETED: &str = "\
    INSERT INTO idempotency_records (key, fingerprint, state, response_status, \
      response_content_type, response_location, response_body, order_id, created_at_ms, \
      expires_at_ms) VALUES (?5, ?6, 'completed', ?7, ?8, ?9, ?10, ?1, ?4, ?11) \
      ON CONFLICT (key) DO NOTHING; \
    INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key) \
      SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM idempotency_records \
        WHERE key = ?5 AND order_id = ?1);";

/// Runs one of the two statements above; `guard` is the claim token or the fingerprint.
async fn store_order(
    conn: &mut SqliteConnection,
    sql: &'static str,
    guard: &str,
    new: &NewOrder,
) -> Result<bool, StorageError> {
    let changed = bind_order(sqlx::query(sql), guard, new)
        .execute(&mut *conn)
        .await;
    match changed.map(|done| done.rows_affected()) {
        Ok(2) => Ok(true),
        Ok(0) => Ok(false),
        // Never an order without its completed record, nor the reverse: take both back out.
        outcome => {
            sqlx::query(
                "DELETE FROM orders WHERE id = ?1; \
                 DELETE FROM idempotency_records WHERE order_id = ?1;",
            )
            .bind(&new.order.id)
            .execute(&mut *conn)
            .await?;
            match outcome {
                Ok(rows) => Err(StorageError::Corrupt(format!(
                    "storing an order changed {rows} rows"
                ))),
                Err(error) => Err(error.into()),
            }
        }
    }
}

async fn purge(conn: &mut SqliteConnection, now_ms: i64) -> Result<u64, StorageError> {
    let result = sqlx::query(
        "DELETE FROM idempotency_records WHERE rowid IN (\
           SELECT rowid FROM idempotency_records \
           WHERE expires_at_ms <= ?1 AND (state = 'completed' OR locked_until_ms <= ?1) LIMIT ?2)",
    )
    .bind(now_ms)
    .bind(PURGE_BATCH)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}

fn fail(write: Write, error: StorageError) {
    match write {
        Write::Claim(_, _, reply) => drop(reply.send(Err(error))),
        Write::Complete(_, _, reply) | Write::CreateCompleted(_, _, reply) => {
            drop(reply.send(Err(error)))
        }
        Write::Release(_, _, reply) => drop(reply.send(Err(error))),
        Write::Purge(_, reply) => drop(reply.send(Err(error))),
        Write::ResetLab(reply) => drop(reply.send(Err(error))),
        Write::CountReplays(_) => {}
    }
}

fn fail_done(done: Done, error: StorageError) {
    match done {
        Done::Claim(reply, _) => drop(reply.send(Err(error))),
        Done::Stored(reply, _) => drop(reply.send(Err(error))),
        Done::Release(reply) => drop(reply.send(Err(error))),
        Done::Purge(reply, _) => drop(reply.send(Err(error))),
        Done::ResetLab(reply) => drop(reply.send(Err(error))),
        Done::Nothing => {}
    }
}

fn answer(done: Done) {
    match done {
        Done::Claim(reply, claim) => drop(reply.send(Ok(claim))),
        Done::Stored(reply, stored) => drop(reply.send(Ok(stored))),
        Done::Release(reply) => drop(reply.send(Ok(()))),
        Done::Purge(reply, n) => drop(reply.send(Ok(n))),
        Done::ResetLab(reply) => drop(reply.send(Ok(()))),
        Done::Nothing => {}
    }
}
