//! Wall-clock time as the database stores it: milliseconds since the Unix epoch.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A test-only skew added to this process's clock, to show that processes whose clocks
/// disagree still agree on every key (they decide by the database's clock).
static SKEW_MS: AtomicI64 = AtomicI64::new(0);

/// Skews this process's clock by `ms` (tests only; the server's `--test-clock-skew-ms`).
pub fn set_skew_ms(ms: i64) {
    SKEW_MS.store(ms, Ordering::Relaxed);
}

/// This process's clock. Decisions use [`Storage::now_ms`](crate::storage::Storage::now_ms),
/// the database's clock, instead.
pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX) + SKEW_MS.load(Ordering::Relaxed)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-27T13:02:03.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}
