//! The server as one value: built (state opened, ports bound), asked where it listens, then
//! run until a stop signal. `main` and the API tests start it the same way.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::state::{AppState, StartError};
use crate::{http, metrics, pages};

/// A server that is ready: its database open, its addresses bound, nothing served yet.
pub struct Application {
    state: AppState,
    listeners: Vec<TcpListener>,
}

impl Application {
    /// Opens the state (see `AppState::open`) and binds the configured address, or both
    /// loopback addresses when none is given. Port 0 picks a free port.
    pub async fn build(config: &Config) -> Result<Self, StartError> {
        let state = AppState::open(config).await?;
        let listeners = bind(config).await?;
        Ok(Self { state, listeners })
    }

    /// Every address it listens on.
    pub fn addresses(&self) -> std::io::Result<Vec<SocketAddr>> {
        self.listeners.iter().map(TcpListener::local_addr).collect()
    }

    /// The port it listens on (the same on every address).
    pub fn port(&self) -> std::io::Result<u16> {
        self.listeners[0].local_addr().map(|address| address.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `stop` completes; then stops accepting, answers the requests in flight,
    /// finishes the operations whose clients left and stores the counters. All of it within
    /// one lease: by then another process could take a dead claim over anyway.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stopped_tx, stopped) = tokio::sync::oneshot::channel();
        let signal = async move {
            stop.await;
            let _ = stopped_tx.send(());
        };
        let stopping = self.state.stopping.clone();
        let serving = serve(self.listeners, app(self.state.clone()), signal, stopping);
        tokio::pin!(serving);
        let deadline = tokio::select! {
            served = &mut serving => return served,
            _ = stopped => tokio::time::Instant::now() + self.state.lease,
        };
        tracing::info!("stopping: answering the requests in flight");
        if tokio::time::timeout_at(deadline, &mut serving)
            .await
            .is_err()
        {
            tracing::warn!("requests still open after one lease; closing them");
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if self.state.finish(left).await {
            tracing::info!("stopped: every operation finished and every count stored");
        }
        Ok(())
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

async fn bind(config: &Config) -> std::io::Result<Vec<TcpListener>> {
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

/// Serves `router` on every listener until `stop_signal` completes; then cancels `stop` (so
/// the streams end too), stops accepting and returns once the requests in flight have been
/// answered.
async fn serve(
    listeners: Vec<TcpListener>,
    router: Router,
    stop_signal: impl Future<Output = ()> + Send + 'static,
    stop: CancellationToken,
) -> std::io::Result<()> {
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
