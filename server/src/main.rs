use clap::Parser;
use server::config::{Config, LogFormat};
use server::{AppState, Application};

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
    if config.wipe_lab {
        let state = AppState::open(&config).await?;
        state.storage.reset_lab(None).await?;
        println!("wiped every learner's orders and idempotency records");
        return Ok(());
    }
    let application = Application::build(&config).await?;
    // Watched before the port is announced: a SIGTERM right after it still stops us cleanly.
    let stop = stop_signal()?;
    for address in application.addresses()? {
        // Tests and scripts read this line to learn the port.
        println!("listening on http://{address}");
    }
    if config.host.is_none() {
        println!("open http://localhost:{} in a browser", application.port()?);
    }
    // SIGTERM or Ctrl-C: stop accepting, answer the requests in flight, finish the operations
    // whose clients left, store the counters, exit 0.
    application.run_until_stopped(stop).await?;
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
