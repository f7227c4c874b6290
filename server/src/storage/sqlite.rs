//! The SQLite back end: the file, its settings, and every statement the server runs on it.
//!
//! Writes go through one writer task that owns one connection. It takes every write that is
//! waiting, runs them in a single `BEGIN IMMEDIATE` transaction, each inside its own SAVEPOINT
//! (a write that fails is undone alone, so one failure does not sink the others), commits
//! once, and only then answers each caller: one fsync carries many orders (group commit), and
//! no write ever meets `SQLITE_BUSY` from another connection of ours. If SQLite rolls back the
//! whole transaction instead (it may, on a full disk or an I/O error), every write in it is
//! answered with the error and the rest of the batch starts a new transaction; nothing runs
//! in autocommit. Each write is one or two statements: the writer's time is the server's
//! throughput. Reads use a small pool and see only committed data (WAL).

// Every dynamic statement below only splices in this file's column-list constants.
use sqlx::AssertSqlSafe;
use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::Order;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{
    bind_claim, bind_order, expire_in, orders, records, OrderRow, RecordRow, ReplayCounts,
    StorageError, ORDER_COLUMNS, RECORD_COLUMNS,
};
use crate::idempotency::decision::{plan_claim, ClaimPlan};
use crate::idempotency::record::{
    ClaimResult, CreateResult, KeyExpiry, KeyOrigin, KeySource, NewClaim, NewOrder, Record,
};
use crate::time::now_ms;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// How many writes one transaction takes at most.
const MAX_BATCH: usize = 128;
/// How many writes may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;
/// How many expired records one purge deletes, to keep each write transaction short.
const PURGE_BATCH: i64 = 500;

type Reply<T> = oneshot::Sender<Result<T, StorageError>>;

/// A write, and where its result goes once its transaction has committed.
enum Write {
    Claim(NewClaim, Reply<ClaimResult>),
    Complete(String, NewOrder, Reply<bool>),
    CreateCompleted(String, NewOrder, Reply<bool>),
    Release(String, String, Reply<()>),
    Purge(Reply<u64>),
    ResetLab(Option<String>, Reply<()>),
    /// The lab's "expire this key now": the learner, then the key.
    ExpireKey(String, String, Reply<KeyExpiry>),
    /// Replays counted per operation since the last flush; `None` for fire and forget.
    CountReplays(ReplayCounts, Option<Reply<()>>),
    Fault(Fault, Reply<()>),
}

/// Failures a test can put on the writer, to check that no failed write is half applied and
/// no acknowledged one is lost. Nothing in the server sets them.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The database may grow by this many pages and no more, as on a full disk.
    SpaceLeft(u32),
    /// Give the space back.
    SpaceUnlimited,
    /// Any order for this user makes SQLite roll back the whole transaction it is in (as it
    /// may on an I/O error); `None` lifts it.
    RollBackOrdersOf(Option<String>),
}

/// A write's result, held until the commit decides whether it counts.
enum Answer {
    Claim(ClaimResult),
    Stored(bool),
    Unit,
    Purge(u64),
    Expiry(KeyExpiry),
}

impl Write {
    /// Sends the write's result (after its commit) or its error to whoever waits for it.
    fn answer(self, result: Result<Answer, StorageError>) {
        /// The caller may have gone (a client that hung up); the result stands anyway.
        fn send<T>(reply: Reply<T>, result: Result<T, StorageError>) {
            let _ = reply.send(result);
        }
        let mismatch = || StorageError::Corrupt("a write got another write's answer".into());
        match self {
            Write::Claim(_, reply) => send(
                reply,
                result.and_then(|a| match a {
                    Answer::Claim(claimed) => Ok(claimed),
                    _ => Err(mismatch()),
                }),
            ),
            Write::Complete(_, _, reply) | Write::CreateCompleted(_, _, reply) => send(
                reply,
                result.and_then(|a| match a {
                    Answer::Stored(stored) => Ok(stored),
                    _ => Err(mismatch()),
                }),
            ),
            Write::Purge(reply) => send(
                reply,
                result.and_then(|a| match a {
                    Answer::Purge(purged) => Ok(purged),
                    _ => Err(mismatch()),
                }),
            ),
            Write::ExpireKey(_, _, reply) => send(
                reply,
                result.and_then(|a| match a {
                    Answer::Expiry(expiry) => Ok(expiry),
                    _ => Err(mismatch()),
                }),
            ),
            Write::Release(_, _, reply) | Write::ResetLab(_, reply) | Write::Fault(_, reply) => {
                send(reply, result.map(drop))
            }
            Write::CountReplays(_, reply) => {
                if let Some(reply) = reply {
                    send(reply, result.map(drop));
                }
            }
        }
    }
}

/// The SQLite back end: a read pool, and the one writer task every write goes through.
#[derive(Clone)]
pub(super) struct SqliteStorage {
    reads: SqlitePool,
    writes: mpsc::Sender<Write>,
    /// Transactions the writer has begun: a write's cost, for tests and the bench.
    transactions: Arc<AtomicU64>,
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
        let transactions = Arc::new(AtomicU64::new(0));
        tokio::spawn(run_writer(writer, queue, transactions.clone()));
        Ok(Self {
            reads,
            writes,
            transactions,
        })
    }

    pub(super) fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    pub(super) async fn find_record(&self, key: &str) -> Result<Option<Record>, StorageError> {
        let row: Option<RecordRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = ?1"
        )))
        .bind(key)
        .fetch_optional(&self.reads)
        .await?;
        row.map(Record::try_from).transpose()
    }

    pub(super) async fn list_records(&self, limit: i64) -> Result<Vec<Record>, StorageError> {
        let rows = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1"
        )))
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        records(rows)
    }

    pub(super) async fn find_order(&self, id: &str) -> Result<Option<Order>, StorageError> {
        let row: Option<OrderRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"
        )))
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
        let rows = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE ?1 IS NULL OR user_id = ?1 \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT ?2"
        )))
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

    pub(super) async fn claim(&self, claim: NewClaim) -> Result<ClaimResult, StorageError> {
        self.write(|reply| Write::Claim(claim, reply)).await
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

    /// (The key's origin was decided just before, by this same clock: one process.)
    pub(super) async fn create_completed(
        &self,
        fingerprint: &str,
        order: NewOrder,
        _source: KeySource,
    ) -> Result<CreateResult, StorageError> {
        let fingerprint = fingerprint.to_owned();
        let created = self
            .write(|reply| Write::CreateCompleted(fingerprint, order, reply))
            .await?;
        // The writer answers only "stored or not"; the lifecycle reads a taken key's record.
        Ok(if created {
            CreateResult::Created
        } else {
            CreateResult::Taken(None)
        })
    }

    pub(super) async fn release(&self, key: &str, claim_token: &str) -> Result<(), StorageError> {
        let (key, token) = (key.to_owned(), claim_token.to_owned());
        self.write(|reply| Write::Release(key, token, reply)).await
    }

    pub(super) async fn purge_expired(&self) -> Result<u64, StorageError> {
        self.write(Write::Purge).await
    }

    pub(super) async fn reset_lab(&self, user_id: Option<&str>) -> Result<(), StorageError> {
        let user_id = user_id.map(str::to_owned);
        self.write(|reply| Write::ResetLab(user_id, reply)).await
    }

    pub(super) async fn expire_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<KeyExpiry, StorageError> {
        let (user_id, key) = (user_id.to_owned(), key.to_owned());
        self.write(|reply| Write::ExpireKey(user_id, key, reply))
            .await
    }

    /// Queues the counts without waiting: a full queue drops them rather than slow anything.
    pub(super) fn queue_replays(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        self.writes
            .try_send(Write::CountReplays(counts, None))
            .map_err(|_| StorageError::WriterGone)
    }

    /// Writes the counts and waits for their commit.
    pub(super) async fn add_replays(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        self.write(|reply| Write::CountReplays(counts, Some(reply)))
            .await
    }

    pub(super) async fn inject(&self, fault: Fault) -> Result<(), StorageError> {
        self.write(|reply| Write::Fault(fault, reply)).await
    }

    async fn write<T>(&self, make: impl FnOnce(Reply<T>) -> Write) -> Result<T, StorageError> {
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

async fn run_writer(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<Write>,
    transactions: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Take whatever is waiting, never wait for more: a lone write commits at once.
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut writes: VecDeque<Write> = batch.drain(..).collect();
        // Writes undone with a transaction SQLite rolled back go again in a new one.
        while !writes.is_empty() {
            transactions.fetch_add(1, Ordering::Relaxed);
            metrics::histogram!(crate::metrics::BATCH_SIZE).record(writes.len() as f64);
            let started = std::time::Instant::now();
            commit_batch(&mut conn, &mut writes).await;
            metrics::histogram!(crate::metrics::COMMIT_SECONDS)
                .record(started.elapsed().as_secs_f64());
        }
    }
}

/// Runs the writes in `writes` in one transaction and commits it, answering each; none is
/// answered before the COMMIT (and its fsync) has returned.
///
/// Each write has its own SAVEPOINT, so a write that fails is undone alone and answered with
/// its error while the others go on. SQLite may instead roll back the whole transaction (a
/// full disk, an I/O error). Then the write that failed is answered with its error, and the
/// writes done before it, undone with the transaction through no fault of their own, are put
/// back at the front of `writes` for a new transaction. So nothing runs outside a
/// transaction, nothing is half applied, and nobody hears "done" for a write that was undone.
async fn commit_batch(conn: &mut SqliteConnection, writes: &mut VecDeque<Write>) {
    if let Err(error) = begin(conn).await {
        for write in writes.drain(..) {
            write.answer(Err(error.clone()));
        }
        return;
    }
    let mut applied = Vec::with_capacity(writes.len());
    while let Some(write) = writes.pop_front() {
        match apply_alone(conn, &write).await {
            Applied::Done(answer) => applied.push((write, answer)),
            Applied::Undone(error) => write.answer(Err(error)),
            Applied::TransactionLost(error) => {
                write.answer(Err(error));
                let _ = execute(conn, "ROLLBACK").await;
                for (write, _) in applied.into_iter().rev() {
                    writes.push_front(write);
                }
                return;
            }
        }
    }
    if let Err(error) = execute(conn, "COMMIT").await {
        let _ = execute(conn, "ROLLBACK").await;
        for (write, _) in applied {
            write.answer(Err(error.clone()));
        }
        return;
    }
    for (write, answer) in applied {
        write.answer(Ok(answer));
    }
}

/// `BEGIN IMMEDIATE`; if a transaction was somehow left open (a failed ROLLBACK), it is
/// rolled back first, so one bad moment cannot stop every later write.
async fn begin(conn: &mut SqliteConnection) -> Result<(), StorageError> {
    // The first write's `RELEASE write` needs a savepoint to release.
    const BEGIN: &str = "BEGIN IMMEDIATE; SAVEPOINT write";
    if execute(conn, BEGIN).await.is_ok() {
        return Ok(());
    }
    let _ = execute(conn, "ROLLBACK").await;
    execute(conn, BEGIN).await
}

/// Each write starts with this, in the same call as its own first statement: one round trip
/// to SQLite's thread instead of three, since that hand-off is the writer's cost. Exactly one
/// savepoint named `write` is alive at any time: this write's. If the `RELEASE` or the
/// `SAVEPOINT` itself fails, none of ours is left, so the `ROLLBACK TO write` after it fails
/// too and the transaction counts as lost: it can never undo an earlier write by mistake.
macro_rules! isolated {
    ($sql:expr) => {
        concat!("RELEASE write; SAVEPOINT write; ", $sql)
    };
}
/// The statements `isolated!` puts in front of a write's own.
const ISOLATION_STATEMENTS: usize = 2;

enum Applied {
    Done(Answer),
    /// The write failed and its SAVEPOINT took it back out; the transaction goes on.
    Undone(StorageError),
    /// The write failed and SQLite rolled back the whole transaction with it.
    TransactionLost(StorageError),
}

/// One write inside its own SAVEPOINT.
async fn apply_alone(conn: &mut SqliteConnection, write: &Write) -> Applied {
    let error = match apply(conn, write).await {
        Ok(answer) => return Applied::Done(answer),
        Err(error) => error,
    };
    // "no such savepoint" here means SQLite already rolled the transaction back.
    if execute(conn, "ROLLBACK TO write").await.is_ok() {
        Applied::Undone(error)
    } else {
        Applied::TransactionLost(error)
    }
}

/// Runs a query of several statements, the first two `isolated!`'s; returns the rows each
/// of the write's own statements changed. (SQLite reports, for a statement that changes no
/// rows, the count of the last one that did, so a total over all of them would lie.)
async fn changes_per_statement<'q>(
    conn: &mut SqliteConnection,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
) -> Result<Vec<u64>, StorageError> {
    use futures_util::TryStreamExt;
    // Several statements in one prepared query is SQLite-only, and deprecated in sqlx 0.9
    // as in 0.8 (`raw_sql` takes no bound parameters); every multi-statement write here
    // relies on it (one hand-off per write). Leaving it means one statement per call, and
    // measuring what that costs.
    #[allow(deprecated)]
    let mut results = query.fetch_many(&mut *conn);
    let mut changes = Vec::new();
    while let Some(result) = results.try_next().await? {
        if let sqlx::Either::Left(done) = result {
            changes.push(done.rows_affected());
        }
    }
    Ok(changes.split_off(ISOLATION_STATEMENTS.min(changes.len())))
}

async fn execute(
    conn: &mut SqliteConnection,
    sql: impl sqlx::SqlSafeStr,
) -> Result<(), StorageError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// Applies one write; on error, its SAVEPOINT undoes whatever it did.
async fn apply(conn: &mut SqliteConnection, write: &Write) -> Result<Answer, StorageError> {
    Ok(match write {
        Write::Claim(claim, _) => Answer::Claim(claim_key(conn, claim).await?),
        Write::Complete(token, order, _) => {
            Answer::Stored(store_order(conn, COMPLETE_CLAIMED, token, order).await?)
        }
        Write::CreateCompleted(fingerprint, order, _) => {
            Answer::Stored(store_order(conn, CREATE_COMPLETED, fingerprint, order).await?)
        }
        Write::Release(key, token, _) => {
            sqlx::query(isolated!(
                "DELETE FROM idempotency_records WHERE key = ?1 AND claim_token = ?2"
            ))
            .bind(key)
            .bind(token)
            .execute(&mut *conn)
            .await?;
            Answer::Unit
        }
        Write::Purge(_) => Answer::Purge(purge(conn, now_ms()).await?),
        Write::ResetLab(user_id, _) => {
            sqlx::query(isolated!(
                "DELETE FROM idempotency_records WHERE ?1 IS NULL OR user_id = ?1; \
                 DELETE FROM orders WHERE ?1 IS NULL OR user_id = ?1;"
            ))
            .bind(user_id.as_deref())
            .execute(&mut *conn)
            .await?;
            Answer::Unit
        }
        Write::ExpireKey(user_id, key, _) => {
            Answer::Expiry(expire_key(conn, user_id, key, now_ms()).await?)
        }
        Write::CountReplays(counts, _) => {
            execute(conn, isolated!("SELECT 1")).await?;
            add_replays(conn, counts).await?;
            Answer::Unit
        }
        Write::Fault(fault, _) => {
            execute(conn, isolated!("SELECT 1")).await?;
            inject(conn, fault).await?;
            Answer::Unit
        }
    })
}

/// Adds each operation's replays to its own record: the key *and* the order it created, so
/// counts for an operation that was forgotten meanwhile (a reset, an expiry, a take-over)
/// never land on a newer one under the same key.
async fn add_replays(
    conn: &mut SqliteConnection,
    counts: &ReplayCounts,
) -> Result<(), StorageError> {
    for ((key, order_id), count) in counts {
        sqlx::query(
            "UPDATE idempotency_records SET replay_count = replay_count + ?3 \
             WHERE key = ?1 AND order_id = ?2",
        )
        .bind(key)
        .bind(order_id)
        .bind(count)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Expires `user_id`'s record under `key` at `now_ms` if the plan allows it. The writer's
/// transaction is the only writer, so no claim can slip in between the look and the write.
/// An already expired record keeps its earlier expiry.
async fn expire_key(
    conn: &mut SqliteConnection,
    user_id: &str,
    key: &str,
    now_ms: i64,
) -> Result<KeyExpiry, StorageError> {
    execute(conn, isolated!("SELECT 1")).await?;
    let select =
        format!("SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = ?1 AND user_id = ?2");
    let update =
        "UPDATE idempotency_records SET expires_at_ms = min(expires_at_ms, ?2) WHERE key = ?1";
    expire_in::<sqlx::Sqlite>(conn, (select, update), user_id, key, now_ms).await
}

async fn inject(conn: &mut SqliteConnection, fault: &Fault) -> Result<(), StorageError> {
    match fault {
        Fault::SpaceLeft(pages) => {
            let used: i64 = sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(&mut *conn)
                .await?;
            let limit = used + i64::from(*pages);
            execute(
                conn,
                AssertSqlSafe(format!("PRAGMA max_page_count = {limit}")),
            )
            .await
        }
        Fault::SpaceUnlimited => execute(conn, "PRAGMA max_page_count = 4294967294").await,
        Fault::RollBackOrdersOf(None) => execute(conn, "DROP TRIGGER IF EXISTS temp.fault").await,
        Fault::RollBackOrdersOf(Some(user)) => {
            let user = user.replace('\'', "''");
            // The user id is quoted as an SQL string literal (quotes doubled) just above.
            execute(
                conn,
                AssertSqlSafe(format!(
                    "CREATE TEMP TRIGGER fault BEFORE INSERT ON main.orders \
                     WHEN NEW.user_id = '{user}' \
                     BEGIN SELECT RAISE(ROLLBACK, 'injected failure'); END"
                )),
            )
            .await
        }
    }
}

const INSERT_CLAIM: &str = "INSERT INTO idempotency_records (key, fingerprint, state, \
     claim_token, locked_until_ms, created_at_ms, expires_at_ms, user_id) \
     VALUES (?1, ?2, 'in_flight', ?3, ?4, ?5, ?6, ?7)";
const INSERT_CLAIM_IF_NEW: &str = isolated!(
    "INSERT INTO idempotency_records (key, fingerprint, state, \
     claim_token, locked_until_ms, created_at_ms, expires_at_ms, user_id) \
     VALUES (?1, ?2, 'in_flight', ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING"
);

/// Takes a record over: an expired one, or a dead claim of the same request.
const REPLACE_CLAIM: &str = "UPDATE idempotency_records SET fingerprint = ?2, \
     state = 'in_flight', claim_token = ?3, locked_until_ms = ?4, created_at_ms = ?5, \
     expires_at_ms = ?6, response_status = NULL, response_content_type = NULL, \
     response_location = NULL, response_body = NULL, order_id = NULL, replay_count = 0, \
     user_id = ?7 WHERE key = ?1";

async fn claim_key(
    conn: &mut SqliteConnection,
    claim: &NewClaim,
) -> Result<ClaimResult, StorageError> {
    let now = now_ms();
    let bind = |sql| bind_claim(sqlx::query(sql), claim, now);
    // The common case in one statement: no record yet (the plan would say `Insert`).
    if claim.source.at(now) != KeyOrigin::IssuedExpired {
        let inserted = changes_per_statement(conn, bind(INSERT_CLAIM_IF_NEW)).await?;
        if inserted == [1] {
            return Ok(ClaimResult::Won(claim.claim_token.clone()));
        }
    } else {
        execute(conn, isolated!("SELECT 1")).await?;
    }
    let existing: Option<Record> = sqlx::query_as::<_, RecordRow>(AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE key = ?1"
    )))
    .bind(claim.key.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(Record::try_from)
    .transpose()?;
    let sql = match plan_claim(existing.as_ref(), claim, now) {
        ClaimPlan::Insert => INSERT_CLAIM,
        ClaimPlan::Replace => REPLACE_CLAIM,
        ClaimPlan::Refuse => return Ok(ClaimResult::MayNotStart),
        ClaimPlan::Keep => {
            let held = existing.ok_or_else(|| StorageError::Corrupt("kept no record".into()))?;
            return Ok(ClaimResult::Held {
                record: held,
                at_ms: now,
            });
        }
    };
    bind(sql).execute(&mut *conn).await?;
    Ok(ClaimResult::Won(claim.claim_token.clone()))
}

/// The fence, in one round trip: the order is inserted, and the record turns completed, only
/// while the record still carries our claim token. Both statements test the same condition in
/// the same transaction, so they succeed together (2 rows) or not at all (0: the claim was lost).
const COMPLETE_CLAIMED: &str = isolated!(
    "\
    INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, lab_operation) \
      SELECT ?1, ?2, ?3, ?4, ?5, ?12 WHERE EXISTS (SELECT 1 FROM idempotency_records \
        WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight'); \
    UPDATE idempotency_records SET state = 'completed', claim_token = NULL, \
      locked_until_ms = NULL, response_status = ?7, response_content_type = ?8, \
      response_location = ?9, response_body = ?10, order_id = ?1, expires_at_ms = ?11 \
      WHERE key = ?5 AND claim_token = ?6 AND state = 'in_flight';"
);

/// Claim, order and answer at once, for a key with no record: the completed record is
/// inserted unless the key has one, and the order only beside the record just inserted
/// (2 rows), or neither (0: the key was taken).
const CREATE_COMPLETED: &str = isolated!(
    "\
    INSERT INTO idempotency_records (key, fingerprint, state, response_status, \
      response_content_type, response_location, response_body, order_id, created_at_ms, \
      expires_at_ms, user_id) VALUES (?5, ?6, 'completed', ?7, ?8, ?9, ?10, ?1, ?4, ?11, ?2) \
      ON CONFLICT (key) DO NOTHING; \
    INSERT INTO orders (id, user_id, items_json, created_at_ms, idempotency_key, lab_operation) \
      SELECT ?1, ?2, ?3, ?4, ?5, ?12 WHERE EXISTS (SELECT 1 FROM idempotency_records \
        WHERE key = ?5 AND order_id = ?1);"
);

/// Runs one of the two statements above; `guard` is the claim token or the fingerprint.
/// Anything but both rows or none is an error, and the write's SAVEPOINT undoes it.
async fn store_order(
    conn: &mut SqliteConnection,
    sql: &'static str,
    guard: &str,
    new: &NewOrder,
) -> Result<bool, StorageError> {
    let changed = changes_per_statement(conn, bind_order(sqlx::query(sql), guard, new)).await?;
    match changed.as_slice() {
        [1, 1] => Ok(true),
        [0, 0] => Ok(false),
        rows => Err(StorageError::Corrupt(format!(
            "storing an order changed {rows:?} rows"
        ))),
    }
}

async fn purge(conn: &mut SqliteConnection, now_ms: i64) -> Result<u64, StorageError> {
    let query = sqlx::query(isolated!(
        "DELETE FROM idempotency_records WHERE rowid IN (\
           SELECT rowid FROM idempotency_records \
           WHERE expires_at_ms <= ?1 AND (state = 'completed' OR locked_until_ms <= ?1) LIMIT ?2)"
    ))
    .bind(now_ms)
    .bind(PURGE_BATCH);
    Ok(changes_per_statement(conn, query).await?.iter().sum())
}
