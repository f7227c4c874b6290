//! Every write SQLite's writer runs (see `writer.rs`), each with the answer it gives and the
//! change it announces. Each runs inside the writer's transaction, and its first call opens
//! its own savepoint (an `isolated!` statement, or `NEW_SAVEPOINT` alone before a read).

use sqlx::sqlite::SqliteConnection;
use sqlx::AssertSqlSafe;

use super::statements::{
    fault_trigger, max_page_count, ADD_REPLAYS, CLAIM_IF_NEW, COMPLETE_CLAIMED, CREATE_COMPLETED,
    DROP_CLAIM, DROP_FAULT_TRIGGER, EXPIRE_RECORD, INSERT_CLAIM, NEW_SAVEPOINT, PAGE_COUNT, PURGE,
    REPLACE_CLAIM, RESET_LAB, SELECT_RECORD, SELECT_RECORD_OF_LEARNER, SPACE_UNLIMITED,
};
use super::writer::{changes_per_statement, execute, Job};
use crate::idempotency::decision::{plan_claim, ClaimPlan};
use crate::idempotency::record::{ClaimResult, KeyExpiry, KeyOrigin, NewClaim, NewOrder, Record};
use crate::storage::change::Change;
use crate::storage::error::StorageError;
use crate::storage::replays::ReplayCounts;
use crate::storage::rows::{bind_claim, bind_order, expire_in, RecordRow};
use crate::time::now_ms;

/// How many expired records one purge deletes, to keep each write transaction short.
const PURGE_BATCH: i64 = 500;

/// Claims a key if [`plan_claim`] allows it, atomically with reading what is there.
pub(super) struct Claim(pub NewClaim);

impl Job for Claim {
    type Output = ClaimResult;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<ClaimResult, StorageError> {
        let claim = &self.0;
        let now = now_ms();
        let bind = |sql| bind_claim(sqlx::query(sql), claim, now);
        // The common case in one statement: no record yet (the plan would say `Insert`).
        if claim.source.at(now) != KeyOrigin::IssuedExpired {
            let inserted = changes_per_statement(conn, bind(CLAIM_IF_NEW)).await?;
            if inserted == [1] {
                return Ok(ClaimResult::Won(claim.claim_token.clone()));
            }
        } else {
            execute(conn, NEW_SAVEPOINT).await?;
        }
        let existing: Option<Record> = sqlx::query_as::<_, RecordRow>(SELECT_RECORD)
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
                let held =
                    existing.ok_or_else(|| StorageError::Corrupt("kept no record".into()))?;
                return Ok(ClaimResult::Held {
                    record: held,
                    at_ms: now,
                });
            }
        };
        bind(sql).execute(&mut *conn).await?;
        Ok(ClaimResult::Won(claim.claim_token.clone()))
    }

    fn change(&self, claimed: &ClaimResult) -> Option<Change> {
        matches!(claimed, ClaimResult::Won(_)).then(|| Change::learner(&self.0.user_id))
    }
}

/// Commits the order and its answer, fenced on the claim token; `false`: the claim was lost.
pub(super) struct Complete {
    pub claim_token: String,
    pub order: NewOrder,
}

impl Job for Complete {
    type Output = bool;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<bool, StorageError> {
        store_order(conn, COMPLETE_CLAIMED, &self.claim_token, &self.order).await
    }

    fn change(&self, stored: &bool) -> Option<Change> {
        stored.then(|| Change::learner(&self.order.order.user_id))
    }
}

/// Commits the order with its record already completed, if the key has none; `false`: taken.
pub(super) struct CreateCompleted {
    pub fingerprint: String,
    pub order: NewOrder,
}

impl Job for CreateCompleted {
    type Output = bool;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<bool, StorageError> {
        store_order(conn, CREATE_COMPLETED, &self.fingerprint, &self.order).await
    }

    fn change(&self, stored: &bool) -> Option<Change> {
        stored.then(|| Change::learner(&self.order.order.user_id))
    }
}

/// Runs `COMPLETE_CLAIMED` or `CREATE_COMPLETED`; `guard` is the claim token or the
/// fingerprint. Anything but both rows or none is an error, and the write's SAVEPOINT undoes it.
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

/// Drops a claim we hold; answers whose it was (`None`: it was no longer ours).
pub(super) struct Release {
    pub key: String,
    pub claim_token: String,
}

impl Job for Release {
    type Output = Option<String>;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<Option<String>, StorageError> {
        let learner = sqlx::query_scalar(DROP_CLAIM)
            .bind(&self.key)
            .bind(&self.claim_token)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(learner)
    }

    fn change(&self, learner: &Option<String>) -> Option<Change> {
        learner.as_deref().map(Change::learner)
    }
}

/// Deletes one batch of records past their expiry; answers how many.
pub(super) struct Purge;

impl Job for Purge {
    type Output = u64;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<u64, StorageError> {
        let query = sqlx::query(PURGE).bind(now_ms()).bind(PURGE_BATCH);
        Ok(changes_per_statement(conn, query).await?.iter().sum())
    }

    fn change(&self, purged: &u64) -> Option<Change> {
        (*purged > 0).then(Change::anyone)
    }
}

/// Forgets one learner's orders and records (`Some`), or everyone's; answers how many rows.
pub(super) struct ResetLab(pub Option<String>);

impl Job for ResetLab {
    type Output = u64;

    async fn run(&self, conn: &mut SqliteConnection) -> Result<u64, StorageError> {
        let query = sqlx::query(RESET_LAB).bind(self.0.as_deref());
        Ok(changes_per_statement(conn, query).await?.iter().sum())
    }

    fn change(&self, deleted: &u64) -> Option<Change> {
        (*deleted > 0).then(|| Change {
            user_id: self.0.clone(),
        })
    }
}

/// The lab's "expire this key now", for the learner's record under the key.
pub(super) struct ExpireKey {
    pub user_id: String,
    pub key: String,
}

impl Job for ExpireKey {
    type Output = KeyExpiry;

    /// The writer's transaction is the only writer, so no claim can slip in between the look
    /// and the write. An already expired record keeps its earlier expiry.
    async fn run(&self, conn: &mut SqliteConnection) -> Result<KeyExpiry, StorageError> {
        execute(conn, NEW_SAVEPOINT).await?;
        let statements = (SELECT_RECORD_OF_LEARNER, EXPIRE_RECORD);
        expire_in::<sqlx::Sqlite>(conn, statements, &self.user_id, &self.key, now_ms()).await
    }

    fn change(&self, expiry: &KeyExpiry) -> Option<Change> {
        (*expiry == KeyExpiry::Expired).then(|| Change::learner(&self.user_id))
    }
}

/// Adds each operation's replays to its own record: the key *and* the order it created, so
/// counts for an operation that was forgotten meanwhile (a reset, an expiry, a take-over)
/// never land on a newer one under the same key.
pub(super) struct CountReplays(pub ReplayCounts);

impl Job for CountReplays {
    type Output = ();

    async fn run(&self, conn: &mut SqliteConnection) -> Result<(), StorageError> {
        execute(conn, NEW_SAVEPOINT).await?;
        for ((key, order_id), count) in &self.0 {
            sqlx::query(ADD_REPLAYS)
                .bind(key)
                .bind(order_id)
                .bind(count)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The counts are for display, and written every half second: not worth a refresh.
    fn change(&self, _: &()) -> Option<Change> {
        None
    }
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

impl Job for Fault {
    type Output = ();

    async fn run(&self, conn: &mut SqliteConnection) -> Result<(), StorageError> {
        execute(conn, NEW_SAVEPOINT).await?;
        match self {
            Fault::SpaceLeft(pages) => {
                let used: i64 = sqlx::query_scalar(PAGE_COUNT).fetch_one(&mut *conn).await?;
                let limit = used + i64::from(*pages);
                // A number, written in by `max_page_count`.
                execute(conn, AssertSqlSafe(max_page_count(limit))).await
            }
            Fault::SpaceUnlimited => execute(conn, SPACE_UNLIMITED).await,
            Fault::RollBackOrdersOf(None) => execute(conn, DROP_FAULT_TRIGGER).await,
            // The user is quoted as an SQL string literal by `fault_trigger`.
            Fault::RollBackOrdersOf(Some(user)) => {
                execute(conn, AssertSqlSafe(fault_trigger(user))).await
            }
        }
    }

    fn change(&self, _: &()) -> Option<Change> {
        None
    }
}
