use clap::Parser;
use server::config::Config;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // PostgreSQL's notices ("relation … already exists, skipping") are not news.
                "info,sqlx::postgres::notice=warn".into()
            }),
        )
        .init();
    let config = Config::parse();
    let state = server::AppState::open(&config).await?;
    let listeners = server::bind(&config).await?;
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
    server::serve(listeners, server::app(state)).await?;
    Ok(())
}
