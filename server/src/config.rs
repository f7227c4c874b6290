//! Settings, from flags or the environment (`--help` lists them).

use std::time::Duration;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    about = "The idempotency-keys lab: API, pages and storage"
)]
pub struct Config {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Address to listen on. Unset: both loopback addresses, so `localhost` works whether it
    /// resolves to 127.0.0.1 or ::1.
    #[arg(long, env = "HOST")]
    pub host: Option<std::net::IpAddr>,

    /// Where orders and idempotency records live.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/lab.db")]
    pub database_url: String,

    /// How long a finished operation's answer is kept and replayed (e.g. 24h, 90s).
    #[arg(long, env = "RECORD_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub record_ttl: Duration,

    /// How long a server-issued key may start an operation.
    #[arg(long, env = "ISSUED_KEY_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub issued_key_ttl: Duration,

    /// How long a claim holds before a retry may take over from a request that died.
    #[arg(long, env = "IN_FLIGHT_LEASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub lease: Duration,

    /// How often expired records are purged.
    #[arg(long, env = "PURGE_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub purge_interval: Duration,

    /// Honour the lab's controls (the `X-Lab-Delay-Ms` header, the reset button).
    #[arg(long, env = "LAB_CONTROLS", default_value_t = true, action = clap::ArgAction::Set)]
    pub lab_controls: bool,

    /// The built site (the WASM bundle and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
}

impl Config {
    /// Defaults with only the database changed, for tests and tools.
    pub fn with_database(database_url: &str) -> Self {
        Self::parse_from(["server", "--database-url", database_url])
    }
}
