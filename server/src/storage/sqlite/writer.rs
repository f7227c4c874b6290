//! SQLite's single writer: one task, one connection, every write.
//!
//! It takes every write that is waiting, runs them in a single `BEGIN IMMEDIATE` transaction,
//! each inside its own SAVEPOINT (a write that fails is undone alone, so one failure does not
//! sink the others), commits once, and only then answers each caller and announces what
//! changed: one fsync carries many orders (group commit), and no write ever meets
//! `SQLITE_BUSY` from another connection of ours. If SQLite rolls back the whole transaction
//! instead (it may, on a full disk or an I/O error), the write that failed is answered with its
//! error and the writes undone with it start a new transaction; nothing runs in autocommit.
//!
//! This file knows nothing of what the writes are (see `jobs.rs`). Each is a [`Job`] whose
//! answer has its own type, and travels with a reply channel of that type: the writer cannot
//! give one write another's answer, nor any answer before the COMMIT.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::sqlite::SqliteConnection;
use tokio::sync::{mpsc, oneshot};

use super::statements::{
    BEGIN_BATCH, COMMIT, ROLLBACK, ROLLBACK_TO_SAVEPOINT, SAVEPOINT_STATEMENTS,
};
use crate::storage::change::{Change, Changes};
use crate::storage::error::StorageError;

/// How many writes one transaction takes at most.
const MAX_BATCH: usize = 128;
/// How many writes may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;

/// One kind of write, and the answer it gives.
pub(super) trait Job: Send + Sync + 'static {
    type Output: Send + 'static;

    /// Runs the write in the writer's open transaction. Its first call to SQLite starts with
    /// `NEW_SAVEPOINT` (an `isolated!` statement): on error, that savepoint undoes it alone.
    fn run(
        &self,
        conn: &mut SqliteConnection,
    ) -> impl Future<Output = Result<Self::Output, StorageError>> + Send;

    /// Whose orders or records the write changed, now that it has committed with `output`.
    fn change(&self, output: &Self::Output) -> Option<Change>;
}

/// The handle every write goes through; clones share the one writer task.
#[derive(Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Box<dyn PendingWrite>>,
    /// Transactions begun: a write's cost, for tests and the bench.
    transactions: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer task on `conn`; it announces on `changes` what each commit changed.
    pub(super) fn start(conn: SqliteConnection, changes: Changes) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE_DEPTH);
        let transactions = Arc::new(AtomicU64::new(0));
        tokio::spawn(run_writer(conn, waiting, transactions.clone(), changes));
        Self {
            queue,
            transactions,
        }
    }

    /// Queues `job` (waiting for room) and waits for its answer, which comes after COMMIT.
    pub(super) async fn write<J: Job>(&self, job: J) -> Result<J::Output, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Queued { job, reply }))
            .await
            .map_err(|_| StorageError::WriterGone)?;
        answer.await.map_err(|_| StorageError::WriterGone)?
    }

    /// Queues `job` without waiting for room or for its answer: a full queue refuses it.
    pub(super) fn write_in_background<J: Job>(&self, job: J) -> Result<(), StorageError> {
        let (reply, _nobody_waits) = oneshot::channel();
        self.queue
            .try_send(Box::new(Queued { job, reply }))
            .map_err(|_| StorageError::WriterGone)
    }

    pub(super) fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }
}

type Reply<T> = oneshot::Sender<Result<T, StorageError>>;
type Running<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// A job in the queue, with the channel its answer goes back on.
struct Queued<J: Job> {
    job: J,
    reply: Reply<J::Output>,
}

/// A job that has run in the open transaction, holding its answer until the commit.
struct Applied<J: Job> {
    queued: Queued<J>,
    output: J::Output,
}

/// A write that failed and what it failed with; it is answered once the writer has seen
/// whether the transaction survived.
struct Failed {
    write: Box<dyn PendingWrite>,
    error: StorageError,
}

/// What the writer sees of a queued job, whatever its kind.
trait PendingWrite: Send {
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Running<'c, Result<Box<dyn AppliedWrite>, Failed>>;
    /// Answers with `error`: nothing of the write is kept.
    fn fail(self: Box<Self>, error: StorageError);
}

/// What the writer sees of a job that has run.
trait AppliedWrite: Send {
    /// After COMMIT: the answer to the caller, the change to whoever listens.
    fn commit(self: Box<Self>, changes: &Changes);
    /// Undone with its transaction through no fault of its own: it waits to run again.
    fn undo(self: Box<Self>) -> Box<dyn PendingWrite>;
    fn fail(self: Box<Self>, error: StorageError);
}

impl<J: Job> PendingWrite for Queued<J> {
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Running<'c, Result<Box<dyn AppliedWrite>, Failed>> {
        Box::pin(async move {
            match self.job.run(conn).await {
                Ok(output) => Ok(Box::new(Applied {
                    queued: *self,
                    output,
                }) as Box<dyn AppliedWrite>),
                Err(error) => Err(Failed { write: self, error }),
            }
        })
    }

    fn fail(self: Box<Self>, error: StorageError) {
        // The caller may have gone (a client that hung up); nothing waits for this then.
        let _ = self.reply.send(Err(error));
    }
}

impl<J: Job> AppliedWrite for Applied<J> {
    fn commit(self: Box<Self>, changes: &Changes) {
        let change = self.queued.job.change(&self.output);
        // A caller that has gone does not undo the write: it stands, and is announced.
        let _ = self.queued.reply.send(Ok(self.output));
        if let Some(change) = change {
            changes.announce(change);
        }
    }

    fn undo(self: Box<Self>) -> Box<dyn PendingWrite> {
        Box::new(self.queued)
    }

    fn fail(self: Box<Self>, error: StorageError) {
        Box::new(self.queued).fail(error);
    }
}

async fn run_writer(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<Box<dyn PendingWrite>>,
    transactions: Arc<AtomicU64>,
    changes: Changes,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Take whatever is waiting, never wait for more: a lone write commits at once.
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut writes: VecDeque<_> = batch.drain(..).collect();
        // Writes undone with a transaction SQLite rolled back go again in a new one.
        while !writes.is_empty() {
            transactions.fetch_add(1, Ordering::Relaxed);
            metrics::histogram!(crate::metrics::BATCH_SIZE).record(writes.len() as f64);
            let started = std::time::Instant::now();
            commit_batch(&mut conn, &mut writes, &changes).await;
            metrics::histogram!(crate::metrics::COMMIT_SECONDS)
                .record(started.elapsed().as_secs_f64());
        }
    }
}

/// Runs the writes in `writes` in one transaction and commits it, answering each; none is
/// answered with a result before the COMMIT (and its fsync) has returned.
///
/// A write that fails is undone by its SAVEPOINT and answered with its error while the others
/// go on. If SQLite rolled back the whole transaction instead (a full disk, an I/O error), the
/// writes done before it, undone through no fault of their own, are put back at the front of
/// `writes` for a new transaction. So nothing runs outside a transaction, nothing is half
/// applied, and nobody hears "done" for a write that was undone.
async fn commit_batch(
    conn: &mut SqliteConnection,
    writes: &mut VecDeque<Box<dyn PendingWrite>>,
    changes: &Changes,
) {
    if let Err(error) = begin(conn).await {
        for write in writes.drain(..) {
            write.fail(error.clone());
        }
        return;
    }
    let mut applied = Vec::with_capacity(writes.len());
    while let Some(write) = writes.pop_front() {
        let Failed { write, error } = match write.run(conn).await {
            Ok(done) => {
                applied.push(done);
                continue;
            }
            Err(failed) => failed,
        };
        // "no such savepoint" here means SQLite already rolled the transaction back.
        let transaction_lost = execute(conn, ROLLBACK_TO_SAVEPOINT).await.is_err();
        write.fail(error);
        if transaction_lost {
            let _ = execute(conn, ROLLBACK).await;
            for done in applied.into_iter().rev() {
                writes.push_front(done.undo());
            }
            return;
        }
    }
    if let Err(error) = execute(conn, COMMIT).await {
        let _ = execute(conn, ROLLBACK).await;
        for done in applied {
            done.fail(error.clone());
        }
        return;
    }
    for done in applied {
        done.commit(changes);
    }
}

/// `BEGIN IMMEDIATE`; if a transaction was somehow left open (a failed ROLLBACK), it is
/// rolled back first, so one bad moment cannot stop every later write.
async fn begin(conn: &mut SqliteConnection) -> Result<(), StorageError> {
    if execute(conn, BEGIN_BATCH).await.is_ok() {
        return Ok(());
    }
    let _ = execute(conn, ROLLBACK).await;
    execute(conn, BEGIN_BATCH).await
}

pub(super) async fn execute(
    conn: &mut SqliteConnection,
    sql: impl sqlx::SqlSafeStr,
) -> Result<(), StorageError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// Runs an `isolated!` query; returns the rows each of the write's own statements changed.
/// (SQLite reports, for a statement that changes no rows, the count of the last one that did,
/// so a total over all of them would lie.)
pub(super) async fn changes_per_statement<'q>(
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
    Ok(changes.split_off(SAVEPOINT_STATEMENTS.min(changes.len())))
}
