//! Settings, from flags or the environment (`--help` lists them).

use std::time::Duration;

use clap::Parser;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

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

    /// How often replay counters (kept in memory) are written to the database.
    #[arg(long, env = "REPLAY_FLUSH_INTERVAL", default_value = "500ms", value_parser = humantime::parse_duration, hide = true)]
    pub replay_flush_interval: Duration,

    /// Honour the lab's controls (the `X-Lab-Delay-Ms` header, the reset button).
    #[arg(long, env = "LAB_CONTROLS", default_value_t = true, action = clap::ArgAction::Set)]
    pub lab_controls: bool,

    /// The longest `X-Lab-Delay-Ms` accepted, in milliseconds (at most the lab's 10000). A
    /// fuzzer that tries every value runs against a small one; the OpenAPI document says it.
    #[arg(long, env = "MAX_LAB_DELAY_MS", default_value_t = app::api::MAX_LAB_DELAY_MS,
          value_parser = clap::value_parser!(u64).range(0..=app::api::MAX_LAB_DELAY_MS))]
    pub max_lab_delay_ms: u64,

    /// Delete every learner's orders and records, then exit: the operator's reset. (A learner's
    /// "Reset lab data" clears only that learner's.)
    #[arg(long)]
    pub wipe_lab: bool,

    /// Log lines as readable text, or as one JSON object each for a log collector.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The built site (the WASM bundle and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Tests only: skew this process's clock by this many milliseconds (may be negative).
    #[arg(long, hide = true, default_value_t = 0, allow_negative_numbers = true)]
    pub test_clock_skew_ms: i64,
}

/// A combination of settings that cannot work, refused before the server starts.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} must be longer than zero")]
    Zero(&'static str),
    #[error(
        "RECORD_TTL ({record_ttl}) is shorter than IN_FLIGHT_LEASE ({lease}): a claim would be \
         forgotten while its request still runs, and a retry would run the operation again"
    )]
    RecordShorterThanLease { record_ttl: String, lease: String },
    #[error(
        "RECORD_TTL ({record_ttl}) is shorter than ISSUED_KEY_TTL ({issued_key_ttl}): an issued \
         key would outlive its record and could start a second order"
    )]
    RecordShorterThanIssuedKey {
        record_ttl: String,
        issued_key_ttl: String,
    },
}

impl Config {
    /// Refuses settings that cannot work. Short values stay allowed (the tests use leases
    /// under a second, and a record TTL equal to the lease), and so does a lab delay longer
    /// than the lease: that is how a learner watches fencing.
    pub fn check(&self) -> Result<(), ConfigError> {
        let named = [
            ("RECORD_TTL", self.record_ttl),
            ("ISSUED_KEY_TTL", self.issued_key_ttl),
            ("IN_FLIGHT_LEASE", self.lease),
            ("PURGE_INTERVAL", self.purge_interval),
            ("REPLAY_FLUSH_INTERVAL", self.replay_flush_interval),
        ];
        if let Some((name, _)) = named.iter().find(|(_, value)| value.is_zero()) {
            return Err(ConfigError::Zero(name));
        }
        let show = |d: Duration| humantime::format_duration(d).to_string();
        if self.record_ttl < self.lease {
            return Err(ConfigError::RecordShorterThanLease {
                record_ttl: show(self.record_ttl),
                lease: show(self.lease),
            });
        }
        if self.record_ttl < self.issued_key_ttl {
            return Err(ConfigError::RecordShorterThanIssuedKey {
                record_ttl: show(self.record_ttl),
                issued_key_ttl: show(self.issued_key_ttl),
            });
        }
        Ok(())
    }

    /// Defaults with only the database changed, for tests and tools.
    pub fn with_database(database_url: &str) -> Self {
        Self::parse_from(["server", "--database-url", database_url])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(args: &[&str]) -> Result<(), ConfigError> {
        let mut all = vec!["server"];
        all.extend_from_slice(args);
        Config::parse_from(all).check()
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        assert_eq!(with(&[]), Ok(()));
        assert_eq!(
            with(&["--lease", "0s"]),
            Err(ConfigError::Zero("IN_FLIGHT_LEASE"))
        );
        assert!(matches!(
            with(&["--record-ttl", "10s", "--lease", "30s"]),
            Err(ConfigError::RecordShorterThanLease { .. })
        ));
        assert!(matches!(
            with(&["--record-ttl", "5m"]),
            Err(ConfigError::RecordShorterThanIssuedKey { .. })
        ));
    }

    #[test]
    fn short_values_stay_allowed() {
        let short = [
            "--record-ttl",
            "300ms",
            "--lease",
            "300ms",
            "--issued-key-ttl",
            "300ms",
        ];
        assert_eq!(with(&short), Ok(()));
    }
}
