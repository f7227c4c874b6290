//! What every handler may reach, and opening it: the settings checked, the database open and
//! migrated, the issued-key secret loaded, the purge started.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigError};
use crate::idempotency::{Idempotency, Policy};
use crate::issued_keys::IssuedKeys;
use crate::storage::{Storage, StorageError};
use crate::{metrics, time};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("these settings cannot work: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The address to listen on is taken, or not this machine's.
    #[error(transparent)]
    Listen(#[from] std::io::Error),
}

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub idempotency: Idempotency,
    pub issued_keys: Arc<IssuedKeys>,
    pub lab_controls: bool,
    /// The longest lab delay this server accepts.
    pub max_lab_delay_ms: u64,
    pub site_root: String,
    /// The expiry policy, as `GET /health` tells it to the page.
    pub record_ttl: Duration,
    pub issued_key_ttl: Duration,
    pub lease: Duration,
    /// Cancelled when the server begins to stop: endless answers (the `/events` streams) end
    /// then, so the requests in flight can be waited for.
    pub stopping: CancellationToken,
}

impl AppState {
    /// Checks the settings, opens the database (migrating it) and starts its background work.
    pub async fn open(config: &Config) -> Result<Self, StartError> {
        config.check()?;
        metrics::registry();
        if config.test_clock_skew_ms != 0 {
            time::set_skew_ms(config.test_clock_skew_ms);
        }
        let storage = Storage::open(&config.database_url, config.replay_flush_interval).await?;
        let policy = Policy {
            record_ttl: config.record_ttl,
            lease: config.lease,
        };
        let issued_keys = IssuedKeys::load(&storage, config.issued_key_ttl).await?;
        spawn_purge(storage.clone(), config.purge_interval);
        Ok(Self {
            idempotency: Idempotency::new(storage.clone(), policy),
            storage,
            issued_keys: Arc::new(issued_keys),
            lab_controls: config.lab_controls,
            max_lab_delay_ms: config.max_lab_delay_ms,
            site_root: config.site_root.clone(),
            record_ttl: config.record_ttl,
            issued_key_ttl: config.issued_key_ttl,
            lease: config.lease,
            stopping: CancellationToken::new(),
        })
    }

    /// The end of a graceful shutdown, once no new request can arrive: operations whose client
    /// already left still finish and store their answers (within `grace`), and the replay
    /// counters are written. `false` if something had to be left unfinished.
    pub async fn finish(&self, grace: Duration) -> bool {
        let finished = self.idempotency.finish_running(grace).await;
        if !finished {
            tracing::warn!(
                ?grace,
                "operations still running at shutdown; their claims end with their leases"
            );
        }
        match self.storage.flush_replays().await {
            Ok(()) => finished,
            Err(error) => {
                tracing::warn!(%error, "replay counts not stored at shutdown");
                false
            }
        }
    }
}

/// Deletes expired records in small batches, so the table does not grow for ever.
fn spawn_purge(storage: Storage, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            loop {
                match storage.purge_expired().await {
                    Ok(0) => break,
                    Ok(purged) => {
                        ::metrics::counter!(metrics::PURGED).increment(purged);
                        tokio::task::yield_now().await
                    }
                    Err(error) => {
                        tracing::warn!(%error, "purge failed; next round will retry");
                        break;
                    }
                }
            }
        }
    });
}
