//! Where orders and idempotency records live: one interface, two databases.
//!
//! - **SQLite** (the default, `sqlite://…`): one file, one server process.
//! - **PostgreSQL** (`postgres://…`): several server processes share one key space.
//!
//! The idempotency module talks only to [`Storage`] and never learns which database is
//! behind it; both keep every fact that decides idempotency (claims, leases, fencing tokens,
//! expiry) in the database. All SQL is in the two `statements.rs` and in `migrations/`.
//!
//! Which file holds what:
//! - `mod.rs` (this one): [`Storage`], which hands each call to the database behind it.
//! - `error.rs`: [`StorageError`]. `change.rs`: [`Change`], the announcement that a learner's
//!   orders or records changed.
//! - `rows.rs`: rows as both databases return them, their column lists, and the parameters
//!   both back ends bind alike. `sql.rs`: `sql!`, a statement made of constant pieces.
//! - `replays.rs`: the replay counters, added up in memory and flushed now and then.
//! - `clock.rs`: the database's clock as this process reads it, and its periodic check.
//! - `sqlite/`: the back end (`mod.rs`), its group-commit writer (`writer.rs`), the writes it
//!   runs (`jobs.rs`) and every statement (`statements.rs`).
//! - `postgres/`: the back end (`mod.rs`), change announcements between processes
//!   (`changes.rs`) and every statement (`statements.rs`).

mod change;
mod clock;
mod error;
mod postgres;
mod replays;
mod rows;
mod sql;
mod sqlite;

use std::time::Duration;

use app::api::Order;
use tokio::sync::broadcast;

use crate::idempotency::record::{
    ClaimResult, ClaimToken, CreateResult, Fingerprint, IdempotencyKey, KeyExpiry, KeySource,
    NewClaim, NewOrder, Record,
};
pub use change::Change;
use change::Changes;
use clock::DatabaseClock;
pub use error::StorageError;
use postgres::PostgresStorage;
use replays::{ReplayCounts, ReplayStore, Replays};
pub use sqlite::Fault;
use sqlite::SqliteStorage;

/// Every statement the server runs on SQLite, by name (for the test that prepares them all).
pub const SQLITE_STATEMENTS: &[(&str, &str)] = sqlite::STATEMENTS;
/// Every statement the server runs on PostgreSQL, by name.
pub const POSTGRES_STATEMENTS: &[(&str, &str)] = postgres::STATEMENTS;

/// How often a PostgreSQL process measures its clock against the database's.
const CLOCK_CHECK: Duration = Duration::from_secs(5);

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
    /// The database's clock: this process's on SQLite; measured on PostgreSQL, so that every
    /// process reads time as the database does.
    clock: DatabaseClock,
    replays: Replays,
    changes: Changes,
}

impl Storage {
    /// Opens the database `url` names (`sqlite://…` or `postgres://…`), creating and migrating
    /// it as needed.
    /// Replay counts are written every `replay_flush`.
    pub async fn open(url: &str, replay_flush: Duration) -> Result<Self, StorageError> {
        let changes = Changes::new();
        let backend = if is_postgres(url) {
            Backend::Postgres(PostgresStorage::open(url, changes.clone()).await?)
        } else {
            Backend::Sqlite(SqliteStorage::open(url, changes.clone()).await?)
        };
        let storage = Self {
            backend,
            clock: DatabaseClock::default(),
            replays: Replays::default(),
            changes,
        };
        if let Backend::Postgres(db) = &storage.backend {
            storage.clock.set_offset(db.clock_offset().await?);
            let db = db.clone();
            storage.clock.spawn_check(CLOCK_CHECK, move || {
                let db = db.clone();
                async move { db.clock_offset().await }
            });
        }
        storage
            .replays
            .spawn_flush(replay_flush, storage.backend.clone());
        Ok(storage)
    }

    /// Which database this is, as `/health` names it.
    pub fn kind(&self) -> app::api::Backend {
        match self.backend {
            Backend::Sqlite(_) => app::api::Backend::Sqlite,
            Backend::Postgres(_) => app::api::Backend::Postgres,
        }
    }

    /// Now, in ms since the Unix epoch, by the database's clock. Writes that decide (a claim,
    /// a take-over, the purge) read the database's clock itself, in their own transaction.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
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

    /// Announcements that a learner's orders or idempotency records changed, each sent once
    /// its write has committed; on PostgreSQL, any process's write. A receiver that falls
    /// behind hears `Lagged`: then anything may have changed.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
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
        if let Some(order_id) = order_id {
            self.replays.count(key.as_str(), order_id);
        }
    }

    /// Writes the replays counted so far and waits until they are stored (at shutdown),
    /// with any flush already under way.
    pub async fn flush_replays(&self) -> Result<(), StorageError> {
        self.replays.flush(&self.backend).await
    }
}

impl ReplayStore for Backend {
    async fn add(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        match self {
            // Through the writer's queue even when there is nothing new, so counts queued
            // earlier are committed first.
            Backend::Sqlite(db) => db.add_replays(counts).await,
            Backend::Postgres(_) if counts.is_empty() => Ok(()),
            Backend::Postgres(db) => db.add_replays(counts).await,
        }
    }

    async fn add_in_background(&self, counts: ReplayCounts) -> Result<(), StorageError> {
        match self {
            // Queued without waiting: a full queue drops them rather than slow anything.
            Backend::Sqlite(db) => db.queue_replays(counts),
            Backend::Postgres(db) => db.add_replays(counts).await,
        }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
