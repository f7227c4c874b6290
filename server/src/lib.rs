#![recursion_limit = "256"]
//! The lab's server: the idempotent order API, its storage, and the pages.

mod assets;
pub mod config;
pub mod http;
pub mod idempotency;
pub mod issued_keys;
pub mod metrics;
mod pages;
pub mod storage;
pub mod time;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};
use crate::idempotency::{Idempotency, Policy};
use crate::issued_keys::IssuedKeys;
use crate::storage::{Storage, StorageError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("these settings cannot work: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
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
        })
    }
}

/// The whole service: the API, then the pages and static files, all with security headers.
pub fn app(state: AppState) -> Router {
    let site_root = state.site_root.clone();
    let router = http::api_routes(state)
        .merge(pages::routes(&site_root))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::map_response(http::security_headers));
    http::access_log::logged(router)
}

/// Binds the configured address, or both loopback addresses when none is given.
pub async fn bind(config: &Config) -> std::io::Result<Vec<TcpListener>> {
    let hosts = match config.host {
        Some(host) => vec![host],
        None => vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
    };
    let mut listeners = Vec::new();
    for host in hosts {
        match TcpListener::bind(SocketAddr::new(host, config.port)).await {
            Ok(listener) => listeners.push(listener),
            // A machine without IPv6 still serves on 127.0.0.1.
            Err(error) if config.host.is_none() && host.is_ipv6() && !listeners.is_empty() => {
                tracing::warn!(%error, "not listening on [::1]");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(listeners)
}

/// Serves `router` on every listener until `stop` completes; then stops accepting and
/// returns once the requests in flight have been answered.
pub async fn serve(
    listeners: Vec<TcpListener>,
    router: Router,
    stop_signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let stopping = stop.clone();
    tokio::spawn(async move {
        stop_signal.await;
        stopping.cancel();
    });
    let mut servers = tokio::task::JoinSet::new();
    for listener in listeners {
        let router = router.clone();
        let stop = stop.clone().cancelled_owned();
        servers.spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop)
                .await
        });
    }
    while let Some(result) = servers.join_next().await {
        result.map_err(std::io::Error::other)??;
    }
    Ok(())
}

/// The end of a graceful shutdown, once no new request can arrive: operations whose client
/// already left still finish and store their answers (within `grace`), and the replay
/// counters are written. `false` if something had to be left unfinished.
pub async fn finish(state: &AppState, grace: Duration) -> bool {
    let finished = state.idempotency.finish_running(grace).await;
    if !finished {
        tracing::warn!(
            ?grace,
            "operations still running at shutdown; their claims end with their leases"
        );
    }
    match state.storage.flush_replays().await {
        Ok(()) => finished,
        Err(error) => {
            tracing::warn!(%error, "replay counts not stored at shutdown");
            false
        }
    }
}

/// Deletes expired records in small batches, so the table does not grow for ever.
fn spawn_purge(storage: Storage, every: std::time::Duration) {
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
