//! Replay counters: how often each stored answer was sent again, for the page's table.
//!
//! A display counter is not worth a write per replay: replays are added up here and flushed
//! every so often (and at shutdown); a crash loses at most that much. It only counts; nothing
//! here decides whether a request runs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::storage::error::StorageError;

/// Replays not yet written, per operation: the key and the order its answer created. A key
/// can name a new operation once its record is forgotten (a reset, an expiry); the order id
/// keeps an old operation's replays off the new one.
pub(super) type ReplayCounts = HashMap<(String, String), i64>;

/// Where counts are written: the back end.
pub(super) trait ReplayStore: Send + Sync + 'static {
    /// Adds `counts` to their records and waits until that is stored.
    fn add(&self, counts: ReplayCounts) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Adds `counts` from the background flush, which must never slow a request: a back end
    /// whose writes queue may drop them instead of waiting.
    fn add_in_background(
        &self,
        counts: ReplayCounts,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// The counts so far, shared by every clone of the storage.
#[derive(Clone, Default)]
pub(super) struct Replays {
    counts: Arc<Mutex<ReplayCounts>>,
    /// Held while counts are taken and written, so the flush at shutdown waits for one that
    /// is under way and no count is taken without being written.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl Replays {
    /// Counts one replay of the operation that created `order_id` under `key`.
    pub(super) fn count(&self, key: &str, order_id: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts
            .entry((key.to_owned(), order_id.to_owned()))
            .or_default() += 1;
    }

    /// Writes the counts so far to `store` and waits until they are stored, with any flush
    /// already under way.
    pub(super) async fn flush(&self, store: &impl ReplayStore) -> Result<(), StorageError> {
        let _flushing = self.flushing.lock().await;
        store.add(take(&self.counts)).await
    }

    /// Writes the counts to `store` every `every`, until the storage is dropped.
    pub(super) fn spawn_flush(&self, every: Duration, store: impl ReplayStore) {
        let counts = Arc::downgrade(&self.counts);
        let flushing = self.flushing.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                let Some(counts) = counts.upgrade() else {
                    return;
                };
                let _flushing = flushing.lock().await;
                let counts = take(&counts);
                if counts.is_empty() {
                    continue;
                }
                if let Err(error) = store.add_in_background(counts).await {
                    tracing::warn!(%error, "replay counts dropped");
                }
            }
        });
    }
}

fn take(counts: &Mutex<ReplayCounts>) -> ReplayCounts {
    std::mem::take(&mut *counts.lock().unwrap_or_else(|e| e.into_inner()))
}
