use clap::Parser;
use server::config::{Config, LogFormat};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // A sentence for the operator, not a debug dump.
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::parse();
    init_logs(config.log_format);
    let state = server::AppState::open(&config).await?;
    if config.wipe_lab {
        state.storage.reset_lab(None).await?;
        println!("wiped every learner's orders and idempotency records");
        return Ok(());
    }
    let listeners = server::bind(&config).await?;
    // Watched before the port is announced: a SIGTERM right after it still stops us cleanly.
    let stop = stop_signal()?;
    for listener in &listeners {
        // Tests and scripts read this line to learn the port.
        println!("listening on http://{}", listener.local_addr()?);
    }
    if config.host.is_none() {
        println!(
            "open http://localhost:{} in a browser",
            listeners[0].local_addr()?.port()
        );
    }
    // SIGTERM or Ctrl-C: stop accepting, answer the requests in flight, finish the operations
    // whose clients left, store the counters, exit 0. All of it within one lease: by then
    // another process could take a dead claim over anyway.
    let (stopped_tx, stopped) = tokio::sync::oneshot::channel();
    let signal = async move {
        stop.await;
        let _ = stopped_tx.send(());
    };
    let serving = server::serve(listeners, server::app(state.clone()), signal);
    tokio::pin!(serving);
    let deadline = tokio::select! {
        served = &mut serving => { served?; return Ok(()); }
        _ = stopped => tokio::time::Instant::now() + config.lease,
    };
    tracing::info!("stopping: answering the requests in flight");
    if tokio::time::timeout_at(deadline, &mut serving)
        .await
        .is_err()
    {
        tracing::warn!("requests still open after one lease; closing them");
    }
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    if server::finish(&state, left).await {
        tracing::info!("stopped: every operation finished and every count stored");
    }
    Ok(())
}

/// SIGTERM (from a service manager or `kill`) or SIGINT (Ctrl-C). The signals are watched
/// from the moment this returns; the future completes when one arrives.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs go to stdout, filtered by `RUST_LOG` (default: every request, and warnings).
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // PostgreSQL's notices ("relation … already exists, skipping") are not news.
        "info,sqlx::postgres::notice=warn".into()
    });
    // Colours only for a person at a terminal, not for a file or a collector.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours);
    match format {
        LogFormat::Text => logs.init(),
        // One object per line; the request's span (id, method, path, key) sits beside the
        // event's own fields.
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
