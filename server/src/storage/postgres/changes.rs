//! Change announcements between processes. Once a write has committed, its process announces
//! it with `pg_notify`; every process keeps one connection that LISTENs and forwards what it
//! hears, its own announcements included, to its [`Changes`]. If that connection drops, it
//! connects again by itself, and says that anything may have changed meanwhile.
//!
//! Why not `pg_notify` inside the write's own transaction, so that the commit delivers it?
//! PostgreSQL serialises the commits of all transactions that notify: it holds one lock from
//! just before the commit until after its WAL flush, so concurrent orders could no longer
//! share a flush (in the bench, fresh-key orders on one process fell from about 2,200/s to
//! under 500/s). So the announcements go just after the commit, batched, on a connection of
//! their own that does not wait for their flush (nothing of them is kept). The price: a
//! process that dies between a commit and its announcement leaves that change unannounced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::statements::{CHANGES_CHANNEL, NOTIFY_CHANGES};
use crate::storage::change::{Change, Changes};
use crate::storage::error::StorageError;

/// How many announcements may wait to be sent; beyond that they are folded into one "anyone".
const WAITING: usize = 1024;
/// How long to wait before connecting again after the listening connection failed.
const RETRY: Duration = Duration::from_secs(1);

/// This process's end of the announcements: it sends its own and hears everyone's, while
/// any clone lives.
#[derive(Clone)]
pub(super) struct Announcements {
    waiting: mpsc::Sender<Change>,
    /// Set when an announcement could not wait (a full queue, a failed send): the next batch
    /// then says that anything may have changed.
    missed: Arc<AtomicBool>,
    _tasks: Arc<[AbortOnDropHandle<()>; 2]>,
}

impl Announcements {
    /// Starts listening (it listens when this returns, so no later announcement goes unheard)
    /// and forwarding to `changes`, and the sender of this process's announcements.
    pub(super) async fn start(
        options: &PgConnectOptions,
        changes: Changes,
    ) -> Result<Self, StorageError> {
        // Pools of one, of their own: they take no connection from the requests'.
        let pool = |options: PgConnectOptions| {
            PgPoolOptions::new()
                .max_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_lazy_with(options)
        };
        let listening = pool(options.clone());
        let listener = subscribe(&listening).await?;
        let sending = pool(options.clone().options([("synchronous_commit", "off")]));
        let (waiting, queue) = mpsc::channel(WAITING);
        let missed = Arc::new(AtomicBool::new(false));
        let tasks = [
            tokio::spawn(forward(listener, listening, changes)),
            tokio::spawn(send(queue, missed.clone(), sending)),
        ];
        Ok(Self {
            waiting,
            missed,
            _tasks: Arc::new(tasks.map(AbortOnDropHandle::new)),
        })
    }

    /// Announces `change`, which has committed, to every process; never waits.
    pub(super) fn announce(&self, change: Change) {
        if self.waiting.try_send(change).is_err() {
            self.missed.store(true, Ordering::Relaxed);
        }
    }
}

/// A change as `pg_notify` carries it.
fn payload(change: Change) -> String {
    change.user_id.unwrap_or_default()
}

fn heard(payload: &str) -> Change {
    match payload {
        "" => Change::anyone(),
        user_id => Change::learner(user_id),
    }
}

/// Sends whatever announcements are waiting, each once, in one statement.
async fn send(mut queue: mpsc::Receiver<Change>, missed: Arc<AtomicBool>, pool: PgPool) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, WAITING).await > 0 {
        let mut payloads: Vec<String> = batch.drain(..).map(payload).collect();
        if missed.swap(false, Ordering::Relaxed) {
            payloads.push(payload(Change::anyone()));
        }
        payloads.sort_unstable();
        payloads.dedup();
        let sent = sqlx::query(NOTIFY_CHANGES)
            .bind(payloads)
            .execute(&pool)
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, "changes not announced to the other processes");
            missed.store(true, Ordering::Relaxed);
        }
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, StorageError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANGES_CHANNEL).await?;
    Ok(listener)
}

/// Forwards every announcement heard to `changes`, listening again whenever it must.
async fn forward(mut listener: PgListener, pool: PgPool, changes: Changes) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => changes.announce(heard(notification.payload())),
            // The connection dropped and the listener made a new one: whatever was announced
            // in between is lost, so anything may have changed.
            Ok(None) => changes.announce(Change::anyone()),
            Err(error) => {
                tracing::warn!(%error, "not hearing other processes' changes; listening again");
                drop(listener);
                listener = loop {
                    tokio::time::sleep(RETRY).await;
                    match subscribe(&pool).await {
                        Ok(listener) => break listener,
                        Err(error) => tracing::warn!(%error, "could not listen for changes"),
                    }
                };
                changes.announce(Change::anyone());
            }
        }
    }
}
