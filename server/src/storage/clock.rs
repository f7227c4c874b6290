//! The database's clock, as this process reads it. Every process that shares a database
//! decides leases and expiry by the database's clock, whatever its own says: the offset
//! between the two is measured at start and then every few seconds.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::storage::error::StorageError;

/// The database's clock minus this process's, in ms: 0 on SQLite (one process, one clock).
#[derive(Clone, Default)]
pub(super) struct DatabaseClock {
    offset_ms: Arc<AtomicI64>,
}

impl DatabaseClock {
    /// Now, in ms since the Unix epoch, by the database's clock.
    pub(super) fn now_ms(&self) -> i64 {
        crate::time::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    pub(super) fn set_offset(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// Measures the offset again every `every` with `measure`, until the storage is dropped.
    /// A failed measurement keeps the last one.
    pub(super) fn spawn_check<F, Measured>(&self, every: Duration, measure: F)
    where
        F: Fn() -> Measured + Send + 'static,
        Measured: Future<Output = Result<i64, StorageError>> + Send,
    {
        let offset_ms = Arc::downgrade(&self.offset_ms);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(offset_ms) = offset_ms.upgrade() else {
                    return;
                };
                match measure().await {
                    Ok(measured) => offset_ms.store(measured, Ordering::Relaxed),
                    Err(error) => tracing::warn!(%error, "could not read the database's clock"),
                }
            }
        });
    }
}

/// The database's clock minus this process's, from `read_database_ms` (one read of the
/// database's now), taken as the midpoint of the round trip. The caller should read on a
/// connection already open: connecting, with its TLS handshake, would widen the error.
pub(super) async fn offset_around(
    read_database_ms: impl Future<Output = Result<i64, StorageError>>,
) -> Result<i64, StorageError> {
    let before = crate::time::now_ms();
    // A future does nothing until awaited: the read starts after `before`.
    let database_ms = read_database_ms.await?;
    let after = crate::time::now_ms();
    Ok(database_ms - (before + after) / 2)
}
